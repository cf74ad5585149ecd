"""Test Agent's executor worker: a long-lived process that imports one module under test and runs call plans.

Protocol: JSON lines. Requests arrive on the original stdin, one object per line, each with an ``id`` and an
``op``; replies go to the original stdout, one object per line, carrying the same ``id``. The module's own
``print``s and C-level writes to fd 1/2 go to a log file in the worker's temp dir, never into the protocol.

Ops:
  load     {importRoot, moduleName, file}  -> the module's callables, literals, doctests, coverage shape
  execute  {plans, timeoutMs}               -> one ``{"id", "index", "result"}`` line per plan, then ``{"id", "done"}``
  ping                                      -> {"pong": true}

While the module is imported and while each plan or doctest runs, an audit hook (``Guard``) blocks and records
what the code does outside the worker's scratch folder (its cwd, also HOME and TMPDIR): writes, deletes, network,
processes, signals. A result that shows a value of this machine's environment is reported without it
(``machineDependent``), so no test pins it.

Coverage is measured with a line/arc tracer (``sys.settrace``) restricted to the target file, recording arcs the
way coverage.py's Python tracer does, then translated with coverage.py's own static analysis of the file
(``PythonFileReporter``), so the statements, branch arcs and executed sets use coverage.py's numbering.
"""

import _thread
import ast
import builtins
import dataclasses
import doctest
import enum
import errno
import importlib
import inspect
import io
import json
import math
import os
import random
import re
import shutil
import signal
import socket
import string
import sys
import traceback
import types
import typing
import zlib

PROTO_IN = None
PROTO_OUT = None
# Set by Test Agent's launcher (bwrap --setenv) when the worker runs inside bubblewrap; hidden from the code under test.
CONFINED = os.environ.pop("TEST_AGENT_CONFINED", "") == "1"

MAX_REPR = 400
MAX_ITEMS = 200


class CallTimeout(BaseException):
    """Raised inside a call that exceeded its time limit (a BaseException so user code cannot swallow it)."""


class NoStdin(io.TextIOBase):
    """Behaves like pytest's captured stdin, so outcomes match what the emitted tests will see."""

    def read(self, *args):
        raise OSError("pytest: reading from stdin while output is captured!  Consider using `-s`.")

    readline = read
    readlines = read

    def __iter__(self):
        return self

    def __next__(self):
        self.read()

    def fileno(self):
        raise io.UnsupportedOperation("redirected stdin is pseudofile, has no fileno()")

    def readable(self):
        return False


class CaptureIO(io.TextIOWrapper):
    """Like pytest's captured stdout/stderr: text over a byte buffer, so code writing to ``sys.stdout.buffer``
    behaves as it will under the emitted tests; ``getvalue`` decodes both kinds of writes."""

    def __init__(self):
        super().__init__(io.BytesIO(), encoding="UTF-8", newline="", write_through=True)

    def getvalue(self):
        return self.buffer.getvalue().decode("UTF-8", errors="replace")


# --------------------------------------------------------------------------------------------------- tracing

RESUME = __import__("dis").opmap.get("RESUME")
PUSH_EXC_INFO = __import__("dis").opmap.get("PUSH_EXC_INFO")
LASTI_IS_YIELD = sys.version_info[:2] != (3, 13)


class ArcTracer:
    """Records (from, to) line arcs of code in one file; negative numbers mark entry/exit of a code object."""

    def __init__(self, filename):
        self.filename = filename
        self.arcs = set()
        # The module's globals once it is imported: a cheap first test of whether a frame runs the module's code.
        # (Reading ``frame.f_code`` raises an audit event, and the guard's hook runs for each; ``f_globals`` does not.)
        self.module_globals = None

    def global_trace(self, frame, event, arg):
        if event != "call":
            return None
        module_globals = self.module_globals
        if module_globals is not None and frame.f_globals is not module_globals:
            return None
        code = frame.f_code
        if code.co_filename != self.filename:
            return None
        co = code.co_code
        if RESUME is not None:
            real_call = co[frame.f_lasti + 1] == 0 if frame.f_lasti >= 0 else True
        else:
            real_call = frame.f_lasti < 0
        last = [-code.co_firstlineno if real_call else frame.f_lineno]
        arcs = self.arcs

        # A local trace function serves one frame: `code` and `co` are its own.
        def local_trace(frame, event, arg):
            if event == "line":
                if PUSH_EXC_INFO is not None:
                    lasti = frame.f_lasti
                    if 0 <= lasti < len(co) and co[lasti] == PUSH_EXC_INFO:
                        return local_trace
                lineno = frame.f_lineno
                arcs.add((last[0], lineno))
                last[0] = lineno
            elif event == "return":
                lasti = frame.f_lasti
                if RESUME is None or len(co) == lasti + 2:
                    real_return = True
                else:
                    at = lasti + 2 if LASTI_IS_YIELD else lasti
                    real_return = co[at] != RESUME if at < len(co) else True
                if real_return:
                    arcs.add((last[0], -code.co_firstlineno))
            return local_trace

        return local_trace

    def start(self):
        self.arcs = set()
        sys.settrace(self.global_trace)

    def stop(self):
        sys.settrace(None)
        return self.arcs


class Shape:
    """coverage.py's static view of the file: statements, possible arcs, branch lines."""

    def __init__(self, filename):
        import coverage
        from coverage.python import PythonFileReporter

        self.fr = PythonFileReporter(filename, coverage.Coverage(branch=True, data_file=None, config_file=False))
        self.statements = set(self.fr.lines())
        self.excluded = set(self.fr.excluded_lines())
        self.possible = set(self.fr.arcs())
        self.exit_counts = self.fr.exit_counts()
        self.no_branch = set(self.fr.no_branch_lines())
        self.branch_lines = {l for l, c in self.exit_counts.items() if c > 1}
        self.branch_arcs = {
            a for a in self.possible
            if a[0] in self.branch_lines and a[0] not in self.no_branch and a[1] not in self.excluded
        }
        dests = {}
        for a, b in self.possible:
            dests.setdefault(a, set()).add(b)
        self.single_dests = {a: next(iter(bs)) for a, bs in dests.items() if len(bs) == 1}

    def measure(self, raw_arcs):
        """Executed statements and executed branch arcs, as coverage.py would count them."""
        lines = set()
        for a, b in raw_arcs:
            if a > 0:
                lines.add(a)
            if b > 0:
                lines.add(b)
        executed = self.fr.translate_lines(lines) & self.statements
        arcs = self.fr.translate_arcs(raw_arcs)
        fixed = set()
        for a, b in arcs:
            if a != b:
                fixed.add((a, b))
            elif a in self.single_dests:
                fixed.add((a, self.single_dests[a]))
        fixed = self.fr.translate_arcs(fixed)
        branches = [a for a in fixed if a in self.branch_arcs]
        return sorted(executed), sorted(branches)


# --------------------------------------------------------------------------------------------------- describing

def type_name(t):
    mod = getattr(t, "__module__", "")
    qual = getattr(t, "__qualname__", getattr(t, "__name__", str(t)))
    return qual if mod == "builtins" else f"{mod}.{qual}"


