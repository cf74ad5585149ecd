"""The type hints usage evidence yields (the protocol's ``TypeHint`` objects) and the vocabularies that map a use of a
value to one: methods called on it, builtins it is passed to, the types an ``isinstance`` check names."""

import json

from .literals import STR_METHODS

ANY = {"kind": "any"}
STR = {"kind": "builtin", "name": "str"}
INT = {"kind": "builtin", "name": "int"}
FLOAT = {"kind": "builtin", "name": "float"}
BOOL = {"kind": "builtin", "name": "bool"}
BYTES = {"kind": "builtin", "name": "bytes"}
CALLABLE = {"kind": "callable"}
# A readable and writable text stream (what ``typing.TextIO`` annotates), a binary one, and the name of a file that exists (what
# ``open(x)`` needs): ``any`` hints with the type's name, as the worker describes those annotations.
STREAM = {"kind": "any", "hint": "typing.TextIO"}
BINARY_STREAM = {"kind": "any", "hint": "typing.BinaryIO"}
PATH = {"kind": "any", "hint": "os.PathLike"}
# A match of a regular expression (``m.group(1)``, ``m.groups()``): the engine builds it with one of the module's patterns.
MATCH = {"kind": "any", "hint": "re.Match"}
# Internal only: ``len(x)``, ``x[i]``, ``x[a:b]``, ``v in x`` say "a str or a list" unless something else says more.
SIZED = {"kind": "sized"}


def list_of(item=None):
    return {"kind": "list", "item": item or ANY}


def set_of(item=None):
    return {"kind": "set", "item": item or ANY}


def dict_of(key=None, value=None):
    return {"kind": "dict", "key": key or STR, "value": value or ANY}


def tuple_of(n):
    return {"kind": "tuple", "items": [ANY] * n}


def class_ref(name):
    return {"kind": "class", "ref": name}


def key(hint):
    """A hint's identity, for deduplication."""
    return json.dumps(hint, sort_keys=True)


def add_unique(hints, hint):
    """Appends ``hint`` unless an equal one is there; returns whether it was added."""
    if any(key(h) == key(hint) for h in hints):
        return False
    hints.append(hint)
    return True


def union(hints):
    """One hint for several (``None`` for none): the hint itself, else a union of the distinct ones."""
    out = []
    for h in hints:
        add_unique(out, h)
    if not out:
        return None
    return out[0] if len(out) == 1 else {"kind": "union", "options": out}


# Methods that say which type their receiver is (``count``/``index`` belong to str and list alike: sized).
METHOD_HINTS = {m: STR for m in STR_METHODS - {"count", "index"}}
METHOD_HINTS.update({m: STR for m in ("join", "isupper", "islower", "istitle", "zfill", "center", "ljust", "rjust",
                                       "capitalize", "title", "swapcase", "removeprefix", "removesuffix", "isnumeric",
                                       "isdecimal", "isidentifier", "isprintable", "maketrans")})
METHOD_HINTS.update({m: list_of() for m in ("append", "extend", "insert", "reverse", "sort", "remove")})
METHOD_HINTS.update({m: set_of() for m in ("add", "discard", "issubset", "issuperset", "isdisjoint",
                                            "intersection", "difference", "symmetric_difference")})
METHOD_HINTS.update({m: dict_of() for m in ("items", "keys", "values", "setdefault", "popitem", "get")})
METHOD_HINTS.update({m: STREAM for m in ("read", "readline", "readlines", "write", "writelines", "flush", "seek",
                                         "tell", "fileno", "truncate", "readable", "writable", "seekable")})
METHOD_HINTS.update({m: MATCH for m in ("group", "groups", "groupdict", "span", "start", "end", "lastindex",
                                           "lastgroup")})
METHOD_HINTS.update({"decode": BYTES, "hex": BYTES, "bit_length": INT, "to_bytes": INT, "is_integer": FLOAT,
                     "as_integer_ratio": FLOAT, "conjugate": FLOAT, "count": SIZED, "index": SIZED})
# Hints from methods that name a protocol more than a type: they leave room for a class of the module that has them.
WEAK_METHOD_HINTS = {key(STREAM), key(dict_of()), key(MATCH)}

# What the first argument of a builtin must be. ``None``: the number type the function computes with.
BUILTIN_FIRST_ARG = {
    "len": [SIZED], "sorted": [list_of()], "list": [list_of()], "tuple": [list_of()], "set": [list_of()],
    "frozenset": [list_of()], "iter": [list_of()], "enumerate": [list_of()], "reversed": [list_of()],
    "zip": [list_of()], "any": [list_of()], "all": [list_of()], "dict": [dict_of()],
    "chr": [INT], "hex": [INT], "oct": [INT], "bin": [INT], "ord": [STR], "abs": [None], "round": [None],
    "divmod": [INT], "int": [STR, FLOAT], "float": [STR, INT], "open": [PATH],
}
# ``os.path`` functions that look at a file that exists; the others take any path text.
FILE_PATH_FUNCTIONS = {"exists", "isfile", "getsize", "getmtime", "getatime", "getctime", "lexists", "samefile"}

# Types an ``isinstance`` check may name: builtins, abstract bases, io classes.
ISINSTANCE_HINTS = {
    "str": STR, "int": INT, "float": FLOAT, "bool": BOOL, "bytes": BYTES, "bytearray": BYTES, "list": list_of(),
    "tuple": {"kind": "tuple", "item": ANY}, "dict": dict_of(), "set": set_of(), "frozenset": set_of(),
    "Mapping": dict_of(), "MutableMapping": dict_of(), "Sequence": list_of(), "MutableSequence": list_of(),
    "Iterable": list_of(), "Collection": list_of(), "Iterator": list_of(), "Set": set_of(), "MutableSet": set_of(),
    "Callable": CALLABLE, "Number": FLOAT, "Real": FLOAT, "Integral": INT, "Complex": FLOAT,
    "IOBase": STREAM, "TextIOBase": STREAM, "StringIO": STREAM, "TextIOWrapper": STREAM,
    "BytesIO": BINARY_STREAM, "BufferedIOBase": BINARY_STREAM, "RawIOBase": BINARY_STREAM,
}


def constant_hint(value):
    """The hint of a constant a value is compared with (None for None and other constants)."""
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    if isinstance(value, float):
        return FLOAT
    if isinstance(value, str):
        return STR
    if isinstance(value, bytes):
        return BYTES
    return None


def format_spec_hint(spec):
    """``f"{x:.2f}"`` says float, ``f"{x:d}"``/``{x:x}`` say int; other specs nothing."""
    if not spec:
        return None
    kind = spec[-1]
    if kind in "eEfFgG%":
        return FLOAT
    if kind in "dxXob":
        return INT
    return None
