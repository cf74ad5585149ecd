"""The patterns the module matches its input against (``re.compile``/``re.match``/... with a literal pattern, and
compiled patterns referenced by name), with the strings generated from each (``regex_strings``)."""

import ast
import re
import string

from .regex_strings import regex_strings, token_sequences


# Uses that scan the whole input for matches, one after another (a tokenizer): their subjects are sequences of matches.
SCANS = {"findall", "finditer", "sub", "subn", "split", "scanner"}
RE_FUNCS = {"compile", "match", "fullmatch", "search", "findall", "finditer", "sub", "subn", "split"}
RE_METHODS = {"match", "fullmatch", "search", "findall", "finditer", "sub", "subn", "split"}
# Index of the string argument and of the flags argument of each ``re`` function.
RE_SUBJECT_ARG = {"match": 1, "fullmatch": 1, "search": 1, "findall": 1, "finditer": 1, "split": 1, "sub": 2, "subn": 2}
RE_FLAGS_ARG = {"compile": 1, "match": 2, "fullmatch": 2, "search": 2, "findall": 2, "finditer": 2, "split": 3, "sub": 4, "subn": 4}
MAX_PATTERNS = 8


def _base_name(node):
    """The variable an expression starts from (``s`` for ``s``, ``s.strip()``, ``s[1:]``, ``s.lower().strip()``)."""
    while True:
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            node = node.func.value
        else:
            return None


def harvest_patterns(tree, spans):
    """Regular expressions per callable qualname ('' for module level, which also lists every pattern compiled
    into a module-level name): ``{pattern, flags, subjects, name?}``, where ``name`` is that module-level name and
    ``subjects`` are the names of the variables the function matches against the pattern. Patterns whose text
    can be worked out from the source (``fold``: literals, module-level str constants and what they are built
    with) only; flags when they are literal too."""
    re_modules, re_funcs, re_flags = _re_imports(tree)
    if not re_modules and not re_funcs:
        return {}
    finder = _PatternFinder(tree, spans, re_modules, re_funcs, re_flags)
    # Every module-level compiled pattern is also listed at module level (''), used by a function or not.
    for entries in finder.named.values():
        for entry in entries:
            finder.attribute("", entry)
    for node in ast.walk(tree):
        finder.visit(node)
    out = {}
    for owner, bucket in finder.per_owner.items():
        items = sorted(bucket.values(), key=lambda e: -len(e["subjects"]))[:MAX_PATTERNS]
        out[owner] = [{"pattern": e["pattern"], "flags": e["flags"], "subjects": sorted(e["subjects"]),
                       **({"name": e["name"]} if e.get("name") else {}), **({"scanned": True} if e.get("scanned") else {})}
                      for e in items]
    return out


def _re_imports(tree):
    """The names ``re`` is imported as, its functions imported by name (local name -> function) and its flags
    imported by name."""
    re_modules, re_funcs, re_flags = set(), {}, set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            re_modules.update(a.asname or a.name for a in node.names if a.name == "re")
        elif isinstance(node, ast.ImportFrom) and node.module == "re":
            for a in node.names:
                if a.name in RE_FUNCS:
                    re_funcs[a.asname or a.name] = a.name
                elif isinstance(getattr(re, a.name, None), re.RegexFlag):
                    re_flags.add(a.asname or a.name)
    return re_modules, re_funcs, re_flags