class Describer:
    def __init__(self, module):
        self.module = module
        self.modname = module.__name__

    def canon(self, v, depth=0):
        """A process-independent text of a value: sets sorted, objects without a value repr by type only."""
        if depth > 6:
            return "..."
        if isinstance(v, (set, frozenset)):
            return type(v).__name__ + "{" + ",".join(sorted(self.canon(x, depth + 1) for x in v)) + "}"
        if isinstance(v, dict):
            return "{" + ",".join(f"{self.canon(k, depth + 1)}:{self.canon(x, depth + 1)}" for k, x in v.items()) + "}"
        if isinstance(v, (list, tuple)):
            return type(v).__name__ + "[" + ",".join(self.canon(x, depth + 1) for x in v) + "]"
        if isinstance(v, float):
            return repr(v)
        r = safe_repr(v)
        if " at 0x" in r:
            return "<" + type_name(type(v)) + ">"
        return r

    def expr(self, v, depth=0):
        """A Python expression rebuilding `v` in a test that imported the module's names, or None."""
        if depth > 6:
            return None
        # Enums first: an IntEnum or StrEnum is an int or a str whose repr (`<Color.RED: 1>`) is no expression.
        if isinstance(v, enum.Enum):
            t = type(v)
            if t.__module__ == self.modname and "<locals>" not in t.__qualname__:
                return f"{t.__qualname__}.{v.name}"
            return None
        # Exactly these types: a subclass's repr may be anything, so it goes through the eval check below.
        if v is None or type(v) in (bool, int, str, bytes):
            r = repr(v)
            return r if len(r) <= MAX_REPR * 4 else None
        if type(v) is float:
            if math.isnan(v) or math.isinf(v):
                return f"float('{v}')"
            return repr(v)
        if type(v) is complex:
            return repr(v)
        if isinstance(v, (list, tuple, set, frozenset)) and type(v) in (list, tuple, set, frozenset):
            if len(v) > MAX_ITEMS:
                return None
            items = [self.expr(x, depth + 1) for x in (sorted(v, key=self.canon) if isinstance(v, (set, frozenset)) else v)]
            if any(i is None for i in items):
                return None
            if isinstance(v, list):
                return "[" + ", ".join(items) + "]"
            if isinstance(v, tuple):
                return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
            if not items:
                return "set()" if isinstance(v, set) else "frozenset()"
            inner = "{" + ", ".join(items) + "}"
            return inner if isinstance(v, set) else f"frozenset({inner})"
        if type(v) is dict:
            if len(v) > MAX_ITEMS:
                return None
            parts = []
            for k, x in v.items():
                ke, xe = self.expr(k, depth + 1), self.expr(x, depth + 1)
                if ke is None or xe is None:
                    return None
                parts.append(f"{ke}: {xe}")
            return "{" + ", ".join(parts) + "}"
        # Other values: trust a repr that evaluates back to an equal value in the module's namespace.
        r = safe_repr(v)
        if len(r) > MAX_REPR or " at 0x" in r or r.startswith("<"):
            return None
        # `datetime.date(1988, 10, 27)` in a module that did `from datetime import date`: `date(1988, 10, 27)`.
        candidates = [r]
        t = type(v)
        full = f"{t.__module__}.{t.__qualname__}("
        local = next((n for n, x in vars(self.module).items() if x is t and not n.startswith("_")), None) if r.startswith(full) else None
        if local:
            candidates.append(local + "(" + r[len(full):])
        for r in candidates:
            try:
                ns = dict(vars(self.module))
                back = eval(r, {"__builtins__": builtins}, ns)  # noqa: S307 - the value's own repr
                if type(back) is type(v) and back == v:
                    head = r.split("(", 1)[0]
                    if head.split(".")[0] in vars(self.module) or head in dir(builtins):
                        return r
            except BaseException:  # noqa: BLE001 - any failure means "not rebuildable"
                continue
        return None

    def has_float(self, v, depth=0):
        if isinstance(v, float):
            return True
        if depth > 4:
            return False
        if isinstance(v, (list, tuple, set, frozenset)):
            return any(self.has_float(x, depth + 1) for x in v)
        if isinstance(v, dict):
            return any(self.has_float(x, depth + 1) for x in v.values())
        return False

    def approx_ok(self, v):
        """pytest.approx handles a number, or a flat list/tuple/dict of numbers (not nested, no NaN)."""
        num = lambda x: isinstance(x, (int, float)) and not isinstance(x, bool) and not (isinstance(x, float) and math.isnan(x))
        if isinstance(v, float):
            return num(v)
        if type(v) in (list, tuple):
            return len(v) > 0 and all(num(x) for x in v)
        if type(v) is dict:
            return len(v) > 0 and all(num(x) for x in v.values())
        return False

    def attrs(self, v):
        d = getattr(v, "__dict__", None)
        if not isinstance(d, dict) or isinstance(v, type) or isinstance(v, types.ModuleType):
            return []
        out = []
        for k, x in list(d.items())[:40]:
            if k.startswith("_") or callable(x):
                continue
            e = self.expr(x)
            if e is not None and len(e) <= 200:
                out.append({"name": k, "expr": e, "float": self.has_float(x), "approx": self.approx_ok(x)})
            if len(out) >= 8:
                break
        return out

    def describe(self, v):
        t = type(v)
        e = self.expr(v)
        return {
            "type": type_name(t),
            "module": t.__module__,
            "repr": safe_repr(v)[:MAX_REPR],
            "expr": e,
            "canon": self.canon(v)[:4000],
            "float": self.has_float(v),
            "approx": self.approx_ok(v),
            "nan": isinstance(v, float) and math.isnan(v),
            "len": len(v) if isinstance(v, (str, bytes, list, tuple, dict, set, frozenset)) else None,
            "attrs": self.attrs(v) if e is None else [],
            "parts": self.parts(v),
        }

    def parts(self, v):
        """Rebuildable elements of a sequence result (first, middle, last), to feed other calls."""
        if type(v) not in (list, tuple) or not v:
            return []
        out = []
        for x in (v[0], v[len(v) // 2], v[-1]):
            e = self.expr(x)
            if e is not None and len(e) <= 300 and e not in out:
                out.append(e)
        return out


def safe_repr(v):
    try:
        return repr(v)
    except BaseException as e:  # noqa: BLE001 - a broken __repr__ is a property of the value
        return f"<unrepresentable {type(v).__name__}: {type(e).__name__}>"


# --------------------------------------------------------------------------------------------------- inspection

BUILTIN_TYPES = {int: "int", float: "float", str: "str", bool: "bool", bytes: "bytes", complex: "complex",
                 type(None): "none", bytearray: "bytes"}


def describe_type(tp, module, depth=0):
    if depth > 4:
        return {"kind": "any"}
    if tp is inspect.Parameter.empty or tp is typing.Any or tp is object:
        return {"kind": "any"}
    if tp is None or tp is type(None):
        return {"kind": "none"}
    if tp in BUILTIN_TYPES:
        return {"kind": "builtin", "name": BUILTIN_TYPES[tp]}
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Union or (types.UnionType is not None and isinstance(tp, types.UnionType)):
        return {"kind": "union", "options": [describe_type(a, module, depth + 1) for a in args]}
    if origin is typing.Literal:
        return {"kind": "literal", "values": [repr(a) for a in args if isinstance(a, (str, int, float, bool, bytes)) or a is None]}
    if tp in (list, set, frozenset, tuple, dict) or origin in (list, set, frozenset, tuple, dict):
        base = origin or tp
        import collections.abc as cabc  # noqa: F401
        if base is dict:
            return {"kind": "dict", "key": describe_type(args[0], module, depth + 1) if args else {"kind": "any"},
                    "value": describe_type(args[1], module, depth + 1) if len(args) > 1 else {"kind": "any"}}
        if base is tuple:
            if len(args) == 2 and args[1] is Ellipsis:
                return {"kind": "tuple", "item": describe_type(args[0], module, depth + 1)}
            if args:
                return {"kind": "tuple", "items": [describe_type(a, module, depth + 1) for a in args]}
            return {"kind": "tuple", "item": {"kind": "any"}}
        kind = {list: "list", set: "set", frozenset: "set"}[base]
        return {"kind": kind, "item": describe_type(args[0], module, depth + 1) if args else {"kind": "any"}}
    import collections.abc as cabc
    if origin in (cabc.Sequence, cabc.Iterable, cabc.MutableSequence, cabc.Collection):
        return {"kind": "list", "item": describe_type(args[0], module, depth + 1) if args else {"kind": "any"}}
    if origin in (cabc.Mapping, cabc.MutableMapping):
        return {"kind": "dict", "key": describe_type(args[0], module, depth + 1) if args else {"kind": "any"},
                "value": describe_type(args[1], module, depth + 1) if len(args) > 1 else {"kind": "any"}}
    if origin in (cabc.Set, cabc.MutableSet):
        return {"kind": "set", "item": describe_type(args[0], module, depth + 1) if args else {"kind": "any"}}
    if origin is cabc.Callable or tp is cabc.Callable or tp is typing.Callable:
        return {"kind": "callable"}
    if isinstance(tp, type):
        path = attribute_path(tp, module)
        if issubclass(tp, enum.Enum):
            if path:
                return {"kind": "enum", "ref": path, "members": [m.name for m in tp][:50]}
            return {"kind": "any"}
        if path:
            return {"kind": "class", "ref": path}
        return {"kind": "any", "hint": type_name(tp)}
    return {"kind": "any"}


def attribute_path(obj, module):
    """Dotted path of `obj` inside `module` (e.g. 'Cart' or 'Cart.Item'), or None."""
    if getattr(obj, "__module__", None) != module.__name__:
        return None
    qual = getattr(obj, "__qualname__", "")
    if "<locals>" in qual:
        return None
    cur = module
    for part in qual.split("."):
        cur = getattr(cur, part, None)
        if cur is None:
            return None
    return qual if cur is obj else None


def default_repr(value, describer):
    if value is inspect.Parameter.empty:
        return None
    return describer.expr(value)


def source_span(obj):
    try:
        lines, start = inspect.getsourcelines(obj)
        return [start, start + len(lines) - 1]
    except (OSError, TypeError):
        return None


PARAM_KIND = {
    inspect.Parameter.POSITIONAL_ONLY: "positional",
    inspect.Parameter.POSITIONAL_OR_KEYWORD: "either",
    inspect.Parameter.VAR_POSITIONAL: "varargs",
    inspect.Parameter.KEYWORD_ONLY: "keyword",
    inspect.Parameter.VAR_KEYWORD: "varkw",
}


def describe_params(fn, module, describer, skip_first=False):
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # noqa: BLE001 - unresolvable annotations: fall back to none
        hints = {}
    params = []
    for i, p in enumerate(sig.parameters.values()):
        if skip_first and i == 0:
            continue
        params.append({
            "name": p.name,
            "kind": PARAM_KIND[p.kind],
            "type": describe_type(hints.get(p.name, p.annotation if not isinstance(p.annotation, str) else inspect.Parameter.empty), module),
            "hasDefault": p.default is not inspect.Parameter.empty,
            "default": default_repr(p.default, describer),
            "defaultIsNone": p.default is None,
        })
    return params


def list_callables(module, describer):
    out = []
    modname = module.__name__
    for name, obj in list(vars(module).items()):
        if name.startswith("__"):
            continue
        if inspect.isclass(obj):
            if attribute_path(obj, module) != name:
                continue
            out.extend(describe_class(obj, name, module, describer))
        elif callable(obj) and getattr(obj, "__module__", None) == modname:
            params = describe_params(obj, module, describer)
            if params is None:
                continue
            is_bound = inspect.ismethod(obj)
            out.append({
                "kind": "function", "name": name, "qualname": name, "params": params,
                "span": source_span(obj.__func__ if is_bound else obj),
                "isGenerator": inspect.isgeneratorfunction(obj),
                "isAsync": inspect.iscoroutinefunction(obj),
                "doc": bool(getattr(obj, "__doc__", None)),
            })
    return out


def describe_class(cls, path, module, describer):
    out = []
    is_enum = issubclass(cls, enum.Enum)
    is_exc = issubclass(cls, BaseException)
    is_abstract = inspect.isabstract(cls)
    ctor = None
    if not is_enum:
        try:
            ctor_params = describe_params(cls, module, describer)
        except Exception:  # noqa: BLE001
            ctor_params = None
        ctor = ctor_params
    entry = {
        "kind": "class", "name": path, "qualname": path, "params": ctor or [],
        "constructible": ctor is not None and not is_enum and not is_abstract,
        "span": source_span(cls), "isEnum": is_enum, "isException": is_exc,
        "isDataclass": dataclasses.is_dataclass(cls),
        "members": [m.name for m in cls][:50] if is_enum else [],
        "iterable": "__iter__" in vars(cls) or "__next__" in vars(cls),
        "bases": [attribute_path(b, module) for b in cls.__mro__[1:] if attribute_path(b, module)],
        "fields": class_fields(cls, module),
    }
    out.append(entry)
    seen = set()
    for klass in cls.__mro__:
        if klass is object or getattr(klass, "__module__", None) != module.__name__:
            continue
        for name, raw in vars(klass).items():
            if name in seen or (name.startswith("__") and name not in ("__call__", "__len__", "__str__", "__repr__", "__iter__", "__next__")):
                continue
            if len(name) > 2 and name.startswith("_") and name.endswith("_") and not name.startswith("__"):  # enum's _sunder_ names
                continue
            seen.add(name)
            if klass is not cls:
                continue  # inherited methods are tested on the class that defines them
            if isinstance(raw, property):
                if raw.fget is not None:
                    out.append({"kind": "property", "name": name, "qualname": f"{path}.{name}", "owner": path,
                                "params": [], "span": source_span(raw.fget)})
                continue
            if isinstance(raw, staticmethod):
                fn, kind, skip = raw.__func__, "staticmethod", False
            elif isinstance(raw, classmethod):
                fn, kind, skip = raw.__func__, "classmethod", True
            elif inspect.isfunction(raw):
                fn, kind, skip = raw, "method", True
            else:
                continue
            params = describe_params(fn, module, describer, skip_first=skip)
            if params is None:
                continue
            out.append({
                "kind": kind, "name": name, "qualname": f"{path}.{name}", "owner": path, "params": params,
                "span": source_span(fn), "isGenerator": inspect.isgeneratorfunction(fn),
                "isAsync": inspect.iscoroutinefunction(fn),
            })
    return out


FIELD_TYPES = {bool: "bool", int: "int", float: "float", str: "str", bytes: "bytes"}


def class_fields(cls, module):
    """Public instance attributes the class's own methods assign (``self.debug = 0``), with the type of the
    constant they start from (``any`` when it is not a constant): state a test may set before a call."""
    try:
        tree = ast.parse(__import__("textwrap").dedent(inspect.getsource(cls)))
    except (OSError, TypeError, SyntaxError):
        return []
    members = set()
    for klass in cls.__mro__:
        members.update(vars(klass))
    out = {}
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Assign, ast.AnnAssign)):
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for t in targets:
            if not (isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self"):
                continue
            name = t.attr
            if name.startswith("_") or name in members:
                continue
            kind = "any"
            if isinstance(node.value, ast.Constant) and node.value.value is not None:
                kind = FIELD_TYPES.get(type(node.value.value), "any")
            if out.get(name, "any") == "any":
                out[name] = kind
    return [{"name": n, "type": k} for n, k in list(out.items())[:30]]


# --------------------------------------------------------------------------------------------------- literals

STR_METHODS = {"startswith", "endswith", "split", "rsplit", "strip", "lstrip", "rstrip", "lower", "upper", "replace",
               "find", "rfind", "index", "isdigit", "isalpha", "isspace", "expandtabs", "splitlines", "encode",
               "translate", "partition", "rpartition", "casefold", "isalnum", "format", "count"}


def harvest(tree, spans):
    """Constants per function span, with boundary neighbours of compared numbers, and per-parameter hints."""
    module_pool = []
    per_line = []  # (line, literal) to attribute later

    def lit(value):
        if isinstance(value, bool) or value is None:
            return None
        if isinstance(value, (int, float)):
            if isinstance(value, int) and abs(value) > 10 ** 12:
                return None
            return {"source": repr(value), "kind": "float" if isinstance(value, float) else "int", "value": value}
        if isinstance(value, str):
            if len(value) > 120:
                return None
            return {"source": repr(value), "kind": "str", "value": value}
        if isinstance(value, bytes):
            if len(value) > 120:
                return None
            return {"source": repr(value), "kind": "bytes"}
        return None

    for node in ast.walk(tree):
        if isinstance(node, ast.Constant):
            item = lit(node.value)
            if item:
                per_line.append((node.lineno, item))
        if isinstance(node, ast.Compare):
            for c in [node.left, *node.comparators]:
                if isinstance(c, ast.Constant) and isinstance(c.value, int) and not isinstance(c.value, bool):
                    for d in (-1, 1):
                        per_line.append((node.lineno, {"source": repr(c.value + d), "kind": "int", "value": c.value + d}))
                if isinstance(c, (ast.Tuple, ast.List, ast.Set)):
                    for e in c.elts:
                        if isinstance(e, ast.Constant):
                            item = lit(e.value)
                            if item:
                                per_line.append((node.lineno, item))

    pools = {}
    for line, item in per_line:
        owner = None
        for qual, span in spans.items():
            if span and span[0] <= line <= span[1]:
                if owner is None or (span[1] - span[0]) < (spans[owner][1] - spans[owner][0]):
                    owner = qual
        key = owner or ""
        bucket = pools.setdefault(key, {})
        bucket.setdefault(item["source"], item)
        if len(module_pool) < 400 and all(m["source"] != item["source"] for m in module_pool):
            module_pool.append(item)
    return {k: list(v.values())[:120] for k, v in pools.items()}, module_pool


LIST_METHODS = {"append", "extend", "insert", "reverse", "sort"}
ARITHMETIC = (ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Pow, ast.Mod)


def _number_constant(node):
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool)


