"""What a call reads besides its arguments, which a plan can set for one call:

- optional imports: a module-level ``try`` that imports a name and an ``except ImportError`` handler that binds it
  to a constant instead (``try: from binascii import b2a_qp`` / ``except ImportError: b2a_qp = None``). Where the
  import succeeds, the code the module runs without it (often a whole pure-Python implementation) is reached only
  with the name set to that constant (a plan's ``patches``);
- the command line: callables that read ``sys.argv`` (a script's ``main()``), whatever the worker's own is (a
  plan's ``argv``)."""

import ast
import bisect

IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError"}


def _catches_import_error(handler):
    if handler.type is None:
        return True
    caught = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(isinstance(c, ast.Name) and c.id in IMPORT_ERRORS for c in caught)


def _bound_in(body):
    """Names the ``try`` body binds at its own level: by import (``import a.b`` binds ``a``) or by assignment."""
    names = set()
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names if a.name != "*")
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def _module_level(body):
    """The module's statements, with those inside module-level ``if``/``try`` blocks (not functions or classes)."""
    for node in body:
        yield node
        if isinstance(node, ast.If):
            yield from _module_level(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            yield from _module_level(node.body + node.orelse + node.finalbody)


def _fallback_constants(tree):
    """name -> the constant's source, for names an ``except ImportError`` handler binds to a constant."""
    found = {}
    for node in _module_level(tree.body):
        if not isinstance(node, ast.Try):
            continue
        bound = _bound_in(node.body)
        for handler in node.handlers:
            if not _catches_import_error(handler):
                continue
            for stmt in handler.body:
                if not (isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Constant)):
                    continue
                source = repr(stmt.value.value)
                try:
                    ast.literal_eval(source)  # the plan's patch is rebuilt from it (not `...`)
                except ValueError:
                    continue
                for t in stmt.targets:
                    if isinstance(t, ast.Name) and t.id in bound:
                        found.setdefault(t.id, source)
    return found


def _reads(tree, spans):
    """qualname -> the names read inside its span (each read counts for every span that holds its line)."""
    reads = {q: set() for q in spans}
    # Spans sorted by start: a read's line is held by those that start at or before it and end at or after it.
    ordered = sorted((start, end, q) for q, (start, end) in spans.items())
    starts = [s for s, _, _ in ordered]
    names_by_line = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            names_by_line.setdefault(node.lineno, set()).add(node.id)
    for line, names in names_by_line.items():
        for start, end, q in ordered[:bisect.bisect_right(starts, line)]:
            if end >= line:
                reads[q] |= names
    return reads


def _with_callers(users, reads):
    """``users`` with the callables that call (by name, transitively) a top-level function or class among them."""
    users = set(users)
    while True:
        tops = {q for q in users if "." not in q}
        more = {q for q, names in reads.items() if q not in users and names & tops}
        if not more:
            return users
        users |= more


def optional_imports(tree, spans):
    """``[{name, source, users}]``: each optional import's name, its fallback constant, and the callables that read
    it or call what does."""
    constants = _fallback_constants(tree)
    if not constants:
        return []
    reads = _reads(tree, spans)
    out = []
    for name, source in sorted(constants.items()):
        users = _with_callers({q for q, names in reads.items() if name in names}, reads)
        if users:
            out.append({"name": name, "source": source, "users": sorted(users)})
    return out


def argv_readers(tree, spans):
    """The callables that read ``sys.argv``, or call what does."""
    lines = {node.lineno for node in ast.walk(tree)
             if isinstance(node, ast.Attribute) and node.attr == "argv" and isinstance(node.value, ast.Name)
             and node.value.id == "sys" and isinstance(node.ctx, ast.Load)}
    if not lines:
        return []
    direct = {q for q, (start, end) in spans.items() if any(start <= n <= end for n in lines)}
    return sorted(_with_callers(direct, _reads(tree, spans)))