class _PatternFinder:
    """The patterns of one module: its str constants (to fold pattern texts), the patterns bound to names, and the
    patterns found so far per owner (``per_owner``: qualname -> (pattern, flags) -> entry)."""

    def __init__(self, tree, spans, re_modules, re_funcs, re_flags):
        self.spans = spans
        self.re_modules, self.re_funcs, self.re_flags = re_modules, re_funcs, re_flags
        self.string_modules = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names if a.name == "string"}
        self.str_constants = {}
        for node in tree.body:
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                value = self.fold(node.value)
                if value is not None and len(value) <= 4000:
                    for t in node.targets if isinstance(node, ast.Assign) else [node.target]:
                        if isinstance(t, ast.Name):
                            self.str_constants[t.id] = value
        self.named, self.attr_named, self.bound = {}, {}, set()
        self.find_named(tree)
        self.per_owner = {}

    def fold(self, node):
        """The value of a str expression built from literals, module-level str constants, ``string.X``,
        ``re.escape``, ``+``, ``%`` and f-strings; None when it is not that."""
        fold = self.fold
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, str) else None
        if isinstance(node, ast.Name):
            return self.str_constants.get(node.id)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in self.string_modules:
            value = getattr(string, node.attr, None)
            return value if isinstance(value, str) else None
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
            left = fold(node.left)
            right = [fold(e) for e in node.right.elts] if isinstance(node.op, ast.Mod) and isinstance(node.right, ast.Tuple) else fold(node.right)
            if left is None or right is None or (isinstance(right, list) and None in right):
                return None
            try:
                return left + right if isinstance(node.op, ast.Add) else left % (tuple(right) if isinstance(right, list) else right)
            except (TypeError, ValueError):
                return None
        if isinstance(node, ast.JoinedStr):
            parts = []
            for v in node.values:
                part = fold(v) if isinstance(v, ast.Constant) else fold(v.value) if isinstance(v, ast.FormattedValue) and v.conversion == -1 and v.format_spec is None else None
                if part is None:
                    return None
                parts.append(part)
            return "".join(parts)
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)
                and node.func.value.id in self.re_modules and node.func.attr == "escape" and len(node.args) == 1):
            value = fold(node.args[0])
            return None if value is None else re.escape(value)
        return None

    def re_function(self, call):
        f = call.func
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id in self.re_modules and f.attr in RE_FUNCS:
            return f.attr
        if isinstance(f, ast.Name) and f.id in self.re_funcs:
            return self.re_funcs[f.id]
        return None

    def flags_of(self, node):
        flags_of = self.flags_of
        if node is None:
            return 0
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in self.re_modules:
            value = getattr(re, node.attr, None)
            return int(value) if isinstance(value, re.RegexFlag) else None
        if isinstance(node, ast.Name) and node.id in self.re_flags:
            return int(getattr(re, node.id))
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitOr, ast.Add)):
            a, b = flags_of(node.left), flags_of(node.right)
            return None if a is None or b is None else a | b
        return None

    def pattern_entry(self, call, fn):
        args = list(call.args)
        kw = {k.arg: k.value for k in call.keywords if k.arg}
        pat = args[0] if args else kw.get("pattern")
        text = self.fold(pat) if pat is not None else None
        if text is None:
            return None
        at = RE_FLAGS_ARG.get(fn)
        flags = self.flags_of(args[at] if at is not None and len(args) > at else kw.get("flags"))
        if flags is None:
            flags = 0
        subjects = set()
        at = RE_SUBJECT_ARG.get(fn)
        subject = args[at] if at is not None and len(args) > at else kw.get("string")
        name = _base_name(subject) if subject is not None else None
        if name:
            subjects.add(name)
        return {"pattern": text, "flags": int(flags), "subjects": subjects}

    def find_named(self, tree):
        """Patterns bound to a name: `NAME = re.compile(...)` at module level, or as a class attribute."""
        named, attr_named, bound = self.named, self.attr_named, self.bound
        scopes = [(tree.body, named)] + [(n.body, attr_named) for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
        for body, table in scopes:
            for node in body:
                if not isinstance(node, ast.Assign):
                    continue
                found = []
                for sub in ast.walk(node.value):
                    if isinstance(sub, ast.Call) and self.re_function(sub) == "compile":
                        entry = self.pattern_entry(sub, "compile")
                        bound.add(id(sub))
                        if entry:
                            found.append(entry)
                if found:
                    for t in node.targets:
                        if isinstance(t, ast.Name):
                            # A module-level name is how a test can reach the compiled pattern (`RE_DATE.match(...)`).
                            named_entries = [{**e, "name": t.id} for e in found] if table is named and len(found) == 1 else found
                            table.setdefault(t.id, []).extend(named_entries)

    def owner_of(self, line):
        spans = self.spans
        owner = ""
        for qual, span in spans.items():
            if span and span[0] <= line <= span[1] and (not owner or (span[1] - span[0]) < (spans[owner][1] - spans[owner][0])):
                owner = qual
        return owner

    def attribute(self, owner, entry, subjects=(), scanned=False):
        bucket = self.per_owner.setdefault(owner, {})
        key = (entry["pattern"], entry["flags"])
        item = bucket.setdefault(key, {"pattern": entry["pattern"], "flags": entry["flags"], "subjects": set()})
        item["subjects"] |= set(entry["subjects"]) | set(subjects)
        if entry.get("name"):
            item["name"] = entry["name"]
        if scanned:
            item["scanned"] = True

    def visit(self, node):
        """The patterns one node of the module uses: a call of ``re``, a named pattern used or referenced."""
        named, attr_named, attribute, owner_of = self.named, self.attr_named, self.attribute, self.owner_of
        if isinstance(node, ast.Call):
            fn = self.re_function(node)
            if fn and id(node) not in self.bound:
                entry = self.pattern_entry(node, fn)
                if entry:
                    attribute(owner_of(node.lineno), entry, scanned=fn in SCANS)
                elif node.args and isinstance(node.args[0], ast.Name) and node.args[0].id in named:
                    # `re.finditer(_TOKEN, text)`: a compiled pattern handed to a function of `re`.
                    at = RE_SUBJECT_ARG.get(fn)
                    name = _base_name(node.args[at]) if at is not None and len(node.args) > at else None
                    for named_entry in named[node.args[0].id]:
                        attribute(owner_of(node.lineno), named_entry, [name] if name else [], fn in SCANS)
            # `NAME.match(s)`, `self.NAME.search(s)`, `NAME(s)` (`NAME = re.compile(...).fullmatch`): the
            # subject of a named pattern.
            f = node.func
            if isinstance(f, ast.Name) and f.id in named and node.args:
                name = _base_name(node.args[0])
                for entry in named[f.id]:
                    attribute(owner_of(node.lineno), entry, [name] if name else [])
            if isinstance(f, ast.Attribute) and f.attr in RE_METHODS:
                target = f.value
                entries = named.get(target.id) if isinstance(target, ast.Name) else attr_named.get(target.attr) if isinstance(target, ast.Attribute) else None
                at = 1 if f.attr in ("sub", "subn") else 0
                subject = node.args[at] if len(node.args) > at else None
                name = _base_name(subject) if subject is not None else None
                for entry in entries or []:
                    attribute(owner_of(node.lineno), entry, [name] if name else [], f.attr in SCANS)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in named:
            owner = owner_of(node.lineno)
            if owner:
                for entry in named[node.id]:
                    attribute(owner, entry)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load) and node.attr in attr_named:
            owner = owner_of(node.lineno)
            if owner:
                for entry in attr_named[node.attr]:
                    attribute(owner, entry)