def param_hints(tree):
    """Types suggested by how each function uses its parameters: isinstance checks, str and list methods,
    comparisons with constants, arithmetic, ``range``, iteration, subscripts, path functions, calls of the
    parameter, ``class:Name`` when the attributes it uses on a parameter are all members of one of the module's
    classes, and what the module's own functions it passes the parameter to make of it."""
    hints = {}
    members = class_members(tree)
    numeric_names = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and _number_constant(node.value):
            numeric_names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    functions = {}  # qualname -> (parameter names as positionally bound by a call, is a method)
    strong = {}  # qualname -> parameter -> types from operations (not isinstance): what callers inherit
    calls = {}  # qualname -> [(callee key, [(parameter index or keyword name, argument name)])]
    class_methods = {}  # method name -> qualnames defining it

    def numeric(node):
        return _number_constant(node) or (isinstance(node, ast.Name) and node.id in numeric_names) or (
            isinstance(node, ast.UnaryOp) and numeric(node.operand)) or (
            isinstance(node, ast.BinOp) and isinstance(node.op, ARITHMETIC + (ast.Add,)) and (numeric(node.left) or numeric(node.right))
            and not any(isinstance(x, ast.Constant) and isinstance(x.value, (str, bytes)) for x in (node.left, node.right)))

    class Visitor(ast.NodeVisitor):
        def __init__(self):
            self.stack = []
            self.classes = []

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
            functions[qual] = (positional, in_class)
            if in_class:
                class_methods.setdefault(node.name, []).append(qual)
            names = {a.arg for a in node.args.args + node.args.kwonlyargs + node.args.posonlyargs}
            found = {}
            operations = {}
            used_attrs = {}
            floaty = any(isinstance(c, ast.Constant) and isinstance(c.value, float) for c in ast.walk(node))
            number = "float" if floaty else "int"
            my_calls = calls.setdefault(qual, [])
            enclosing_class = self.classes[-1] if in_class else None

            def add(name, t, operation=True):
                if name in names:
                    found.setdefault(name, [])
                    if t not in found[name]:
                        found[name].append(t)
                    if operation:
                        operations.setdefault(name, [])
                        if t not in operations[name]:
                            operations[name].append(t)

            for sub in ast.walk(node):
                if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id == "isinstance" and len(sub.args) == 2:
                    target = sub.args[0]
                    if isinstance(target, ast.Name):
                        kinds = sub.args[1].elts if isinstance(sub.args[1], ast.Tuple) else [sub.args[1]]
                        for k in kinds:
                            if isinstance(k, ast.Name) and k.id in ("str", "int", "float", "bytes", "list", "tuple", "dict", "bool", "set"):
                                add(target.id, k.id, operation=False)
                if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.attr in STR_METHODS:
                    add(sub.value.id, "str")
                elif isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.attr in LIST_METHODS:
                    add(sub.value.id, "list")
                elif isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.value.id in names:
                    used_attrs.setdefault(sub.value.id, set()).add(sub.attr)
                if isinstance(sub, ast.Compare):
                    operands = [sub.left, *sub.comparators]
                    for a, b in zip(operands, operands[1:]):
                        for x, c in ((a, b), (b, a)):
                            if not isinstance(x, ast.Name):
                                continue
                            if isinstance(c, ast.Constant) and isinstance(c.value, str):
                                add(x.id, "str")
                            elif _number_constant(c):
                                add(x.id, "float" if isinstance(c.value, float) else "int")
                            elif isinstance(c, ast.Name) and c.id in numeric_names:
                                add(x.id, number)
                if isinstance(sub, ast.BinOp) and isinstance(sub.op, ARITHMETIC + (ast.Add,)):
                    for x, other in ((sub.left, sub.right), (sub.right, sub.left)):
                        if not isinstance(x, ast.Name):
                            continue
                        if isinstance(sub.op, ast.Mult) and isinstance(other, (ast.Constant, ast.List, ast.Tuple)) and not _number_constant(other):
                            add(x.id, "int")  # '-' * n, [0] * n
                        elif isinstance(sub.op, ast.Mod) and x is sub.right and isinstance(other, ast.Constant) and isinstance(other.value, str):
                            pass  # '%s' % x says nothing
                        elif isinstance(sub.op, ast.Add) and isinstance(other, ast.Constant) and isinstance(other.value, str):
                            add(x.id, "str")
                        elif numeric(other) or (isinstance(sub.op, (ast.Sub, ast.Div, ast.Pow)) and isinstance(other, (ast.Name, ast.BinOp))):
                            add(x.id, "float" if isinstance(sub.op, ast.Div) and floaty else number)
                if isinstance(sub, ast.AugAssign) and isinstance(sub.target, ast.Name):
                    if numeric(sub.value):
                        add(sub.target.id, number)
                    elif isinstance(sub.value, ast.Constant) and isinstance(sub.value.value, str):
                        add(sub.target.id, "str")
                if isinstance(sub, ast.UnaryOp) and isinstance(sub.op, ast.USub) and isinstance(sub.operand, ast.Name):
                    add(sub.operand.id, number)
                if isinstance(sub, ast.For) and isinstance(sub.iter, ast.Name):
                    add(sub.iter.id, "list")
                if isinstance(sub, ast.comprehension) and isinstance(sub.iter, ast.Name):
                    add(sub.iter.id, "list")
                if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id in ("len", "sorted", "list", "iter", "enumerate") and sub.args and isinstance(sub.args[0], ast.Name):
                    add(sub.args[0].id, "list" if sub.func.id != "len" else "sized")
                if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id == "range":
                    for a in sub.args:
                        if isinstance(a, ast.Name):
                            add(a.id, "int")
                if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and isinstance(sub.func.value, ast.Attribute) and isinstance(sub.func.value.value, ast.Name) and sub.func.value.value.id == "os" and sub.func.value.attr == "path":
                    for a in sub.args:
                        if isinstance(a, ast.Name):
                            add(a.id, "str")
                if isinstance(sub, ast.Subscript) and isinstance(sub.value, ast.Name):
                    add(sub.value.id, "sized")
                if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id in names:
                    add(sub.func.id, "callable")
                if isinstance(sub, ast.Call):
                    # A call of the module's own function or method: what it makes of its parameters, callers inherit.
                    f = sub.func
                    key = None
                    if isinstance(f, ast.Name):
                        key = ("name", f.id)
                    elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id in ("self", "cls"):
                        key = ("method", f.attr, enclosing_class)
                    if key:
                        bound = [(i, a.id) for i, a in enumerate(sub.args) if isinstance(a, ast.Name) and a.id in names]
                        bound += [(k.arg, k.value.id) for k in sub.keywords if k.arg and isinstance(k.value, ast.Name) and k.value.id in names]
                        if bound:
                            my_calls.append((key, bound))
            for param, attrs in used_attrs.items():
                if param in ("self", "cls") or param in found:
                    continue
                owners = [c for c, m in members.items() if attrs <= m]
                if 0 < len(owners) <= 3:
                    for c in owners:
                        add(param, "class:" + c)
            if found:
                hints[qual] = found
            strong[qual] = operations
            self.stack.append(node.name)
            self.generic_visit(node)
            self.stack.pop()

        visit_AsyncFunctionDef = visit_FunctionDef

    Visitor().visit(tree)

    def callee(key):
        """(qualname, offset of the first argument among its positional parameters) of a call key, or None."""
        if key[0] == "name":
            if key[1] in functions and not functions[key[1]][1]:
                return key[1], 0
            if f"{key[1]}.__init__" in functions:
                return f"{key[1]}.__init__", 1
            return None
        name, cls = key[1], key[2]
        if cls and f"{cls}.{name}" in functions:
            return f"{cls}.{name}", 1
        owners = class_methods.get(name, [])
        return (owners[0], 1) if len(owners) == 1 else None

    for _ in range(3):
        changed = False
        for qual, entries in calls.items():
            for key, bound in entries:
                target = callee(key)
                if not target or target[0] == qual:
                    continue
                params, offset = functions[target[0]][0], target[1]
                for at, arg in bound:
                    param = params[at + offset] if isinstance(at, int) and at + offset < len(params) else at if isinstance(at, str) else None
                    for t in strong.get(target[0], {}).get(param, []):
                        mine = hints.setdefault(qual, {}).setdefault(arg, [])
                        if t not in mine:
                            mine.append(t)
                            strong.setdefault(qual, {}).setdefault(arg, []).append(t)
                            changed = True
        if not changed:
            break
    return hints


