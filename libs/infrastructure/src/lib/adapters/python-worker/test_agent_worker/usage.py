"""What one function does with its parameters, as evidence of their types: methods called on them, operators,
comparisons with constants, ``isinstance`` checks, subscripts, iteration, the builtins they are passed to. The
evidence also reaches a parameter through a loop variable over it (``for w in words: w.strip()``: a list of str)
and through the attribute ``__init__`` stores it in (``self.stream = stream`` … ``self.stream.read()``)."""

import ast

from .hint_types import (BINARY_STREAM, BUILTIN_FIRST_ARG, BYTES, CALLABLE, FILE_PATH_FUNCTIONS, FLOAT, INT, ISINSTANCE_HINTS,
                         MATCH, METHOD_HINTS, PATH, SIZED, STR, STREAM, BOOL, constant_hint, dict_of, format_spec_hint, list_of,
                         tuple_of)

ARITHMETIC = (ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Pow, ast.Mod)
BITWISE = (ast.BitAnd, ast.BitOr, ast.BitXor, ast.LShift, ast.RShift)
ELEMENT_OF = {"items": None, "values": "value", "keys": "key"}
READS = ("read", "read1", "readline", "readlines")
# ``struct``'s readers, by module or imported by name (``from struct import unpack``).
UNPACKERS = ("struct.unpack", "struct.unpack_from", "unpack", "unpack_from", "struct.iter_unpack", "iter_unpack")


def number_constant(node):
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool)


def _called_name(call):
    """``f`` for ``f(...)``, ``mod.f`` for ``mod.f(...)``, ``os.path.f`` for ``os.path.f(...)``; else None."""
    parts = []
    f = call.func
    while isinstance(f, ast.Attribute):
        parts.append(f.attr)
        f = f.value
    if not isinstance(f, ast.Name):
        return None
    parts.append(f.id)
    return ".".join(reversed(parts))


