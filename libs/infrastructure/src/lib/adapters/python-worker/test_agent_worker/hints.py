"""Types of parameters from what the module's functions do with them (``paramHints``: qualname -> parameter -> the
protocol's type hints), not from their names: ``usage.Uses`` collects the evidence per function; here it becomes
hints (a list's item type from what is done with its items, a dict's keys from the literals it is indexed with),
``class`` hints for a parameter whose attributes are all members of one of the module's classes, and each caller
inherits what the module's functions it passes a parameter to make of it."""

import ast

from .hint_types import (ANY, SIZED, STR, WEAK_METHOD_HINTS, add_unique, class_ref, key, list_of, union)
from .usage import Uses, number_constant

CONTAINERS = ("list", "set", "tuple", "dict")


def param_hints(tree, resolve_attrs=None):
    """qualname -> parameter -> type hints (the protocol's ``TypeHint`` objects), in the order the evidence came.
    ``resolve_attrs``: attribute names -> hints of classes from elsewhere that have them (``duck_types``), asked for
    a parameter nothing else types."""
    collector = _HintCollector(tree)
    collector.visit(tree)
    collector.add_class_hints(resolve_attrs)
    collector.finish()
    _inherited_methods(collector, class_bases(tree))
    _inherit_hints(collector)
    return collector.hints


def class_bases(tree):
    """Top-level classes of the module -> the names of their bases that are classes of the module too."""
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    return {name: [b.id for b in node.bases if isinstance(b, ast.Name) and b.id in classes]
            for name, node in classes.items()}


def _inherited_methods(collector, bases):
    """A method a class inherits from a base of the module, which calls a method the class overrides
    (``Base.__init__`` calling ``self._parse(fp)``, ``Sub._parse`` reading ``fp`` as bytes), becomes the class's own
    entry ``Sub.__init__``: its hints are the base method's plus what the class's override makes of the parameters."""
    functions, calls = collector.functions, collector.calls
    for cls in bases:
        for base in _ancestors(cls, bases):
            for qual in [q for q in list(functions) if q.startswith(base + ".") and q.count(".") == 1]:
                name = qual.split(".", 1)[1]
                mine = f"{cls}.{name}"
                if mine in functions:
                    continue
                own = [(("method", k[1], cls), bound) for k, bound in calls.get(qual, [])
                       if k[0] == "method" and f"{cls}.{k[1]}" in functions]
                if not own:
                    continue
                functions[mine] = functions[qual]
                calls[mine] = own
                for param, found in collector.hints.get(qual, {}).items():
                    collector.hints.setdefault(mine, {})[param] = list(found)


def _ancestors(cls, bases):
    """The module's classes ``cls`` inherits from, nearest first (each once)."""
    out, todo = [], list(bases.get(cls, []))
    while todo:
        b = todo.pop(0)
        if b not in out and b != cls:
            out.append(b)
            todo.extend(bases.get(b, []))
    return out


def _init_attributes(tree):
    """Per class (dotted qualname): ``self.x = p`` in one of its methods -> {``x``: (the method's qualname, ``p``)}
    (also ``self.x = p or d``); ``__init__`` first, so an attribute it stores is its."""
    out = {}

    def walk(body, prefix):
        for node in body:
            if not isinstance(node, ast.ClassDef):
                continue
            qual = prefix + node.name
            walk(node.body, qual + ".")
            methods = [n for n in node.body if isinstance(n, ast.FunctionDef)]
            methods.sort(key=lambda n: n.name != "__init__")
            attrs = out.setdefault(qual, {})
            for method in methods:
                _stored_params(method, f"{qual}.{method.name}", attrs)

    walk(tree.body, "")
    return out


def _stored_params(method, qual, attrs):
    """``self.x = p`` in ``method`` (a parameter ``p`` other than the receiver) -> ``attrs[x] = (qual, p)``."""
    if any(isinstance(d, ast.Name) and d.id in ("staticmethod", "classmethod") for d in method.decorator_list):
        return
    positional = method.args.posonlyargs + method.args.args
    params = {a.arg for a in positional[1:] + method.args.kwonlyargs}
    for sub in ast.walk(method):
        value = sub.value if isinstance(sub, (ast.Assign, ast.AnnAssign)) else None
        if isinstance(value, ast.BoolOp) and isinstance(value.op, ast.Or):
            value = value.values[0]
        if not (isinstance(value, ast.Name) and value.id in params):
            continue
        targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target]
        for t in targets:
            if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self":
                attrs.setdefault(t.attr, (qual, value.id))