def with_pattern_subjects(hints, found):
    """``hints`` plus ``str`` for each parameter a function matches against a regular expression."""
    callables = {c["qualname"]: c for c in found.get("callables", [])}
    for qual, entries in found.get("patterns", {}).items():
        c = callables.get(qual) or callables.get(qual.rsplit(".", 1)[0] if qual.endswith(".__init__") else "")
        if not c:
            continue
        key = f"{c['qualname']}.__init__" if c["kind"] == "class" else qual
        for e in entries:
            for name in e["subjects"]:
                if name in {p["name"] for p in c["params"]}:
                    mine = hints.setdefault(key, {}).setdefault(name, [])
                    if "str" not in mine:
                        mine.append("str")
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


# ---------------------------------------------------------------------------------------- regular expressions
# The patterns the module matches its input against (``re.compile``/``re.match``/... with a literal pattern, and
# compiled patterns referenced by name), and strings made from them with the interpreter's own regex parser:
# strings that match (every alternative, optional parts present and absent) and near misses (one character
# changed, one dropped, one added, the empty string) that do not. Deterministic: the choices come from a
# generator seeded with the pattern's checksum.

try:
    from re import _constants as _sre, _parser as _sre_parse
except ImportError:  # Python < 3.11
    import sre_constants as _sre  # noqa: F401 - deprecated alias, the only one there
    import sre_parse as _sre_parse

RE_FUNCS = {"compile", "match", "fullmatch", "search", "findall", "finditer", "sub", "subn", "split"}
RE_METHODS = {"match", "fullmatch", "search", "findall", "finditer", "sub", "subn", "split"}
# Index of the string argument and of the flags argument of each ``re`` function.
RE_SUBJECT_ARG = {"match": 1, "fullmatch": 1, "search": 1, "findall": 1, "finditer": 1, "split": 1, "sub": 2, "subn": 2}
RE_FLAGS_ARG = {"compile": 1, "match": 2, "fullmatch": 2, "search": 2, "findall": 2, "finditer": 2, "split": 3, "sub": 4, "subn": 4}
MAX_PATTERNS = 8
MAX_REGEX_STRINGS = 16
MAX_NEAR_MISSES = 6
_REGEX_POOL = "aAzZ019_ -.,:;/=+@#!?()[]'\"\tx"


