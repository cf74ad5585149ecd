"""The module's interface: its callables (functions, classes, methods, properties) with parameters and type hints,
the public fields its classes assign, the names it imported from elsewhere and its doctests."""

import ast
import dataclasses
import doctest
import enum
import inspect
import sys
import types
import typing

from .values import type_name


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


def defined_in(fn, module):
    """The function's source is the module's file (not functools' for what ``total_ordering`` added)."""
    try:
        return inspect.getsourcefile(fn) == inspect.getsourcefile(module)
    except TypeError:
        return False


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
            if name in seen or (name.startswith("__") and name not in CALLED_DUNDERS):
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
            span = source_span(fn)
            if name.startswith("__") and (span is None or not defined_in(fn, module)):
                continue  # a special method made by a decorator (dataclass, total_ordering): not the module's code
            params = describe_params(fn, module, describer, skip_first=skip)
            if params is None:
                continue
            out.append({
                "kind": kind, "name": name, "qualname": f"{path}.{name}", "owner": path, "params": params,
                "span": span, "isGenerator": inspect.isgeneratorfunction(fn),
                "isAsync": inspect.iscoroutinefunction(fn),
            })
    return out


_BINARY = ("add", "sub", "mul", "matmul", "truediv", "floordiv", "mod", "pow", "lshift", "rshift", "and", "or", "xor")
# Special methods the search calls like any method (the emitted tests write the operator or builtin they stand for:
# ``x + 2``, ``2 + x``, ``abs(x)``, ``x[k]``, ``k in x``; ``x.__setitem__(k, v)`` and ``x.__iadd__(y)`` stay calls,
# an assignment is no expression): arithmetic with its reflected and in-place forms, comparisons, unary operators,
# conversions, rounding, containers. Not __hash__ (hash() reduces what __hash__ returns), nor __bool__
# (listed, it cost graphlib a third of its coverage: 94.3 -> 60.8 %, cause not yet found).
CALLED_DUNDERS = frozenset(
    ["__call__", "__len__", "__str__", "__repr__", "__iter__", "__next__", "__contains__", "__getitem__", "__setitem__",
     "__delitem__", "__bytes__"]
    + [f"__{op}__" for op in _BINARY] + [f"__r{op}__" for op in _BINARY] + [f"__i{op}__" for op in _BINARY]
    + [f"__{c}__" for c in ("eq", "ne", "lt", "le", "gt", "ge", "neg", "pos", "invert", "abs", "int", "float",
                               "complex", "round", "trunc", "floor", "ceil", "format", "divmod", "rdivmod")]
)


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