def _is_read(node):
    """``x.read(...)`` (or ``read1``, ``readline``, ``readlines``)."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in READS


def _writes(call):
    """Whether ``open(...)`` opens its file to write (mode ``w``, ``a`` or ``x``, positional or keyword)."""
    mode = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "mode"), None)
    return isinstance(mode, ast.Constant) and isinstance(mode.value, str) and any(c in mode.value for c in "wax")


def _converted(node, names, module_functions):
    """Parameters the function hands to one of the module's functions and replaces by what it returns
    (``out = _writer(out, encoding)``): what it does with the name afterwards is evidence of what that function
    returns, not of the parameter, which gets its types from the function it is handed to."""
    out = set()
    for n in ast.walk(node):
        if not (isinstance(n, ast.Assign) and isinstance(n.value, ast.Call) and isinstance(n.value.func, ast.Name)
                and n.value.func.id in module_functions):
            continue
        passed = {a.id for a in n.value.args if isinstance(a, ast.Name)}
        out.update(t.id for t in n.targets if isinstance(t, ast.Name) and t.id in names and t.id in passed)
    return out


class Uses:
    """Scans one function (``qual``) and adds what it finds to the collector's evidence (``collector.add``) under
    (qualname, parameter, role): role ``self`` for the parameter itself, ``item``/``key``/``value`` for what
    iterating over it yields."""

    def __init__(self, node, qual, collector, enclosing_class):
        self.qual = qual
        self.collector = collector
        self.enclosing_class = enclosing_class
        params = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
        static = any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in node.decorator_list)
        # A method's receiver (whatever it is called) is never typed: the engine passes the instance.
        receiver = params[:1] if enclosing_class and not static else []
        self.names = {a.arg for a in params if a not in receiver} - {"self", "cls"}
        self.refs = {name: (qual, name, "self") for name in self.names}
        self.floaty = any(isinstance(c, ast.Constant) and isinstance(c.value, float) for c in ast.walk(node))
        self.number = FLOAT if self.floaty else INT
        # Its streams: binary when it has bytes constants and no more str ones (its docstring aside), text when it
        # has str constants only, either when it has none.
        constants = [c.value for c in ast.walk(node) if isinstance(c, ast.Constant) and isinstance(c.value, (str, bytes))]
        n_bytes = sum(isinstance(c, bytes) for c in constants)
        n_str = len(constants) - n_bytes - (1 if ast.get_docstring(node, clean=False) is not None else 0)
        self.streams = [BINARY_STREAM] if n_bytes and n_bytes >= n_str else [STREAM] if n_str else [STREAM, BINARY_STREAM]
        self.calls = collector.calls.setdefault(qual, [])
        self.node = node
        self.converted = _converted(node, self.names, collector.module_functions)

    def run(self):
        nodes = list(ast.walk(self.node))
        # `x.replace(b'_', b' ')`, `x.startswith(b'=')`: methods str and bytes share, called with bytes.
        self.bytes_methods = {id(n.func) for n in nodes if isinstance(n, ast.Call) and any(
            isinstance(a, ast.Constant) and isinstance(a.value, bytes) for a in n.args)}
        # `buf = fp.read()`: what is done with `buf` says whether the stream `fp` is binary.
        self.read_results = {t.id: self.ref(n.value.func.value) for n in nodes if isinstance(n, ast.Assign)
                             and _is_read(n.value) for t in n.targets if isinstance(t, ast.Name)}
        self.binary_streams = []
        self.match_groups = {}  # target -> {"groups": names it reads, "groupCount": how many .groups() unpacks into}
        for sub in nodes:
            self.bind_loop(sub)
        for sub in nodes:
            self.scan(sub)
            self.match_use(sub)
        self.settle_streams()
        self.settle_matches()

    def match_use(self, sub):
        """``m.group('name')`` and ``a, b = m.groups()``: the groups a match parameter must have."""
        call = sub.value if isinstance(sub, ast.Assign) else sub
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and self.ref(call.func.value)):
            return
        found = self.match_groups.setdefault(self.ref(call.func.value), {})
        if call.func.attr in ("group", "start", "end", "span"):
            names = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            found["groups"] = sorted(set(found.get("groups", [])) | set(names))
        elif call.func.attr == "groups" and isinstance(sub, ast.Assign) and isinstance(sub.targets[0], ast.Tuple):
            found["groupCount"] = len(sub.targets[0].elts)

    def settle_matches(self):
        """A match parameter's hint says which groups the function reads (the engine picks a pattern that has them)."""
        for target, found in self.match_groups.items():
            hints = self.collector.evidence.get(target[:2], {}).get(target[2], [])
            detail = {k: v for k, v in found.items() if v}
            if MATCH in hints and detail:
                hints[hints.index(MATCH)] = {**MATCH, **detail}

    def stream_read(self, node):
        """The (qualname, parameter, role) of the stream a node was read from (``fp.read()``, ``buf`` after
        ``buf = fp.read()``, ``buf[4:20]``), or None."""
        while isinstance(node, ast.Subscript):
            node = node.value
        if isinstance(node, ast.Name):
            return self.read_results.get(node.id)
        return self.ref(node.func.value) if _is_read(node) else None

    def read_as_bytes(self, node):
        """``node`` is used as bytes (unpacked with ``struct``, compared with or split at a bytes constant): when
        it was read from a stream parameter, that stream is binary."""
        target = self.stream_read(node)
        if target and target not in self.binary_streams:
            self.binary_streams.append(target)

    def settle_streams(self):
        """A stream whose reads are used as bytes is a binary stream, whatever the function's constants say."""
        for target in self.binary_streams:
            found = self.collector.evidence.get(target[:2], {}).get(target[2], [])
            found[:] = [BINARY_STREAM] + [h for h in found if h not in (STREAM, BINARY_STREAM)]
            self.collector.add(target, BINARY_STREAM)

    # ------------------------------------------------------------------------------------------------ references

    def ref(self, node):
        """The (qualname, parameter, role) a node stands for: a parameter, a loop variable over one, or an
        attribute of ``self`` one of the class's methods (``__init__`` first) stores a parameter in; None otherwise."""
        if isinstance(node, ast.Name):
            return self.refs.get(node.id)
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self"
                and self.enclosing_class):
            stored = self.collector.self_attrs.get(self.enclosing_class, {}).get(node.attr)
            if stored:
                return stored[0], stored[1], "self"
        return None

    def add(self, node, hint, check=False):
        target = self.ref(node) if not isinstance(node, tuple) else node
        if target and target[2] == "self" and target[:2] == (self.qual, target[1]) and target[1] in self.converted:
            return
        for h in self.streams if hint is STREAM else [hint]:
            if target and h is not None:
                self.collector.add(target, h, check)

    def bind_loop(self, sub):
        """``for v in p`` / ``[... for v in p]``: ``v`` stands for an item of ``p``; ``for k, v in p.items()``
        for its keys and values."""
        if not isinstance(sub, (ast.For, ast.comprehension)):
            return
        it, target = sub.iter, sub.target
        method = None
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Attribute) and it.func.attr in ELEMENT_OF and not it.args:
            method, it = it.func.attr, it.func.value
        owner = self.ref(it)
        if not owner or owner[2] != "self":
            return
        q, p, _ = owner
        if method == "items" and isinstance(target, ast.Tuple) and len(target.elts) == 2:
            for elt, role in zip(target.elts, ("key", "value")):
                if isinstance(elt, ast.Name):
                    self.refs[elt.id] = (q, p, role)
        elif isinstance(target, ast.Name) and method != "items":
            self.refs[target.id] = (q, p, ELEMENT_OF.get(method) or "item")

    # ------------------------------------------------------------------------------------------------ evidence

    def scan(self, sub):
        """The evidence one node of the function gives, in a fixed order (the order of each parameter's types)."""
        if isinstance(sub, ast.Call):
            self.checks(sub)
            self.builtin_call(sub)
            self.own_call(sub)
        elif isinstance(sub, ast.Attribute):
            self.attribute_use(sub)
        elif isinstance(sub, ast.Compare):
            self.comparison(sub)
        elif isinstance(sub, (ast.BinOp, ast.UnaryOp)):
            self.arithmetic(sub)
        elif isinstance(sub, ast.Subscript):
            self.subscript(sub)
        elif isinstance(sub, ast.FormattedValue):
            self.formatted(sub)
        else:
            self.statement_use(sub)

    def checks(self, call):
        """``isinstance(x, T)``, ``hasattr(x, 'read')``, ``callable(x)``: what the code is prepared for."""
        name = _called_name(call)
        if not call.args or not self.ref(call.args[0]):
            return
        x = call.args[0]
        if name == "isinstance" and len(call.args) == 2:
            kinds = call.args[1].elts if isinstance(call.args[1], ast.Tuple) else [call.args[1]]
            for k in kinds:
                label = k.id if isinstance(k, ast.Name) else k.attr if isinstance(k, ast.Attribute) else None
                if label in ISINSTANCE_HINTS:
                    self.add(x, ISINSTANCE_HINTS[label], check=True)
                elif label in self.collector.members:
                    self.add(x, {"kind": "class", "ref": label}, check=True)
        elif name == "hasattr" and len(call.args) == 2 and isinstance(call.args[1], ast.Constant):
            self.add(x, METHOD_HINTS.get(call.args[1].value), check=True)
        elif name == "callable":
            self.add(x, CALLABLE, check=True)

    def attribute_use(self, sub):
        if id(sub) in self.bytes_methods:
            self.read_as_bytes(sub.value)
        target = self.ref(sub.value)
        if not target:
            return
        if sub.attr in METHOD_HINTS:
            hint = METHOD_HINTS[sub.attr]
            self.add(target, BYTES if hint is STR and id(sub) in self.bytes_methods else hint)
        self.collector.used_attrs.setdefault(target, set()).add(sub.attr)

    def comparison(self, sub):
        operands = [sub.left, *sub.comparators]
        for a, b, op in zip(operands, operands[1:], sub.ops):
            if isinstance(op, (ast.In, ast.NotIn)):
                if isinstance(b, ast.Constant) and isinstance(b.value, (str, bytes)):
                    self.add(a, constant_hint(b.value))
                if isinstance(a, ast.Constant) and isinstance(a.value, bytes):
                    self.read_as_bytes(b)
                elif isinstance(b, (ast.Tuple, ast.List, ast.Set)):
                    for e in b.elts:
                        if isinstance(e, ast.Constant):
                            self.add(a, constant_hint(e.value))
                self.add(b, SIZED)
                continue
            for x, c in ((a, b), (b, a)):
                if isinstance(op, (ast.Is, ast.IsNot)):
                    if isinstance(c, ast.Constant) and isinstance(c.value, bool):
                        self.add(x, BOOL)
                elif isinstance(c, ast.Constant):
                    self.add(x, constant_hint(c.value))
                    if isinstance(c.value, bytes):
                        self.read_as_bytes(x)
                elif isinstance(c, ast.Name) and c.id in self.collector.numeric_names:
                    self.add(x, self.number)

    def arithmetic(self, sub):
        if isinstance(sub, ast.UnaryOp):
            if isinstance(sub.op, ast.USub):
                self.add(sub.operand, self.number)
            elif isinstance(sub.op, ast.Invert):
                self.add(sub.operand, INT)
            return
        if isinstance(sub.op, BITWISE):
            for x, other in ((sub.left, sub.right), (sub.right, sub.left)):
                if isinstance(sub.op, (ast.LShift, ast.RShift)) or number_constant(other):
                    self.add(x, INT)
            return
        if not isinstance(sub.op, ARITHMETIC + (ast.Add,)):
            return
        for x, other in ((sub.left, sub.right), (sub.right, sub.left)):
            if not self.ref(x):
                continue
            literal = other.value if isinstance(other, ast.Constant) else None
            if isinstance(sub.op, ast.Mult) and (isinstance(literal, (str, bytes)) or isinstance(other, (ast.List, ast.Tuple))):
                self.add(x, INT)  # '-' * n, [0] * n
            elif isinstance(sub.op, ast.Mod) and x is sub.right and isinstance(literal, (str, bytes)):
                pass  # '%s' % x says nothing
            elif isinstance(sub.op, ast.Mod) and x is sub.left and isinstance(other, (ast.Tuple, ast.Dict)):
                self.add(x, STR)  # x % (a, b): x is a format
            elif isinstance(sub.op, ast.Add) and isinstance(literal, (str, bytes)):
                self.add(x, constant_hint(literal))
            elif isinstance(sub.op, ast.Add) and isinstance(other, ast.List):
                self.add(x, list_of())
            elif self.collector.numeric(other) or (isinstance(sub.op, (ast.Sub, ast.Div, ast.Pow)) and isinstance(other, (ast.Name, ast.BinOp))):
                self.add(x, FLOAT if isinstance(sub.op, ast.Div) and self.floaty else self.number)

    def subscript(self, sub):
        """``x['key']``: a dict with that key; ``x[0]``, ``x[i]``, ``x[a:b]``: a str or a list."""
        target = self.ref(sub.value)
        if not target:
            return
        index = sub.slice
        if isinstance(index, ast.Constant) and isinstance(index.value, str):
            self.add(target, dict_of())
            self.collector.add((target[0], target[1], "literal_key"), repr(index.value))
        else:
            self.add(target, SIZED)

    def formatted(self, sub):
        spec = sub.format_spec
        if isinstance(spec, ast.JoinedStr) and all(isinstance(v, ast.Constant) for v in spec.values):
            self.add(sub.value, format_spec_hint("".join(str(v.value) for v in spec.values)))

    def statement_use(self, sub):
        """Augmented assignments, iteration, unpacking, ``*x``/``**x`` in a call."""
        if isinstance(sub, ast.AugAssign):
            if self.collector.numeric(sub.value):
                self.add(sub.target, self.number)
            elif isinstance(sub.value, ast.Constant) and isinstance(sub.value.value, (str, bytes)):
                self.add(sub.target, constant_hint(sub.value.value))
            elif isinstance(sub.value, ast.List):
                self.add(sub.target, list_of())
        elif isinstance(sub, (ast.For, ast.comprehension, ast.YieldFrom)):
            self.add(sub.iter if not isinstance(sub, ast.YieldFrom) else sub.value, list_of())
        elif isinstance(sub, ast.Assign) and len(sub.targets) == 1 and isinstance(sub.targets[0], ast.Tuple):
            if not any(isinstance(e, ast.Starred) for e in sub.targets[0].elts):
                self.add(sub.value, tuple_of(len(sub.targets[0].elts)))
        elif isinstance(sub, ast.Starred) and isinstance(sub.ctx, ast.Load):
            self.add(sub.value, list_of())
        elif isinstance(sub, ast.keyword) and sub.arg is None:
            self.add(sub.value, dict_of())

    def builtin_call(self, call):
        """The builtins (and ``os.path``/``math`` functions) a value is passed to; a call of the value itself."""
        name = _called_name(call)
        args = call.args
        if self.ref(call.func):
            self.add(call.func, CALLABLE)
        if name == "open" and args and _writes(call):
            self.add(args[0], STR)  # a file to write need not exist
        elif name in BUILTIN_FIRST_ARG and args:
            for hint in BUILTIN_FIRST_ARG[name]:
                self.add(args[0], hint or self.number)
        elif name == "range":
            for a in args:
                self.add(a, INT)
        elif name in ("max", "min", "sum") and args:
            if len(args) == 1:
                self.add(args[0], list_of(self.number))
            else:
                for a in args:
                    self.add(a, self.number)
        elif name and name.startswith("os.path.") and args:
            self.add(args[0], PATH if name[8:] in FILE_PATH_FUNCTIONS else STR)
            for a in args[1:]:
                self.add(a, STR)
        elif name and name.startswith("math."):
            for a in args:
                self.add(a, FLOAT)
        elif isinstance(call.func, ast.Attribute) and call.func.attr == "join" and args:
            if isinstance(call.func.value, ast.Constant) and isinstance(call.func.value.value, (str, bytes)):
                self.add(args[0], list_of(constant_hint(call.func.value.value)))
        elif name in ("struct.unpack", "struct.unpack_from", "binascii.hexlify", "binascii.b2a_base64") and args:
            self.add(args[-1] if name.startswith("struct") else args[0], BYTES)
        if name in UNPACKERS and len(args) > 1:
            self.read_as_bytes(args[1])

    def own_call(self, call):
        """A call of the module's own function or method: what it makes of its parameters, callers inherit."""
        f = call.func
        key = None
        if isinstance(f, ast.Name):
            key = ("name", f.id)
        elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id in ("self", "cls"):
            key = ("method", f.attr, self.enclosing_class)
        if key:
            names = self.names
            bound = [(i, a.id) for i, a in enumerate(call.args) if isinstance(a, ast.Name) and a.id in names]
            bound += [(k.arg, k.value.id) for k in call.keywords if k.arg and isinstance(k.value, ast.Name) and k.value.id in names]
            if bound:
                self.calls.append((key, bound))