class RegexStrings:
    """Strings that fully match a pattern, and near misses, from its parse tree (``sre_parse``)."""

    def __init__(self, pattern, flags=0):
        self.regex = re.compile(pattern, flags)
        self.tree = _sre_parse.parse(pattern, flags)
        self.rng = random.Random(zlib.crc32(f"{flags}:{pattern}".encode("utf-8", "surrogatepass")))
        self.mode = "random"
        self.drop = None
        self.force = {}
        self.pick_index = 0

    # -- characters
    def _category_ok(self, cat, ch):
        name = str(getattr(cat, "name", cat)).upper()
        if "NOT_" in name:
            return not self._category_ok(name.replace("NOT_", ""), ch)
        if "DIGIT" in name:
            return ch.isdigit()
        if "SPACE" in name:
            return ch.isspace()
        if "WORD" in name:
            return ch.isalnum() or ch == "_"
        if "LINEBREAK" in name:
            return ch == "\n"
        return False

    def _in_class(self, items, ch):
        negate, hit = False, False
        for op, av in items:
            if op is _sre.NEGATE:
                negate = True
            elif op is _sre.LITERAL:
                hit = hit or ord(ch) == av
            elif op is _sre.RANGE:
                hit = hit or av[0] <= ord(ch) <= av[1]
            elif op is _sre.CATEGORY:
                hit = hit or self._category_ok(av, ch)
        return hit != negate

    def _class_candidates(self, items):
        out = []
        negated = any(op is _sre.NEGATE for op, _ in items)
        if not negated:
            for op, av in items:
                if op is _sre.LITERAL:
                    out.append(chr(av))
                elif op is _sre.RANGE:
                    lo, hi = av
                    out.extend(chr(c) for c in sorted({lo, hi, (lo + hi) // 2, min(hi, lo + 1)}))
                elif op is _sre.CATEGORY:
                    out.extend(self._category_chars(av))
        out.extend(c for c in _REGEX_POOL if c not in out)
        return [c for c in out if self._in_class(items, c)]

    def _category_chars(self, cat):
        name = str(getattr(cat, "name", cat)).upper()
        if "NOT_" in name:
            return [c for c in _REGEX_POOL if not self._category_ok(name.replace("NOT_", ""), c)]
        if "DIGIT" in name:
            return list("1072")
        if "SPACE" in name:
            return [" ", "\t"]
        if "WORD" in name:
            return list("ab1Z_")
        return []

    def _pick(self, candidates):
        if not candidates:
            raise ValueError("no character fits")
        if self.mode == "random":
            return self.rng.choice(candidates[:8])
        return candidates[min(self.pick_index, len(candidates) - 1)]

    # -- structure
    def _count(self, node, lo, hi):
        hi = min(hi, lo + 3)
        if node is self.drop:
            return lo
        if self.mode == "min":
            return lo
        if self.mode == "max":
            return min(hi, lo + 1)
        return self.rng.choice([n for n in range(lo, hi + 1)] + [lo])

    def _gen(self, items, groups, out, depth=0):
        if depth > 40 or len(out) > 400:
            raise ValueError("pattern too deep")
        for op, av in items:
            if op is _sre.LITERAL:
                out.append(chr(av))
            elif op is _sre.NOT_LITERAL:
                out.append(self._pick([c for c in _REGEX_POOL if ord(c) != av]))
            elif op is _sre.ANY:
                out.append(self._pick(list("ax1")))
            elif op is _sre.IN:
                out.append(self._pick(self._class_candidates(av)))
            elif op is _sre.CATEGORY:
                out.append(self._pick(self._category_chars(av)))
            elif op is _sre.BRANCH:
                alternatives = av[1]
                i = 0 if self.mode == "min" else len(alternatives) - 1 if self.mode == "max" else self.rng.randrange(len(alternatives))
                i = self.force.get(id(av), i)
                self._gen(alternatives[i], groups, out, depth + 1)
            elif op is _sre.SUBPATTERN:
                group, sub = av[0], av[-1]
                part = []
                self._gen(sub, groups, part, depth + 1)
                out.extend(part)
                if group:
                    groups[group] = "".join(part)
            elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) or op is getattr(_sre, "POSSESSIVE_REPEAT", None):
                lo, hi, sub = av
                for _ in range(self._count(av, lo, hi)):
                    self._gen(sub, groups, out, depth + 1)
            elif op is getattr(_sre, "ATOMIC_GROUP", None):
                self._gen(av, groups, out, depth + 1)
            elif op is _sre.GROUPREF:
                out.append(groups.get(av, ""))
            elif op is _sre.GROUPREF_EXISTS:
                group, yes, no = av
                branch = yes if group in groups else no
                if branch is not None:
                    self._gen(branch, groups, out, depth + 1)
            elif op in (_sre.AT, _sre.ASSERT, _sre.ASSERT_NOT):
                continue  # anchors hold by construction; lookarounds are left to the final check
            else:
                raise ValueError(f"unsupported {op}")

    def _one(self, mode, drop=None, force=None, pick_index=0):
        self.mode, self.drop, self.force, self.pick_index = mode, drop, force or {}, pick_index
        out = []
        self._gen(self.tree, {}, out)
        return "".join(out)

    def _choice_nodes(self, items, optional, branches):
        """The repeats that may be absent and the alternations of the tree, outermost first."""
        for op, av in items:
            if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) or op is getattr(_sre, "POSSESSIVE_REPEAT", None):
                if av[0] == 0:
                    optional.append(av)
                self._choice_nodes(av[2], optional, branches)
            elif op is _sre.SUBPATTERN:
                self._choice_nodes(av[-1], optional, branches)
            elif op is _sre.BRANCH:
                branches.append(av)
                for alt in av[1]:
                    self._choice_nodes(alt, optional, branches)
        return optional, branches

    def matches(self):
        """Up to ``MAX_REGEX_STRINGS`` distinct strings that ``fullmatch`` the pattern (``search`` it when none
        can, as with lookarounds): all optional parts absent, all present (with a class's typical character,
        then with the next one: ``1`` then ``0`` for a digit), each alternative of the outer alternations, each optional part dropped alone, then random choices."""
        made = []
        optional, branches = self._choice_nodes(self.tree, [], [])
        # (mode, optional part left out, alternative forced, which of a class's characters: 0 typical, 1 next)
        attempts = [("min", None, None, 0), ("max", None, None, 0), ("max", None, None, 1)]
        attempts += [("max", None, {id(b): i}, 0) for b in branches[:4] for i in range(min(len(b[1]) - 1, 4))]
        attempts += [("max", node, None, 0) for node in optional[:4]]
        attempts += [("random", None, None, 0)] * 24
        for mode, drop, force, pick_index in attempts:
            try:
                s = self._one(mode, drop, force, pick_index)
            except (ValueError, RecursionError):
                continue
            if len(s) <= 200 and s not in made:
                made.append(s)
        full = [s for s in made if self.regex.fullmatch(s)]
        chosen = full or [s for s in made if self.regex.search(s)]
        return chosen[:MAX_REGEX_STRINGS]

    def near_misses(self, matching):
        """Strings next to matching ones that do not ``fullmatch``: one character changed, one dropped, one
        added at the end, and the empty string."""
        out = []

        def add(s):
            if len(out) < MAX_NEAR_MISSES and s not in out and s not in matching and not self.regex.fullmatch(s):
                out.append(s)

        add("")
        for s in matching[:3]:
            if not s:
                continue
            for at in sorted({len(s) // 2, 0, len(s) - 1}):
                ch = s[at]
                other = "x" if ch.isdigit() else "7" if ch.isalpha() else "a"
                add(s[:at] + other + s[at + 1:])
                add(s[:at] + s[at + 1:])
            add(s + "!")
        return out


def regex_strings(pattern, flags=0):
    """``(matches, near_misses)`` for a pattern, or ``([], [])`` when it cannot be generated from."""
    try:
        gen = RegexStrings(pattern, flags)
        matching = gen.matches()
        return matching, gen.near_misses(matching)
    except Exception:  # noqa: BLE001 - an unusual pattern only means no strings from it
        return [], []


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
    if not re_modules and not re_funcs:
        return {}
    string_modules = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names if a.name == "string"}
    str_constants = {}

    def fold(node):
        """The value of a str expression built from literals, module-level str constants, ``string.X``,
        ``re.escape``, ``+``, ``%`` and f-strings; None when it is not that."""
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, str) else None
        if isinstance(node, ast.Name):
            return str_constants.get(node.id)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in string_modules:
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
                and node.func.value.id in re_modules and node.func.attr == "escape" and len(node.args) == 1):
            value = fold(node.args[0])
            return None if value is None else re.escape(value)
        return None

    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            value = fold(node.value)
            if value is not None and len(value) <= 4000:
                for t in node.targets if isinstance(node, ast.Assign) else [node.target]:
                    if isinstance(t, ast.Name):
                        str_constants[t.id] = value

    def re_function(call):
        f = call.func
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id in re_modules and f.attr in RE_FUNCS:
            return f.attr
        if isinstance(f, ast.Name) and f.id in re_funcs:
            return re_funcs[f.id]
        return None

    def flags_of(node):
        if node is None:
            return 0
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in re_modules:
            value = getattr(re, node.attr, None)
            return int(value) if isinstance(value, re.RegexFlag) else None
        if isinstance(node, ast.Name) and node.id in re_flags:
            return int(getattr(re, node.id))
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitOr, ast.Add)):
            a, b = flags_of(node.left), flags_of(node.right)
            return None if a is None or b is None else a | b
        return None

    def pattern_entry(call, fn):
        args = list(call.args)
        kw = {k.arg: k.value for k in call.keywords if k.arg}
        pat = args[0] if args else kw.get("pattern")
        text = fold(pat) if pat is not None else None
        if text is None:
            return None
        at = RE_FLAGS_ARG.get(fn)
        flags = flags_of(args[at] if at is not None and len(args) > at else kw.get("flags"))
        if flags is None:
            flags = 0
        subjects = set()
        at = RE_SUBJECT_ARG.get(fn)
        subject = args[at] if at is not None and len(args) > at else kw.get("string")
        name = _base_name(subject) if subject is not None else None
        if name:
            subjects.add(name)
        return {"pattern": text, "flags": int(flags), "subjects": subjects}

    # Patterns bound to a name: `NAME = re.compile(...)` at module level, or as a class attribute.
    named, attr_named, bound = {}, {}, set()
    scopes = [(tree.body, named)] + [(n.body, attr_named) for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    for body, table in scopes:
        for node in body:
            if not isinstance(node, ast.Assign):
                continue
            found = []
            for sub in ast.walk(node.value):
                if isinstance(sub, ast.Call) and re_function(sub) == "compile":
                    entry = pattern_entry(sub, "compile")
                    bound.add(id(sub))
                    if entry:
                        found.append(entry)
            if found:
                for t in node.targets:
                    if isinstance(t, ast.Name):
                        # A module-level name is how a test can reach the compiled pattern (`RE_DATE.match(...)`).
                        named_entries = [{**e, "name": t.id} for e in found] if table is named and len(found) == 1 else found
                        table.setdefault(t.id, []).extend(named_entries)

    def owner_of(line):
        owner = ""
        for qual, span in spans.items():
            if span and span[0] <= line <= span[1] and (not owner or (span[1] - span[0]) < (spans[owner][1] - spans[owner][0])):
                owner = qual
        return owner

    per_owner = {}

    def attribute(owner, entry, subjects=()):
        bucket = per_owner.setdefault(owner, {})
        key = (entry["pattern"], entry["flags"])
        item = bucket.setdefault(key, {"pattern": entry["pattern"], "flags": entry["flags"], "subjects": set()})
        item["subjects"] |= set(entry["subjects"]) | set(subjects)
        if entry.get("name"):
            item["name"] = entry["name"]

    # Every module-level compiled pattern is also listed at module level (''), used by a function or not.
    for entries in named.values():
        for entry in entries:
            attribute("", entry)

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            fn = re_function(node)
            if fn and id(node) not in bound:
                entry = pattern_entry(node, fn)
                if entry:
                    attribute(owner_of(node.lineno), entry)
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
                    attribute(owner_of(node.lineno), entry, [name] if name else [])
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
    out = {}
    for owner, bucket in per_owner.items():
        items = sorted(bucket.values(), key=lambda e: -len(e["subjects"]))[:MAX_PATTERNS]
        out[owner] = [{"pattern": e["pattern"], "flags": e["flags"], "subjects": sorted(e["subjects"]), **({"name": e["name"]} if e.get("name") else {})}
                      for e in items]
    return out


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
            if matching or misses:
                out.setdefault(owner, []).append({**e, "matches": matching, "nearMisses": misses})
    return out


def raise_lines(tree):
    """Lines of the module's ``raise`` and ``assert`` statements (every line of a multi-line one)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Raise, ast.Assert)):
            out.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return out


def external_names(module):
    """Names the module imported from elsewhere, with the import statement a test needs to use them."""
    out = {}
    for name, obj in list(vars(module).items()):
        if name.startswith("__"):
            continue
        if isinstance(obj, types.ModuleType):
            real = obj.__name__
            out[name] = f"import {real}" if real == name else f"import {real} as {name}"
            continue
        if not (inspect.isclass(obj) or inspect.isfunction(obj) or inspect.isbuiltin(obj)):
            continue
        origin = getattr(obj, "__module__", None)
        real = getattr(obj, "__name__", None)
        if not origin or not real or origin == module.__name__ or origin == "builtins":
            continue
        if getattr(sys.modules.get(origin), real, None) is not obj:
            continue
        out[name] = f"from {origin} import {real}" if real == name else f"from {origin} import {real} as {name}"
    return out


def harvest_doctests(module):
    out = []
    finder = doctest.DocTestFinder(recurse=True, exclude_empty=True)
    try:
        tests = finder.find(module, module.__name__)
    except Exception:  # noqa: BLE001 - a module whose doctests cannot be collected has none for us
        return out
    for t in tests:
        if not t.examples:
            continue
        name = t.name[len(module.__name__) + 1:] if t.name.startswith(module.__name__ + ".") else ""
        out.append({"qualname": name, "examples": [{"source": e.source.strip(), "want": e.want.strip()} for e in t.examples][:30]})
    return out


# --------------------------------------------------------------------------------------------------- guard

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
NO_DIR_FD = (None, -1, getattr(os, "AT_FDCWD", -100))
MAX_EFFECTS = 10
MAX_EFFECT_TEXT = 160


def fd_folder(fd):
    """The folder an open directory descriptor names (Linux), or None when it cannot be told."""
    try:
        return os.readlink(f"/proc/self/fd/{int(fd)}")
    except (OSError, ValueError, TypeError):
        return None


def short(text):
    text = str(text)
    return text if len(text) <= MAX_EFFECT_TEXT else text[:MAX_EFFECT_TEXT - 3] + "..."


def format_address(address):
    if isinstance(address, tuple) and len(address) >= 2 and isinstance(address[1], int):
        host = address[0].decode("utf-8", "replace") if isinstance(address[0], bytes) else str(address[0])
        return f"[{host}]:{address[1]}" if ":" in host else f"{host}:{address[1]}"
    if isinstance(address, bytes):
        address = address.decode("utf-8", "replace")
    return short(address if isinstance(address, str) else repr(address))


def command_text(args):
    if isinstance(args, bytes):
        args = os.fsdecode(args)
    if isinstance(args, (list, tuple)):
        args = [os.fsdecode(a) if isinstance(a, (bytes, os.PathLike)) else a for a in args]
    return short(repr(args))


class Guard:
    """An audit hook (``sys.addaudithook``) that blocks, with ``PermissionError``, and records what code under test
    tries to do outside the worker's scratch folder: write, create, change, move or delete a file there, use the
    network (anything but a Unix socket inside the folder), start a process or send a signal. Reads are never
    guarded. It acts while ``active`` (the module's import, each plan) and, once armed, in every thread but the
    worker's own, so a thread the code started keeps being watched after its call returned."""

    def __init__(self, root):
        self.root = os.path.realpath(root)
        self.prefix = self.root.rstrip(os.sep) + os.sep
        self.active = False
        self.armed = False
        self.blocking = True
        self.main_thread = _thread.get_ident()
        self.effects = []
        self.handlers = self.event_handlers()
        sys.addaudithook(self.hook)

    def start(self, keep=False, block=True):
        """Watches from now on; with ``block`` False (the import inside bubblewrap, which contains it) it records
        what the code tries without refusing it, so a module that runs ``git`` at import still imports."""
        if not keep:
            self.effects = []
        self.blocking = block
        self.armed = True
        self.active = True

    def stop(self):
        self.active = False
        return list(self.effects)

    def hook(self, event, args):
        handler = self.handlers.get(event)
        if handler is None or not (self.active or (self.armed and _thread.get_ident() != self.main_thread)):
            return
        what = handler(args)
        if what is not None:
            if what not in self.effects and len(self.effects) < MAX_EFFECTS:
                self.effects.append(what)
            if self.blocking:
                raise PermissionError(errno.EPERM, f"blocked by Test Agent's sandbox: {what}")

    def event_handlers(self):
        at = lambda a, i: a[i] if len(a) > i else None  # noqa: E731 - argument i of an event, if it has one
        check = self.check
        delete = lambda a: check("delete", a[0], at(a, 1), follow=False)  # noqa: E731
        change = lambda a: check("change", a[0])  # noqa: E731
        spawn = lambda i: lambda a: f"spawn {command_text(at(a, i))}"  # noqa: E731
        handlers = {
            "open": self.on_open,
            "os.remove": delete, "os.rmdir": delete, "shutil.rmtree": delete,
            "os.rename": lambda a: check("move", a[0], at(a, 2), follow=False) or check("move", a[1], at(a, 3), follow=False),
            "shutil.move": lambda a: check("move", a[0], follow=False) or check("move", a[1]),
            "os.mkdir": self.on_mkdir,
            "os.chmod": lambda a: check("change", a[0], at(a, 2)),
            "os.chown": lambda a: check("change", a[0], at(a, 3)),
            "os.utime": lambda a: check("change", a[0], at(a, 3)),
            "os.truncate": lambda a: check("write", a[0]),
            "os.chflags": change, "os.lchflags": change, "os.setxattr": change, "os.removexattr": change,
            "shutil.chown": change,
            "os.link": lambda a: check("link", a[1], at(a, 3), follow=False) or check("link", a[0], at(a, 2)),
            "os.symlink": lambda a: check("link", a[1], at(a, 2), follow=False),
            "shutil.copyfile": lambda a: check("write", a[1]), "shutil.copymode": lambda a: check("change", a[1]),
            "shutil.copystat": lambda a: check("change", a[1]), "shutil.copytree": lambda a: check("write", a[1]),
            "shutil.make_archive": lambda a: check("write", a[0]),
            "shutil.unpack_archive": lambda a: check("write", at(a, 1) or ".", root_ok=True),
            "subprocess.Popen": spawn(1), "os.system": spawn(0), "os.exec": spawn(1), "os.posix_spawn": spawn(1),
            "os.spawn": spawn(2), "pty.spawn": spawn(0),
            "os.fork": lambda a: "spawn fork", "os.forkpty": lambda a: "spawn forkpty",
            "os.kill": lambda a: f"signal {a[0]}", "os.killpg": lambda a: f"signal group {a[0]}",
            "signal.pthread_kill": lambda a: f"signal thread {a[0]}",
        }
        for event, verb in (("socket.connect", "connect"), ("socket.bind", "bind"), ("socket.sendto", "send"), ("socket.sendmsg", "send")):
            handlers[event] = self.network(verb)
        return handlers

    def on_open(self, args):
        path, mode, flags = (tuple(args) + (None, None, None))[:3]
        if isinstance(path, int):
            return None
        write = (flags & WRITE_FLAGS) if isinstance(flags, int) else any(c in str(mode or "") for c in "wax+")
        return self.check("write", path) if write else None

    def on_mkdir(self, args):
        real = self.where(args[0], args[2] if len(args) > 2 else None, follow=False)
        if self.inside(real):
            return None
        if real and os.path.lexists(real):
            # It would fail anyway: the error the call expects (``makedirs(..., exist_ok=True)`` relies on it).
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), os.fsdecode(os.fspath(args[0])))
        return f"create {short(real)}"

    def network(self, verb):
        def handler(args):
            address = args[1] if len(args) > 1 else None
            if address is None:
                return None  # sendmsg on a connected socket: its connect was checked
            unix = getattr(socket, "AF_UNIX", None)
            if unix is not None and getattr(args[0], "family", None) == unix and isinstance(address, (str, bytes)):
                if address[:1] not in ("\0", b"\0") and self.inside(self.where(address)):
                    return None
            return f"{verb} {format_address(address)}"
        return handler

    def check(self, verb, path, dir_fd=None, follow=True, root_ok=False):
        """`verb path` when `path` is outside the scratch folder, else None."""
        real = self.where(path, dir_fd, follow)
        if self.inside(real) or (root_ok and real == self.root):
            return None
        return f"{verb} {short(real)}"

    def inside(self, real):
        return real is None or real.startswith(self.prefix) or real == os.devnull

    def where(self, path, dir_fd=None, follow=True):
        """The real absolute path `path` names ('?' when unknown); None for an open descriptor (checked when it
        was opened). Without `follow`, the last part is not resolved: deleting a link deletes the link."""
        if isinstance(path, int):
            return None
        try:
            p = os.fsdecode(os.fspath(path))
            if not os.path.isabs(p):
                base = os.getcwd() if dir_fd in NO_DIR_FD else fd_folder(dir_fd)
                if base is None:
                    return "?"
                p = os.path.join(base, p)
            if follow:
                return os.path.realpath(p)
            head, tail = os.path.split(p.rstrip(os.sep) or os.sep)
            if tail in ("", ".", ".."):
                return os.path.realpath(p)
            return os.path.join(os.path.realpath(head), tail)
        except (OSError, TypeError, ValueError):
            return "?"