class _HintCollector(ast.NodeVisitor):
    """Walks the module's classes and functions, collecting the evidence of every function (``Uses``) and what
    ``_inherit_hints`` needs to pass the hints of a callee on to its callers."""

    def __init__(self, tree):
        self.members = class_members(tree)
        self.module_functions = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        self.self_attrs = _init_attributes(tree)
        self.numeric_names = set()
        for node in tree.body:
            if isinstance(node, ast.Assign) and number_constant(node.value):
                self.numeric_names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        self.evidence = {}  # (qualname, parameter) -> role -> [hint]
        self.checked = {}  # (qualname, parameter) -> hints only a check (isinstance, hasattr, callable) gave
        self.used_attrs = {}  # (qualname, parameter, role) -> attribute names
        self.hints = {}  # qualname -> parameter -> hints
        self.functions = {}  # qualname -> (parameter names as positionally bound by a call, is a method)
        self.calls = {}  # qualname -> [(callee key, [(parameter index or keyword name, argument name)])]
        self.class_methods = {}  # method name -> qualnames defining it
        self.stack = []
        self.classes = []

    def add(self, target, hint, check=False):
        qual, param, role = target
        add_unique(self.evidence.setdefault((qual, param), {}).setdefault(role, []), hint)
        if role == "self":
            checked = self.checked.setdefault((qual, param), {})
            checked[key(hint)] = checked.get(key(hint), True) and check

    def numeric(self, node):
        numeric = self.numeric
        return number_constant(node) or (isinstance(node, ast.Name) and node.id in self.numeric_names) or (
            isinstance(node, ast.UnaryOp) and numeric(node.operand)) or (
            isinstance(node, ast.BinOp) and (numeric(node.left) or numeric(node.right))
            and not any(isinstance(x, ast.Constant) and isinstance(x.value, (str, bytes)) for x in (node.left, node.right)))

    def visit_ClassDef(self, node):
        self.stack.append(node.name)
        self.classes.append(".".join(self.stack))
        self.generic_visit(node)
        self.classes.pop()
        self.stack.pop()

    def visit_FunctionDef(self, node):
        qual = ".".join(self.stack + [node.name])
        positional = [a.arg for a in node.args.posonlyargs + node.args.args]
        in_class = bool(self.classes) and self.stack and ".".join(self.stack) == self.classes[-1]
        self.functions[qual] = (positional, in_class)
        if in_class:
            self.class_methods.setdefault(node.name, []).append(qual)
        Uses(node, qual, self, self.classes[-1] if in_class else None).run()
        self.stack.append(node.name)
        self.generic_visit(node)
        self.stack.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def add_class_hints(self, resolve_attrs=None):
        """``class`` hints for a parameter whose attributes are all members of one to three of the module's classes,
        when nothing but protocol-like methods (``read``, ``get``) says what it is; else the hints ``resolve_attrs``
        gives (classes the module imported)."""
        for (qual, param, role), attrs in self.used_attrs.items():
            if role != "self":
                continue
            found = self.evidence.get((qual, param), {}).get("self", [])
            if any(key(h) not in WEAK_METHOD_HINTS for h in found):
                continue
            owners = [c for c, m in self.members.items() if attrs <= m]
            if 0 < len(owners) <= 3:
                for c in owners:
                    self.add((qual, param, "self"), class_ref(c))
            elif not owners and not found and resolve_attrs:
                for h in resolve_attrs(attrs):
                    self.add((qual, param, "self"), h)

    def finish(self):
        """Evidence -> hints."""
        for (qual, param), roles in self.evidence.items():
            found = _hints_of(roles)
            if found:
                self.hints.setdefault(qual, {})[param] = found


