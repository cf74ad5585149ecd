"""What a call reads besides its arguments, which a plan can set for one call:

- optional imports: a module-level ``try`` that imports a name and an ``except ImportError`` handler that binds it
  to a constant instead (``try: from binascii import b2a_qp`` / ``except ImportError: b2a_qp = None``). Where the
  import succeeds, the code the module runs without it (often a whole pure-Python implementation) is reached only
  with the name set to that constant (a plan's ``patches``);
- the command line: callables that read ``sys.argv`` (a script's ``main()``), whatever the worker's own is (a
  plan's ``argv``);
- environment variables read by a constant name (``os.environ.get('APP_MODE')``, ``os.getenv('HOME')``,
  ``os.environ['X']``, ``'X' in os.environ``, ``for name in ('LANG', 'LC_ALL'): os.environ.get(name)``), whatever
  the machine has (a plan's ``env`` sets or removes them)."""

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


# The name a read of ``sys.argv`` counts as, beside the plain names a span reads.
ARGV = "sys.argv"


# The prefix a read of an environment variable counts as (``env:LANG``), beside the plain names a span reads.
ENV = "env:"
MAX_ENV_NAMES = 12


# Variables the sandbox and the emitted tests' own fixture set up (HOME is ``tmp_path``), or that decide how
# programs and libraries are found: never set or removed for a call.
KEPT_ENV = {"HOME", "USERPROFILE", "TMPDIR", "TMP", "TEMP", "PATH", "PWD", "PYTHONPATH", "PYTHONHOME",
            "LD_PRELOAD", "LD_LIBRARY_PATH", "SHELL", "USER", "LOGNAME"}


def _from_os(tree):
    """The names imported with ``from os import ...`` (``environ``, ``getenv``) under the names they are bound to."""
    out = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "os" and node.level == 0:
            for a in node.names:
                out[a.asname or a.name] = a.name
    return out


def _shadowed_lines(tree, names):
    """The lines of functions with a parameter of one of ``names`` (a WSGI app's ``environ``): there the name is not
    what ``from os import`` bound."""
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            a = node.args
            params = {p.arg for p in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg] if p}
            if params & names:
                lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return lines


def _is_environ(node, from_os):
    """``os.environ``, or a name ``from os import environ`` bound."""
    return ((isinstance(node, ast.Attribute) and node.attr == "environ" and isinstance(node.value, ast.Name)
             and node.value.id == "os") or (isinstance(node, ast.Name) and from_os.get(node.id) == "environ"))


def _loop_constants(tree):
    """Loop variable -> the str constants a ``for`` over a literal tuple or list gives it."""
    out = {}
    for node in ast.walk(tree):
        if (isinstance(node, ast.For) and isinstance(node.target, ast.Name)
                and isinstance(node.iter, (ast.Tuple, ast.List))):
            out.setdefault(node.target.id, []).extend(
                e.value for e in node.iter.elts if isinstance(e, ast.Constant) and isinstance(e.value, str))
    return out


def _env_key(node, from_os):
    """The node naming the variable an environment read reads, or None: ``os.environ.get(k)``, ``os.getenv(k)``,
    ``os.environ[k]``, ``k in os.environ`` (and the same through names imported from ``os``)."""
    if isinstance(node, ast.Call) and node.args:
        f = node.func
        if isinstance(f, ast.Attribute) and f.attr in ("get", "pop", "setdefault") and _is_environ(f.value, from_os):
            return node.args[0]
        if ((isinstance(f, ast.Attribute) and f.attr == "getenv" and isinstance(f.value, ast.Name) and f.value.id == "os")
                or (isinstance(f, ast.Name) and from_os.get(f.id) == "getenv")):
            return node.args[0]
    if isinstance(node, ast.Subscript) and _is_environ(node.value, from_os):
        return node.slice
    if (isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.In, ast.NotIn))
            and _is_environ(node.comparators[0], from_os)):
        return node.left
    return None


def _usable_env_name(name):
    return bool(name) and "=" not in name and "\0" not in name and name not in KEPT_ENV and not name.startswith("XDG_")


def _env_names(key, loops):
    if isinstance(key, ast.Constant) and isinstance(key.value, str):
        return [key.value] if _usable_env_name(key.value) else []
    if isinstance(key, ast.Name):
        return [n for n in loops.get(key.id, []) if _usable_env_name(n)]
    return []


def _reads_by_line(tree):
    """line -> the names read there, ``sys.argv`` as ``ARGV``, an environment variable as ``env:<name>``."""
    by_line = {}
    loops = None
    from_os = _from_os(tree)
    shadowed = _shadowed_lines(tree, set(from_os)) if from_os else set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            by_line.setdefault(node.lineno, set()).add(node.id)
        elif (isinstance(node, ast.Attribute) and node.attr == "argv" and isinstance(node.value, ast.Name)
              and node.value.id == "sys" and isinstance(node.ctx, ast.Load)):
            by_line.setdefault(node.lineno, set()).add(ARGV)
        key = _env_key(node, {} if getattr(node, "lineno", 0) in shadowed else from_os)
        if key is not None:
            loops = _loop_constants(tree) if loops is None else loops
            by_line.setdefault(node.lineno, set()).update(ENV + n for n in _env_names(key, loops))
    return by_line


def _reads(by_line, spans):
    """qualname -> the names read inside its span (each read counts for every span that holds its line)."""
    reads = {q: set() for q in spans}
    # Spans sorted by start: a read's line is held by those that start at or before it and end at or after it.
    ordered = sorted((start, end, q) for q, (start, end) in spans.items())
    starts = [s for s, _, _ in ordered]
    for line, names in by_line.items():
        for start, end, q in ordered[:bisect.bisect_right(starts, line)]:
            if end >= line:
                reads[q] |= names
    return reads


def _users(name, reads):
    """The callables that read ``name``, with those that call (by name, transitively) a top-level function or class
    among them."""
    users = {q for q, names in reads.items() if name in names}
    while True:
        tops = {q for q in users if "." not in q}
        more = {q for q, names in reads.items() if q not in users and names & tops}
        if not more:
            return users
        users |= more


def outside_inputs(tree, spans):
    """The interface's ``optionalImports`` (``[{name, source, users}]``: each optional import's name, its fallback
    constant, and the callables that read it or call what does), ``argvReaders`` (the callables that read
    ``sys.argv``, or call what does) and ``envReaders`` (``[{name, users}]``: each environment variable read by a
    constant name, and the callables that read it or call what does), each only when there is one."""
    constants = _fallback_constants(tree)
    by_line = _reads_by_line(tree)
    reads_argv = any(ARGV in names for names in by_line.values())
    env_names = sorted({n for names in by_line.values() for n in names if n.startswith(ENV)})[:MAX_ENV_NAMES]
    if not constants and not reads_argv and not env_names:
        return {}
    reads = _reads(by_line, spans)
    found = {}
    optional = [{"name": name, "source": source, "users": sorted(users)}
                for name, source in sorted(constants.items()) if (users := _users(name, reads))]
    if optional:
        found["optionalImports"] = optional
    readers = sorted(_users(ARGV, reads)) if reads_argv else []
    if readers:
        found["argvReaders"] = readers
    env = [{"name": n[len(ENV):], "users": sorted(users)} for n in env_names if (users := _users(n, reads))]
    if env:
        found["envReaders"] = env
    return found