def _groups(pattern, flags):
    """How many groups the pattern has, and the names of the named ones (in the order they open)."""
    try:
        compiled = re.compile(pattern, flags)
    except (re.error, TypeError, ValueError, OverflowError):
        return {"groups": 0, "groupNames": []}
    return {"groups": compiled.groups, "groupNames": sorted(compiled.groupindex, key=compiled.groupindex.get)}


def module_patterns(tree, spans):
    """``harvest_patterns`` with the strings generated from each pattern (``matches``, ``nearMisses``); patterns
    nothing can be generated from are left out."""
    cache = {}
    out = {}
    for owner, entries in harvest_patterns(tree, spans).items():
        for e in entries:
            key = (e["pattern"], e["flags"])
            if key not in cache:
                cache[key] = regex_strings(*key)
            matching, misses = cache[key]
            scanned = e.pop("scanned", False)
            if scanned:
                # A tokenizer's input: single tokens and sequences of them.
                if ("scan",) + key not in cache:
                    cache[("scan",) + key] = token_sequences(*key)
                matching = matching + [s for s in cache[("scan",) + key] if s not in matching]
            if matching or misses:
                out.setdefault(owner, []).append({**e, "matches": matching, "nearMisses": misses, **_groups(*key)})
    _hand_on(tree, out)
    return out


def _hand_on(tree, found):
    """A module function that hands its parameter to another that matches it (``c2py(plural)`` calling
    ``_tokenize(plural)``) matches it too: the callee's patterns are the caller's, with the caller's parameter as
    subject (two rounds, so a chain of calls passes them along)."""
    functions = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    params = {name: [a.arg for a in n.args.posonlyargs + n.args.args] for name, n in functions.items()}
    calls = [(name, sub) for name, n in functions.items() for sub in ast.walk(n)
             if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id in functions
             and sub.func.id != name]
    for _ in range(2):
        for name, call in calls:
            callee = params[call.func.id]
            for i, arg in enumerate(call.args[:len(callee)]):
                if not (isinstance(arg, ast.Name) and arg.id in params[name]):
                    continue
                mine = found.setdefault(name, [])
                for e in list(found.get(call.func.id, [])):
                    if callee[i] in e["subjects"] and all(m["pattern"] != e["pattern"] for m in mine):
                        mine.append({**e, "subjects": [arg.id]})
    for name in [n for n, entries in found.items() if not entries]:
        del found[name]