def _hints_of(roles):
    """The hints of one parameter from its evidence by role (``self``; ``item``/``key``/``value`` for what iterating
    over it gives; ``literal_key`` for the constants it is indexed with): containers get their item types; "a str or
    a list" (``len(x)``, ``x[i]``) only counts when nothing more specific was seen."""
    pick = dict(roles)
    literal_keys = pick.pop("literal_key", [])
    item, k, v = (union(_sized(pick.get(role, []))) for role in ("item", "key", "value"))
    out = []
    for h in _sized(pick.get("self", []), item):
        if h["kind"] in ("list", "set") and h["item"] == ANY and item:
            h = {**h, "item": item}
        elif h["kind"] == "tuple" and h.get("item") == ANY and item:
            h = {**h, "item": item}
        elif h["kind"] == "dict":
            h = {**h, "key": {"kind": "literal", "values": literal_keys} if literal_keys else k or h["key"],
                 "value": v or h["value"]}
        add_unique(out, h)
    return out


def _sized(hints, item=None):
    """``hints`` with "a str or a list" (``SIZED``) made a str and a list when nothing more specific is there, and
    dropped when something is."""
    specific = any(h["kind"] in CONTAINERS or (h["kind"] == "builtin" and h["name"] in ("str", "bytes")) for h in hints)
    out = []
    for h in hints:
        if h == SIZED:
            if not specific:
                add_unique(out, STR)
                add_unique(out, list_of(item))
        else:
            add_unique(out, h)
    return out


def _callee(collector, call_key):
    """(qualname, offset of the first argument among its positional parameters) of a call key, or None."""
    functions = collector.functions
    if call_key[0] == "name":
        if call_key[1] in functions and not functions[call_key[1]][1]:
            return call_key[1], 0
        if f"{call_key[1]}.__init__" in functions:
            return f"{call_key[1]}.__init__", 1
        return None
    name, cls = call_key[1], call_key[2]
    if cls and f"{cls}.{name}" in functions:
        return f"{cls}.{name}", 1
    owners = collector.class_methods.get(name, [])
    return (owners[0], 1) if len(owners) == 1 else None


def _inherit_hints(collector):
    """Each function gets the hints of the parameters it passes its own parameters to (three rounds at most, so a
    chain of calls passes them along): what the callee does with them, and what it only checks for (isinstance)
    when the caller itself says nothing about the parameter."""
    hints, functions = collector.hints, collector.functions
    own = {(qual, param) for qual, params in hints.items() for param in params}
    checked = {target: {k for k, only in found.items() if only} for target, found in collector.checked.items()}
    for _ in range(3):
        changed = False
        for qual, entries in collector.calls.items():
            for call_key, bound in entries:
                target = _callee(collector, call_key)
                if not target or target[0] == qual:
                    continue
                params, offset = functions[target[0]][0], target[1]
                for at, arg in bound:
                    param = params[at + offset] if isinstance(at, int) and at + offset < len(params) else at if isinstance(at, str) else None
                    skip = checked.get((target[0], param), set()) if (qual, arg) in own else set()
                    for t in list(hints.get(target[0], {}).get(param, [])):
                        if key(t) in skip:
                            continue
                        if add_unique(hints.setdefault(qual, {}).setdefault(arg, []), t):
                            changed = True
                            if key(t) in checked.get((target[0], param), set()):
                                checked.setdefault((qual, arg), set()).add(key(t))
        if not changed:
            break


def with_pattern_subjects(hints, found):
    """``hints`` plus ``str`` for each parameter a function matches against a regular expression."""
    callables = {c["qualname"]: c for c in found.get("callables", [])}
    for qual, entries in found.get("patterns", {}).items():
        c = callables.get(qual) or callables.get(qual.rsplit(".", 1)[0] if qual.endswith(".__init__") else "")
        if not c:
            continue
        hint_key = f"{c['qualname']}.__init__" if c["kind"] == "class" else qual
        for e in entries:
            for name in e["subjects"]:
                if name in {p["name"] for p in c["params"]}:
                    add_unique(hints.setdefault(hint_key, {}).setdefault(name, []), STR)
    return hints


def class_members(tree):
    """Top-level classes of the module and the names they define (methods, class attributes, ``self.x``)."""
    out = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        names = set()
        for sub in ast.walk(node):
            if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names.add(sub.name)
            elif isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.value.id == "self":
                names.add(sub.attr)
            elif isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                names.add(sub.id)
        out[node.name] = names
    return out