# --------------------------------------------------------------------------------------------------- machine values

LAUNCHER_VARIABLES = frozenset({"PYTHONHASHSEED", "PYTHONDONTWRITEBYTECODE", "PYTHONNOUSERSITE", "PYTHONIOENCODING", "NO_COLOR"})
PLAIN_WORDS = frozenset({"true", "false", "none", "null", "yes"})


def machine_values(cwd):
    """Texts that tell this machine and this run apart: the environment's values (4 characters or more; not the
    variables the launcher sets itself, not plain numbers or booleans), each folder of a path list, the scratch
    folder, HOME and TMPDIR (real paths too). A result that shows one of them would not hold elsewhere."""
    found = set()

    def add(value):
        if value and len(value) >= 4 and not value.isdigit() and value.lower() not in PLAIN_WORDS:
            found.add(value)

    for name, value in os.environ.items():
        if name in LAUNCHER_VARIABLES:
            continue
        add(value)
        if os.pathsep in value:
            for part in value.split(os.pathsep):
                if part.startswith(os.sep):
                    add(part)
    for folder in (cwd, os.environ.get("HOME"), os.environ.get("TMPDIR")):
        if folder:
            add(folder)
            add(os.path.realpath(folder))
    return sorted(found, key=len, reverse=True)


def filter_machine_values(result, values):
    """Removes what shows one of `values`: an attribute alone when only it does (a calendar's ``locale`` holding
    ``LANG``), else the value, output and message with ``machineDependent`` set; the types stay assertable."""
    shows = lambda text: bool(text) and any(v in text for v in values)  # noqa: E731
    if "receiverAttrs" in result:
        result["receiverAttrs"] = [a for a in result["receiverAttrs"] if not shows(a["expr"])]
    value = result.get("value")
    if value:
        value = {**value, "attrs": [a for a in value.get("attrs", []) if not shows(a["expr"])],
                 "parts": [p for p in value.get("parts", []) if not shows(p)]}
        result["value"] = value
    exception = result.get("exception")
    whole = [result.get("stdout") or "", (exception or {}).get("message") or ""]
    if value:
        whole += [value.get("repr") or "", value.get("expr") or "", value.get("canon") or ""]
    if not any(shows(t) for t in whole):
        return
    result["machineDependent"] = True
    if value:
        result["value"] = {**value, "repr": "", "expr": None, "canon": "<machine-dependent>", "float": False,
                           "approx": False, "nan": False, "len": None, "attrs": [], "parts": []}
    if "receiverAttrs" in result:
        result["receiverAttrs"] = []
    if exception:
        result["exception"] = {**exception, "message": ""}
    result["stdout"] = ""


