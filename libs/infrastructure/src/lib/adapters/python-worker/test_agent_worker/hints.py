"""Types suggested by how each function uses its parameters (``paramHints``): isinstance checks, str and list
methods, comparisons, arithmetic, iteration, calls of the module's own functions."""

import ast

from .literals import STR_METHODS


LIST_METHODS = {"append", "extend", "insert", "reverse", "sort"}
ARITHMETIC = (ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Pow, ast.Mod)


def _number_constant(node):
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool)


def param_hints(tree):
    """Types suggested by how each function uses its parameters: isinstance checks, str and list methods,
    comparisons with constants, arithmetic, ``range``, iteration, subscripts, path functions, calls of the
    parameter, ``class:Name`` when the attributes it uses on a parameter are all members of one of the module's
    classes, and what the module's own functions it passes the parameter to make of it."""
    collector = _HintCollector(tree)
    collector.visit(tree)
    _inherit_hints(collector)
    return collector.hints


class _HintCollector(ast.NodeVisitor):
    """Walks the module's classes and functions, collecting each function's hints (``_Uses``) and what
    ``_inherit_hints`` needs to pass the hints of a callee on to its callers."""

    def __init__(self, tree):
        self.hints = {}
        self.members = class_members(tree)
        self.numeric_names = set()
        for node in tree.body:
            if isinstance(node, ast.Assign) and _number_constant(node.value):
                self.numeric_names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        self.functions = {}  # qualname -> (parameter names as positionally bound by a call, is a method)
        self.strong = {}  # qualname -> parameter -> types from operations (not isinstance): what callers inherit
        self.calls = {}  # qualname -> [(callee key, [(parameter index or keyword name, argument name)])]
        self.class_methods = {}  # method name -> qualnames defining it
        self.stack = []
        self.classes = []

    def numeric(self, node):
        numeric = self.numeric
        return _number_constant(node) or (isinstance(node, ast.Name) and node.id in self.numeric_names) or (
            isinstance(node, ast.UnaryOp) and numeric(node.operand)) or (
            isinstance(node, ast.BinOp) and isinstance(node.op, ARITHMETIC + (ast.Add,)) and (numeric(node.left) or numeric(node.right))
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
        uses = _Uses(node, self, self.calls.setdefault(qual, []), self.classes[-1] if in_class else None)
        for sub in ast.walk(node):
            uses.scan(sub)
        uses.add_class_hints(self.members)
        if uses.found:
            self.hints[qual] = uses.found
        self.strong[qual] = uses.operations
        self.stack.append(node.name)
        self.generic_visit(node)
        self.stack.pop()

    visit_AsyncFunctionDef = visit_FunctionDef


class _Uses:
    """What one function does with its parameters: the types its uses of each suggest (``found``; ``operations``
    leaves out isinstance checks), the attributes it reads on each and the module's functions it passes them to
    (``calls``)."""

    def __init__(self, node, collector, calls, enclosing_class):
        self.names = {a.arg for a in node.args.args + node.args.kwonlyargs + node.args.posonlyargs}
        self.found = {}
        self.operations = {}
        self.used_attrs = {}
        self.floaty = any(isinstance(c, ast.Constant) and isinstance(c.value, float) for c in ast.walk(node))
        self.number = "float" if self.floaty else "int"
        self.numeric = collector.numeric
        self.numeric_names = collector.numeric_names
        self.calls = calls
        self.enclosing_class = enclosing_class

    def add(self, name, t, operation=True):
        if name in self.names:
            self.found.setdefault(name, [])
            if t not in self.found[name]:
                self.found[name].append(t)
            if operation:
                self.operations.setdefault(name, [])
                if t not in self.operations[name]:
                    self.operations[name].append(t)

    def scan(self, sub):
        """The hints one node of the function gives, in a fixed order (the order of each parameter's types)."""
        self.isinstance_check(sub)
        self.attribute_use(sub)
        self.comparison(sub)
        self.arithmetic(sub)
        self.statement_use(sub)
        self.builtin_use(sub)
        self.own_call(sub)

    def isinstance_check(self, sub):
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id == "isinstance" and len(sub.args) == 2:
            target = sub.args[0]
            if isinstance(target, ast.Name):
                kinds = sub.args[1].elts if isinstance(sub.args[1], ast.Tuple) else [sub.args[1]]
                for k in kinds:
                    if isinstance(k, ast.Name) and k.id in ("str", "int", "float", "bytes", "list", "tuple", "dict", "bool", "set"):
                        self.add(target.id, k.id, operation=False)

    def attribute_use(self, sub):
        if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.attr in STR_METHODS:
            self.add(sub.value.id, "str")
        elif isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.attr in LIST_METHODS:
            self.add(sub.value.id, "list")
        elif isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.value.id in self.names:
            self.used_attrs.setdefault(sub.value.id, set()).add(sub.attr)

    def comparison(self, sub):
        if isinstance(sub, ast.Compare):
            operands = [sub.left, *sub.comparators]
            for a, b in zip(operands, operands[1:]):
                for x, c in ((a, b), (b, a)):
                    if not isinstance(x, ast.Name):
                        continue
                    if isinstance(c, ast.Constant) and isinstance(c.value, str):
                        self.add(x.id, "str")
                    elif _number_constant(c):
                        self.add(x.id, "float" if isinstance(c.value, float) else "int")
                    elif isinstance(c, ast.Name) and c.id in self.numeric_names:
                        self.add(x.id, self.number)

    def arithmetic(self, sub):
        if isinstance(sub, ast.BinOp) and isinstance(sub.op, ARITHMETIC + (ast.Add,)):
            for x, other in ((sub.left, sub.right), (sub.right, sub.left)):
                if not isinstance(x, ast.Name):
                    continue
                if isinstance(sub.op, ast.Mult) and isinstance(other, (ast.Constant, ast.List, ast.Tuple)) and not _number_constant(other):
                    self.add(x.id, "int")  # '-' * n, [0] * n
                elif isinstance(sub.op, ast.Mod) and x is sub.right and isinstance(other, ast.Constant) and isinstance(other.value, str):
                    pass  # '%s' % x says nothing
                elif isinstance(sub.op, ast.Add) and isinstance(other, ast.Constant) and isinstance(other.value, str):
                    self.add(x.id, "str")
                elif self.numeric(other) or (isinstance(sub.op, (ast.Sub, ast.Div, ast.Pow)) and isinstance(other, (ast.Name, ast.BinOp))):
                    self.add(x.id, "float" if isinstance(sub.op, ast.Div) and self.floaty else self.number)

    def statement_use(self, sub):
        """Augmented assignments, negation, iteration."""
        if isinstance(sub, ast.AugAssign) and isinstance(sub.target, ast.Name):
            if self.numeric(sub.value):
                self.add(sub.target.id, self.number)
            elif isinstance(sub.value, ast.Constant) and isinstance(sub.value.value, str):
                self.add(sub.target.id, "str")
        if isinstance(sub, ast.UnaryOp) and isinstance(sub.op, ast.USub) and isinstance(sub.operand, ast.Name):
            self.add(sub.operand.id, self.number)
        if isinstance(sub, ast.For) and isinstance(sub.iter, ast.Name):
            self.add(sub.iter.id, "list")
        if isinstance(sub, ast.comprehension) and isinstance(sub.iter, ast.Name):
            self.add(sub.iter.id, "list")

    def builtin_use(self, sub):
        """``len``/``sorted``/..., ``range``, ``os.path`` functions, subscripts, a call of the parameter."""
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id in ("len", "sorted", "list", "iter", "enumerate") and sub.args and isinstance(sub.args[0], ast.Name):
            self.add(sub.args[0].id, "list" if sub.func.id != "len" else "sized")
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id == "range":
            for a in sub.args:
                if isinstance(a, ast.Name):
                    self.add(a.id, "int")
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and isinstance(sub.func.value, ast.Attribute) and isinstance(sub.func.value.value, ast.Name) and sub.func.value.value.id == "os" and sub.func.value.attr == "path":
            for a in sub.args:
                if isinstance(a, ast.Name):
                    self.add(a.id, "str")
        if isinstance(sub, ast.Subscript) and isinstance(sub.value, ast.Name):
            self.add(sub.value.id, "sized")
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id in self.names:
            self.add(sub.func.id, "callable")

    def own_call(self, sub):
        """A call of the module's own function or method: what it makes of its parameters, callers inherit."""
        if isinstance(sub, ast.Call):
            f = sub.func
            key = None
            if isinstance(f, ast.Name):
                key = ("name", f.id)
            elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id in ("self", "cls"):
                key = ("method", f.attr, self.enclosing_class)
            if key:
                names = self.names
                bound = [(i, a.id) for i, a in enumerate(sub.args) if isinstance(a, ast.Name) and a.id in names]
                bound += [(k.arg, k.value.id) for k in sub.keywords if k.arg and isinstance(k.value, ast.Name) and k.value.id in names]
                if bound:
                    self.calls.append((key, bound))

    def add_class_hints(self, members):
        """``class:Name`` for a parameter whose attributes are all members of one to three of the module's classes."""
        for param, attrs in self.used_attrs.items():
            if param in ("self", "cls") or param in self.found:
                continue
            owners = [c for c, m in members.items() if attrs <= m]
            if 0 < len(owners) <= 3:
                for c in owners:
                    self.add(param, "class:" + c)


def _callee(collector, key):
    """(qualname, offset of the first argument among its positional parameters) of a call key, or None."""
    functions = collector.functions
    if key[0] == "name":
        if key[1] in functions and not functions[key[1]][1]:
            return key[1], 0
        if f"{key[1]}.__init__" in functions:
            return f"{key[1]}.__init__", 1
        return None
    name, cls = key[1], key[2]
    if cls and f"{cls}.{name}" in functions:
        return f"{cls}.{name}", 1
    owners = collector.class_methods.get(name, [])
    return (owners[0], 1) if len(owners) == 1 else None


def _inherit_hints(collector):
    """Each function gets the operation types of the parameters it passes its own parameters to (three rounds at
    most, so a chain of calls passes them along)."""
    hints, strong, functions = collector.hints, collector.strong, collector.functions
    for _ in range(3):
        changed = False
        for qual, entries in collector.calls.items():
            for key, bound in entries:
                target = _callee(collector, key)
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
