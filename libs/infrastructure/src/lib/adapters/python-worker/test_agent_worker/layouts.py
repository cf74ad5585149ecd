"""Bytes laid out the way a function of the module reads them: a function that unpacks its input with ``struct``
(``magic = unpack('<I', buf[:4])[0]``, ``if magic == self.MAGIC``, then ``unpack('<4I', buf[4:20])``) gets sample
inputs that start with a constant it compares an unpacked value with, packed in the format it reads it with, then
the other records it unpacks, with small counts and offsets that point inside the sample. Each sample is Python
source the engine passes as bytes (``io.BytesIO(struct.pack('<I', Catalog.MAGIC) + struct.pack('<4I', 0, 1, 20, 28))``),
so the emitted test shows how its input was made."""

import ast
import random
import struct

from .usage import UNPACKERS, _called_name

SAMPLES_PER_FUNCTION = 12


def binary_samples(tree, module):
    """Bytes literals (the protocol's ``literals`` entries, ``kind`` bytes, source ``struct.pack(...)``) per
    qualname of a function that unpacks what it reads; a fixed seed, so a module gets the same samples each load."""
    out = {}
    rng = random.Random(1)

    def walk(body, prefix, cls):
        for node in body:
            if isinstance(node, ast.ClassDef):
                walk(node.body, prefix + node.name + ".", prefix + node.name)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                samples = _samples(node, cls, module, rng)
                if samples:
                    out[prefix + node.name] = samples

    walk(tree.body, "", None)
    return out


def _formats(node):
    """The constant formats the function unpacks with, in source order (each once), that ``struct`` accepts."""
    found = []
    for sub in ast.walk(node):
        if (isinstance(sub, ast.Call) and _called_name(sub) in UNPACKERS and sub.args
                and isinstance(sub.args[0], ast.Constant) and isinstance(sub.args[0].value, str)):
            try:
                struct.calcsize(sub.args[0].value)
            except struct.error:
                continue
            found.append((sub.lineno, sub.col_offset, sub.args[0].value))
    out = []
    for _, _, fmt in sorted(found):
        if fmt not in out:
            out.append(fmt)
    return out


def _unpacked_names(node):
    """Name -> (format, index) of each value unpacked with a constant format: ``magic = unpack('<I', b)[0]``,
    ``a, b = unpack('<2I', b)``, ``size, = unpack('<I', b)``."""
    names = {}
    for sub in ast.walk(node):
        if not (isinstance(sub, ast.Assign) and len(sub.targets) == 1):
            continue
        value, index = sub.value, None
        if isinstance(value, ast.Subscript) and isinstance(value.slice, ast.Constant) and type(value.slice.value) is int:
            value, index = value.value, value.slice.value
        if not (isinstance(value, ast.Call) and _called_name(value) in UNPACKERS and value.args
                and isinstance(value.args[0], ast.Constant) and isinstance(value.args[0].value, str)):
            continue
        fmt, target = value.args[0].value, sub.targets[0]
        if index is not None and isinstance(target, ast.Name):
            names[target.id] = (fmt, index)
        elif index is None and isinstance(target, ast.Tuple):
            for i, e in enumerate(target.elts):
                if isinstance(e, ast.Name):
                    names[e.id] = (fmt, i)
    return names


def _constraints(node, cls, module):
    """(format, index) -> Python source of each int constant the value unpacked there is compared with for
    equality: a literal, a module-level name (``VERSION``) or an attribute of the method's class (``self.MAGIC`` ->
    ``Catalog.MAGIC``)."""
    unpacked = _unpacked_names(node)
    out = {}
    for sub in ast.walk(node):
        if not (isinstance(sub, ast.Compare) and len(sub.ops) == 1 and isinstance(sub.ops[0], (ast.Eq, ast.NotEq))):
            continue
        for a, b in ((sub.left, sub.comparators[0]), (sub.comparators[0], sub.left)):
            source = _int_source(b, cls, module) if isinstance(a, ast.Name) and a.id in unpacked else None
            if source and source not in out.setdefault(unpacked[a.id], []):
                out[unpacked[a.id]].append(source)
    return out


def _int_source(node, cls, module):
    """Source naming an int the test can reach: a literal, a module global, an attribute of the class; else None."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return repr(node.value)
    if isinstance(node, ast.Name) and type(getattr(module, node.id, None)) is int:
        return node.id
    owner = getattr(module, cls.split(".")[0], None) if cls else None
    for part in (cls or "").split(".")[1:]:
        owner = getattr(owner, part, None)
    if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")
            and owner is not None and type(getattr(owner, node.attr, None)) is int):
        return f"{cls}.{node.attr}"
    return None


def _samples(node, cls, module, rng):
    """Samples for one function: the first format with a value compared with a constant, then one of the others and
    up to two more in the same byte order; each value the constant it is compared with (mostly), else a small count
    or an offset inside the sample; then a tail (zero bytes or the function's own text constants). None when it
    compares nothing it unpacked with a constant."""
    formats = _formats(node)
    constraints = _constraints(node, cls, module)
    heads = [f for f in formats if any(k[0] == f for k in constraints)]
    if not heads:
        return []
    head = heads[0]
    rest = [f for f in formats if f != head] or [head]
    words = [c.value for c in ast.walk(node) if isinstance(c, ast.Constant) and isinstance(c.value, str)
             and c.value.isascii() and 0 < len(c.value) <= 40 and c.value not in formats][:6]
    out = []
    for i in range(SAMPLES_PER_FUNCTION):
        first = rest[i % len(rest)]
        same_order = [f for f in rest if f[:1] == first[:1]]
        records = [head, first] + [rng.choice(same_order) for _ in range(rng.choice([0, 1, 2]))]
        starts = [0]
        for r in records:
            starts.append(starts[-1] + struct.calcsize(r))
        pool = [0, 0, 1, 1, 2] + starts[2:] + [starts[-1] + 8]

        def value(fmt, at):
            known = constraints.get((fmt, at))
            return rng.choice(known) if known and rng.random() < 0.8 else str(rng.choice(pool))

        packed = [f"struct.pack({r!r}, {', '.join(value(r, at) for at in range(_count(r)))})" for r in records]
        tail = rng.choice(["", f"bytes({rng.choice([8, 16, 32])})"]
                          + ([repr("\n".join(rng.sample(words, min(3, len(words)))).encode())] if words else []))
        source = " + ".join(packed + ([tail] if tail else []))
        if all(o["source"] != source for o in out):
            out.append({"source": source, "kind": "bytes"})
    return out


def _count(fmt):
    """How many values ``fmt`` packs."""
    return len(struct.unpack(fmt, bytes(struct.calcsize(fmt))))