# --------------------------------------------------------------------------------------------------- execution

class Worker:
    def __init__(self):
        self.module = None
        self.tracer = None
        self.shape = None
        self.describer = None
        self.raise_lines = set()
        self.cwd = os.getcwd()
        self.plan_files = set()
        self.guard = Guard(self.cwd)
        self.machine = machine_values(self.cwd)

    def load(self, req):
        root, name, file = req["importRoot"], req["moduleName"], os.path.realpath(req["file"])
        if root not in sys.path:
            sys.path.insert(0, root)
        self.tracer = ArcTracer(file)
        # Inside bubblewrap the import may try what it likes (the sandbox contains it; the report says what it
        # tried); unconfined, the guard refuses it.
        self.guard.start(block=not CONFINED)
        self.tracer.start()
        try:
            self.module = importlib.import_module(name)
        finally:
            raw = self.tracer.stop()
            self.guard.stop()
        real = os.path.realpath(getattr(self.module, "__file__", "") or "")
        if real != file:
            raise RuntimeError(f"import {name} loaded {real}, not {file}")
        self.tracer.module_globals = vars(self.module)
        self.shape = Shape(file)
        self.describer = Describer(self.module)
        lines, branches = self.shape.measure(raw)
        with open(file, encoding="utf-8") as fh:
            source = fh.read()
        tree = ast.parse(source)
        self.raise_lines = raise_lines(tree)
        # Listing the module runs its code too (descriptors, reprs of constants, doctest collection): guarded.
        self.guard.start(keep=True)
        try:
            found = self.inspect_module(tree)
        finally:
            effects = self.guard.stop()
        found.update({
            "paramHints": with_pattern_subjects(param_hints(tree), found),
            "shape": {
                "statements": sorted(self.shape.statements),
                "branches": sorted(self.shape.branch_arcs),
            },
            "baseline": {"lines": lines, "branches": branches},
        })
        if effects:
            found["importEffects"] = effects
        return found

    def inspect_module(self, tree):
        callables = list_callables(self.module, self.describer)
        spans = {c["qualname"]: c["span"] for c in callables if c.get("span")}
        pools, module_pool = harvest(tree, spans)
        constants = []
        for cname, value in vars(self.module).items():
            if cname.startswith("__") or isinstance(value, (types.ModuleType, type)) or callable(value):
                continue
            e = self.describer.expr(value)
            if e is not None and len(e) <= 200:
                constants.append({"name": cname, "type": type_name(type(value))})
        return {
            "callables": callables,
            "externalNames": external_names(self.module),
            "literals": pools,
            "moduleLiterals": module_pool,
            "patterns": module_patterns(tree, spans),
            "constants": constants[:100],
            "doctests": harvest_doctests(self.module),
        }

    def namespace(self):
        """Names a literal may use: the module's, then ``io`` (in-memory streams) and ``_file`` (a file in the
        working directory, which the emitted test creates under ``tmp_path``)."""
        ns = {"io": io, "_file": self.make_file}
        ns.update(vars(self.module))
        return ns

    def make_file(self, name, text):
        """Writes `text` to `name` in the working directory for the current plan; returns `name`."""
        if os.path.dirname(name) or name.startswith("."):
            raise ValueError(f"not a plain file name: {name!r}")
        with open(os.path.join(self.cwd, name), "w", encoding="utf-8") as fh:
            fh.write(text)
        self.plan_files.add(name)
        return name

    # Expressions: {"kind": "lit", "source"} | {"kind": "ref", "path"} | {"kind": "var", "index"}
    #            | {"kind": "attr", "target", "name"} | {"kind": "call", "callee", "args": [...], "keywords": [[name, expr], ...]}
    #            | {"kind": "list", "iterable": expr}
    def evaluate(self, e, env):
        k = e["kind"]
        if k == "lit":
            return eval(e["source"], {"__builtins__": builtins}, self.namespace())  # noqa: S307 - our own literals
        if k == "ref":
            cur = self.module
            for part in e["path"].split("."):
                cur = getattr(cur, part)
            return cur
        if k == "var":
            return env[e["index"]]
        if k == "attr":
            return getattr(self.evaluate(e["target"], env), e["name"])
        if k == "call":
            fn = self.evaluate(e["callee"], env)
            args = [self.evaluate(a, env) for a in e.get("args", [])]
            kw = {n: self.evaluate(a, env) for n, a in e.get("keywords", [])}
            return fn(*args, **kw)
        if k == "list":
            return list(self.evaluate(e["iterable"], env))
        raise ValueError(f"unknown expression kind {k}")

    def prepare(self):
        """Each plan starts alike whatever the one before did: in the scratch folder, with the worker's own time
        limit handler (the module may have ignored SIGALRM at import)."""
        signal.signal(signal.SIGALRM, on_alarm)
        if os.getcwd() != self.cwd:
            os.chdir(self.cwd)

    def run_plan(self, plan, timeout_s):
        self.prepare()
        before = set(os.listdir(self.cwd))
        self.plan_files = set()
        out_buf = CaptureIO()
        self.guard.start()
        try:
            env, outcome, before_attrs, raw = self.run_steps(plan, timeout_s, out_buf)
            # Describing the value runs its code too (reprs, properties): still guarded.
            result = self.plan_result(plan, env, outcome, before_attrs, raw)
        finally:
            effects = self.guard.stop()
        result["stdout"] = out_buf.getvalue()[:2000]
        self.tidy(result, before)
        if effects:
            result["outsideEffects"] = effects[:MAX_EFFECTS]
        if self.machine:
            filter_machine_values(result, self.machine)
        return result

    def run_steps(self, plan, timeout_s, out_buf):
        """Runs the plan's steps under the tracer and the time limit: (values, outcome, receiver attributes
        before the last step, raw arcs)."""
        env, outcome, before_attrs, listified_at = [], None, {}, -1
        steps, receiver = plan["steps"], plan.get("receiver")
        self.tracer.start()
        signal.setitimer(signal.ITIMER_REAL, timeout_s)
        old_out, old_err = sys.stdout, sys.stderr
        sys.stdout = out_buf
        sys.stderr = CaptureIO()
        try:
            for i, step in enumerate(steps):
                try:
                    if i == len(steps) - 1 and receiver is not None and receiver < len(env):
                        before_attrs = {a["name"]: a["expr"] for a in self.describer.attrs(env[receiver])}
                    value = self.evaluate(step, env)
                    if inspect.isgenerator(value) or isinstance(value, (map, filter, zip, enumerate, reversed)):
                        listified_at = i
                        items = []
                        for x in value:
                            items.append(x)
                            if len(items) > MAX_ITEMS:
                                break
                        outcome = {"listified": True, "truncated": len(items) > MAX_ITEMS}
                        value = items
                    env.append(value)
                except CallTimeout:
                    raise
                except BaseException as ex:  # noqa: BLE001 - the outcome under test
                    if isinstance(ex, KeyboardInterrupt):
                        raise
                    outcome = self.raised(ex, i, listified_at == i)
                    break
        except CallTimeout:
            outcome = {"status": "timeout"}
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            sys.stdout, sys.stderr = old_out, old_err
            raw = self.tracer.stop()
        return env, outcome, before_attrs, raw

    def raised(self, ex, step, listified):
        tb = traceback.extract_tb(ex.__traceback__)
        return {
            "status": "raised", "step": step, "listified": listified,
            "exception": {"type": type(ex).__qualname__, "module": type(ex).__module__,
                          "message": str(ex)[:300], "path": attribute_path(type(ex), self.module),
                          "inModule": any(os.path.realpath(f.filename) == self.tracer.filename for f in tb),
                          "explicit": self.raised_deliberately(tb),
                          "line": tb[-1].lineno if tb and os.path.realpath(tb[-1].filename) == self.tracer.filename else None},
        }

    def plan_result(self, plan, env, outcome, before_attrs, raw):
        lines, branches = self.shape.measure(raw)
        result = {"lines": lines, "branches": branches}
        if outcome is not None and "status" in outcome:
            result.update(outcome)
            return result
        listified = bool(outcome and outcome.get("listified"))
        last = env[-1] if env else None
        result.update({"status": "ok", "value": self.describer.describe(last), "listified": listified})
        receiver = plan.get("receiver")
        if receiver is not None and receiver < len(env) - 1:
            # Only attributes the call under test changed: they say what the call did.
            result["receiverAttrs"] = [a for a in self.describer.attrs(env[receiver]) if before_attrs.get(a["name"]) != a["expr"]]
        elif receiver is not None and receiver == len(env) - 1 and len(env) == 1:
            result["receiverAttrs"] = self.describer.attrs(env[0])
        return result

    def tidy(self, result, before):
        """Reports the files the plan left in the scratch folder and removes them."""
        after = set(os.listdir(self.cwd))
        if after == before:
            return
        # Files the plan wrote through `_file` are its input, not a side effect of the code under test.
        effects = sorted(after - before - self.plan_files)[:10]
        if effects:
            result["sideEffects"] = effects
        for extra in after - before:
            try:
                p = os.path.join(self.cwd, extra)
                if os.path.isdir(p) and not os.path.islink(p):
                    shutil.rmtree(p, ignore_errors=True)
                else:
                    os.remove(p)
            except OSError:
                pass

    def raised_deliberately(self, tb):
        """The exception left the module under test from one of its own ``raise`` or ``assert`` statements."""
        if not tb:
            return False
        last = tb[-1]
        return os.path.realpath(last.filename) == self.tracer.filename and last.lineno in self.raise_lines

    def run_doctest(self, qualname, timeout_s):
        obj = self.module
        for part in [p for p in qualname.split(".") if p]:
            obj = getattr(obj, part)
        finder = doctest.DocTestFinder(recurse=False)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
        out_buf = io.StringIO()
        self.prepare()
        self.guard.start()
        self.tracer.start()
        signal.setitimer(signal.ITIMER_REAL, timeout_s)
        status = "ok"
        old_out = sys.stdout
        sys.stdout = out_buf
        try:
            for t in finder.find(obj, getattr(obj, "__name__", self.module.__name__), globs=dict(vars(self.module))):
                runner.run(t, out=out_buf.write)
        except CallTimeout:
            status = "timeout"
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            sys.stdout = old_out
            raw = self.tracer.stop()
            effects = self.guard.stop()
        lines, branches = self.shape.measure(raw)
        result = {"status": status, "lines": lines, "branches": branches, "doctest": {"attempted": runner.tries, "failed": runner.failures}}
        if effects:
            result["outsideEffects"] = effects[:MAX_EFFECTS]
        return result

    def execute(self, req, reply):
        timeout_s = max(0.001, req.get("timeoutMs", 1000) / 1000)
        for index, plan in enumerate(req["plans"]):
            try:
                if plan.get("doctest") is not None:
                    result = self.run_doctest(plan["doctest"], timeout_s)
                else:
                    result = self.run_plan(plan, timeout_s)
            except CallTimeout:
                result = {"status": "timeout", "lines": [], "branches": []}
            except Exception as ex:  # noqa: BLE001 - a plan the worker could not even build
                result = {"status": "invalid", "error": f"{type(ex).__name__}: {ex}"[:300], "lines": [], "branches": []}
            reply({"id": req["id"], "index": index, "result": result})


