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

SAMPLES_PER_FUNCTION = 20


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


def _valid(fmt):
    try:
        struct.calcsize(fmt)
    except struct.error:
        return False
    return True


def _format_names(node):
    """Name -> the constant formats the function assigns it (``ii = '<II'`` in one arm, ``ii = '>II'`` in the
    other), for formats passed by name."""
    names = {}
    for sub in ast.walk(node):
        if (isinstance(sub, ast.Assign) and isinstance(sub.value, ast.Constant) and isinstance(sub.value.value, str)
                and _valid(sub.value.value)):
            for t in sub.targets:
                if isinstance(t, ast.Name):
                    names.setdefault(t.id, []).append(sub.value.value)
    return names


def _formats(node):
    """The formats the function unpacks with, in source order (each once), that ``struct`` accepts: constants, and
    names the function binds to constants."""
    found = []
    by_name = _format_names(node)
    for sub in ast.walk(node):
        if not (isinstance(sub, ast.Call) and _called_name(sub) in UNPACKERS and sub.args):
            continue
        arg = sub.args[0]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and _valid(arg.value):
            found.append((sub.lineno, sub.col_offset, arg.value))
        elif isinstance(arg, ast.Name):
            found.extend((sub.lineno, sub.col_offset, fmt) for fmt in by_name.get(arg.id, []))
    out = []
    for _, _, fmt in sorted(found):
        if fmt not in out:
            out.append(fmt)
    return out


def _unpacked_names(node):
    """Name -> the (format, index) pairs of the values unpacked into it with a constant format (one per arm that
    unpacks it): ``magic = unpack('<I', b)[0]``, ``a, b = unpack('<2I', b)``, ``size, = unpack('<I', b)``."""
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
            names.setdefault(target.id, []).append((fmt, index))
        elif index is None and isinstance(target, ast.Tuple):
            for i, e in enumerate(target.elts):
                if isinstance(e, ast.Name):
                    names.setdefault(e.id, []).append((fmt, i))
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
            for at in unpacked.get(a.id, []) if source else []:
                if source not in out.setdefault(at, []):
                    out[at].append(source)
    return out


def _roles(node):
    """(format, index) -> ``count`` for an unpacked value the function loops over (``range(n)``, ``range(0, n)``),
    ``offset`` for one it slices its input at (``buf[at:at + 8]``)."""
    unpacked = _unpacked_names(node)
    out = {}
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id == "range" and sub.args:
            bound = sub.args[-1] if len(sub.args) <= 2 else sub.args[1]
            for at in unpacked.get(bound.id, []) if isinstance(bound, ast.Name) else []:
                out.setdefault(at, "count")
        elif isinstance(sub, ast.Slice) and isinstance(sub.lower, ast.Name):
            for at in unpacked.get(sub.lower.id, []):
                out.setdefault(at, "offset")
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
    roles = _roles(node)
    heads = [f for f in formats if any(k[0] == f for k in constraints)]
    if not heads:
        return []
    head = heads[0]
    rest = [f for f in formats if f != head] or [head]
    words = [c.value for c in ast.walk(node) if isinstance(c, ast.Constant) and isinstance(c.value, str)
             and c.value.isascii() and 0 < len(c.value) <= 40 and c.value not in formats][:6]
    out = []
    # A reader that tells byte orders by its magic (``if magic == LE: ... '<4I' ... elif magic == BE: ... '>4I'``)
    # reads in the k-th byte order its formats name after the k-th constant it compares the head with.
    head_known = constraints.get((head, 0), [])
    orders = list(dict.fromkeys(f[:1] for f in rest))
    for i in range(SAMPLES_PER_FUNCTION):
        k = rng.randrange(len(head_known)) if head_known else None
        order = orders[k] if k is not None and k < len(orders) else head[:1]
        in_order = [f for f in rest if f[:1] == order]
        first = rest[i % len(rest)] if not in_order or rng.random() < 0.25 else in_order[0]
        same_order = [f for f in rest if f[:1] == first[:1]]
        # Later records: mostly pairs when the reader unpacks some (a table of where its pieces are).
        pairs = [f for f in same_order if _count(f) == 2]
        records = [head, first] + [rng.choice(pairs if pairs and rng.random() < 0.7 else same_order)
                                   for _ in range(rng.choice([0, 1, 2, 3]))]
        length_first = rng.random() < 0.5
        starts = [0]
        for r in records:
            starts.append(starts[-1] + struct.calcsize(r))
        tail, size = _tail(words, rng)
        at_tail = starts[-1]
        # Counts and offsets: small numbers, the records' starts, the tail's start, and lengths that keep a slice
        # of the tail inside it (a record that says where its text is and how long).
        pool = [0, 0, 1, 1, 2] + starts[2:] + [at_tail + 8]
        lengths = [0, size // 2, size - 1, rng.randint(1, size - 1)] if size > 1 else [0]
        pool += [at_tail] + lengths[1:]

        def value(fmt, at):
            known = constraints.get((fmt, at))
            if known and rng.random() < 0.8:
                return known[k] if (fmt, at) == (head, 0) and k is not None else rng.choice(known)
            # A value the reader loops over is a small count; one it slices its input at points at a later record.
            role = roles.get((fmt, at))
            if role == "count" and rng.random() < 0.8:
                return str(rng.choice([1, 1, 2]))
            if role == "offset" and len(starts) > 3 and rng.random() < 0.8:
                return str(rng.choice(starts[2:-1]))
            return str(rng.choice(pool))

        def fields(r, index):
            # A later record of two values: where a piece of the tail is and how long (in the same order in every
            # such record of the sample).
            if index >= 2 and _count(r) == 2 and rng.random() < 0.7:
                pair = [str(rng.choice(lengths)), str(at_tail)]
                return pair if length_first else pair[::-1]
            return [value(r, at) for at in range(_count(r))]

        packed = [f"struct.pack({r!r}, {', '.join(fields(r, k))})" for k, r in enumerate(records)]
        source = " + ".join(packed + ([tail] if tail else []))
        if all(o["source"] != source for o in out):
            out.append({"source": source, "kind": "bytes"})
    return out


def _tail(words, rng):
    """What follows the records, as source and its length in bytes: nothing, zero bytes, or the function's own text
    constants, on lines of their own or as ``key: value`` lines (the headers a format keeps as text)."""
    options = [("", 0)] + [(f"bytes({n})", n) for n in (8, 16, 32)][rng.randint(0, 2):][:1]
    if words:
        lines = rng.sample(words, min(3, len(words)))
        options.append(("\n".join(lines).encode(), None))
        keyed = [f"{w}: {rng.choice(words)}{rng.choice(['', ' ', '; '])}{rng.choice(words)}" for w in lines]
        options.append(("\n".join(keyed).encode() + b"\n\n", None))
    tail, size = rng.choice(options)
    return (repr(tail), len(tail)) if size is None else (tail, size)


def _count(fmt):
    """How many values ``fmt`` packs."""
    return len(struct.unpack(fmt, bytes(struct.calcsize(fmt))))
