"""How the worker describes a value to the adapter: its type, repr, a Python expression rebuilding it (what a
test asserts on), a process-independent text to compare runs, and the attributes of an object."""

import builtins
import enum
import math
import types

from .summaries import SUMMARY_OVER, summary

MAX_REPR = 400
MAX_ITEMS = 200


# This package's own name: its types are the worker's stand-ins for pytest's (captured stdin and stdout).
WORKER_PACKAGE = __name__.split(".")[0]


def type_name(t):
    mod = getattr(t, "__module__", "")
    qual = getattr(t, "__qualname__", getattr(t, "__name__", str(t)))
    if mod.split(".")[0] == WORKER_PACKAGE:
        # ``sys.stdin.buffer`` is the worker's object here and pytest's under the test: no test can name its type.
        return f"<the test runner's {qual}>"
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
        """Public attributes a test can assert (from ``__dict__``, else ``__slots__``): those a literal writes (up
        to 8), then those that are objects of a class with its own ``__str__`` (or lists of them), by their text, and
        the object's own text when its class (not a builtin one) has its own ``__str__``: ``{"name": "__str__",
        "via": "str"}`` (a ``datetime`` with a time zone, a ``Decimal``, an object of the module)."""
        if isinstance(v, type) or isinstance(v, types.ModuleType):
            return []
        d = getattr(v, "__dict__", None)
        items = list(d.items())[:40] if isinstance(d, dict) else _slot_items(v)
        out, by_text = [], []
        for k, x in items:
            if k.startswith("_") or callable(x):
                continue
            e = self.expr(x)
            if e is not None and len(e) <= 200:
                if len(out) < 8:
                    out.append({"name": k, "expr": e, "float": self.has_float(x), "approx": self.approx_ok(x)})
            elif len(by_text) < 3:
                text = _texts(x)
                if text is not None:
                    by_text.append({"name": k, "expr": text[1], "float": False, "approx": False, "via": text[0]})
        own = _own_text(v)
        if own is not None:
            by_text.append({"name": "__str__", "expr": repr(own), "float": False, "approx": False, "via": "str"})
        return out + by_text

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
            "summary": summary(self, v) if e is None or len(e) > SUMMARY_OVER else None,
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


MAX_TEXT = 300


def _own_text(x):
    """``str(x)`` when ``x``'s class (not a builtin one) defines ``__str__`` or ``__repr__`` itself, short, and
    free of addresses; else None."""
    cls = type(x)
    if (cls.__module__ == "builtins" or (cls.__str__ is object.__str__ and cls.__repr__ is object.__repr__)
            or isinstance(x, enum.Enum)):
        # An enum member's text changed between Python versions (3.11: an IntEnum's str is its value).
        return None
    try:
        text = str(x)
    except KeyboardInterrupt:
        raise
    except BaseException:  # noqa: BLE001 - a broken __str__ (even one raising SystemExit) is nothing to assert
        return None
    if not isinstance(text, str) or len(text) > MAX_TEXT or " at 0x" in text:
        return None
    return text


def _texts(x):
    """``("str", source)`` for an object with text of its own (``_own_text``), ``("str-items", source)`` for a
    non-empty list or tuple of such objects; else None."""
    one = _own_text(x)
    if one is not None:
        return "str", repr(one)
    if type(x) in (list, tuple) and 0 < len(x) <= 8:
        items = [_own_text(i) for i in x]
        if all(i is not None for i in items) and sum(len(i) for i in items) <= MAX_TEXT:
            return "str-items", repr(items)
    return None


def _slot_items(v):
    """(name, value) of the ``__slots__`` attributes an object without ``__dict__`` has set (at most 40)."""
    out = []
    for klass in type(v).__mro__:
        slots = vars(klass).get("__slots__", ())
        for name in [slots] if isinstance(slots, str) else slots:
            try:
                out.append((name, getattr(v, name)))
            except Exception:  # noqa: BLE001 - an unset slot, or a property over it that raises
                continue
    return out[:40]