def on_alarm(signum, frame):
    raise CallTimeout()


def main():
    global PROTO_IN, PROTO_OUT
    # Keep the protocol on private copies of fds 0/1; point 0/1/2 elsewhere so stray writes cannot corrupt it.
    PROTO_IN = os.fdopen(os.dup(0), "r", encoding="utf-8")
    PROTO_OUT = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    log = os.open(os.path.join(os.getcwd(), ".worker-output.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    sys.stdin = NoStdin()
    sys.stdout = io.StringIO()
    sys.stderr = io.StringIO()
    signal.signal(signal.SIGALRM, on_alarm)
    sys.setrecursionlimit(3000)
    # No bytecode next to the module (outside the scratch folder); the launcher asks for none too.
    sys.dont_write_bytecode = True
    worker = Worker()

    def reply(obj):
        PROTO_OUT.write(json.dumps(obj, default=repr) + "\n")
        PROTO_OUT.flush()

    reply({"ready": True, "pid": os.getpid()})
    for line in PROTO_IN:
        line = line.strip()
        if not line:
            continue
        req = json.loads(line)
        try:
            op = req.get("op")
            if op == "load":
                reply({"id": req["id"], "result": worker.load(req)})
            elif op == "execute":
                worker.execute(req, reply)
                reply({"id": req["id"], "done": True})
            elif op == "ping":
                reply({"id": req["id"], "result": {"pong": True}})
            else:
                reply({"id": req["id"], "error": f"unknown op {op}"})
        except CallTimeout:
            reply({"id": req["id"], "error": "timed out"})
        except BaseException as ex:  # noqa: BLE001 - reported to the caller, the worker stays up
            if isinstance(ex, KeyboardInterrupt):
                raise
            reply({"id": req["id"], "error": f"{type(ex).__name__}: {ex}", "trace": traceback.format_exc()[-2000:]})


if __name__ == "__main__":
    main()
