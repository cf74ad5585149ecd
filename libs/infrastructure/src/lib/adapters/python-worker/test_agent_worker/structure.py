"""Where each statement of the module sits, from its syntax tree, for the report's "why not covered": the function or
class whose body holds it, the compound statement that decides whether it runs (``guard``: header line and arm), the
statement run just before it (``previous``), whether no way leads to it (``deadAfter``: a statement before it in its
block always leaves, by ``return``/``raise``/``sys.exit``/``break``/``continue`` or an endless loop) and whether it
sits under ``if __name__ == "__main__":``. Every branch arc of coverage.py gets the arm it takes (``arcs``).

Line numbers are coverage.py's statement lines (the first line of a statement); a statement sharing its line with
the one before (``if x: return``) has no entry of its own.

Arms: ``true``/``false`` (``if``/``elif``/``while``/``case``: the body, or the way past it), ``enter``/``complete``
(``for``: the body, or the end of the loop), ``raise`` (an ``except`` line: the ``try`` body raised), ``except``
(the handler's body: the exception matched), ``else`` (``try``'s ``else``: the body did not raise), ``call`` (the
arc into and out of the body of a definition written on one line).
"""

import ast

# Calls that never return to their caller.
LEAVING_CALLS = {"sys.exit", "exit", "quit", "os._exit", "os.abort", "_exit"}
TEXT_LIMIT = 80
LOOPS = (ast.For, ast.AsyncFor, ast.While)
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
TRIES = (ast.Try, ast.TryStar) if hasattr(ast, "TryStar") else (ast.Try,)


def short(text):
    """Source text on one line, at most ``TEXT_LIMIT`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 3] + "..."


def first_line(stmt):
    """The line coverage.py counts a statement from (a decorated definition starts at its first decorator)."""
    decorators = getattr(stmt, "decorator_list", None) or []
    return min([stmt.lineno] + [d.lineno for d in decorators])


def dotted(node):
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = dotted(node.value)
        return f"{inner}.{node.attr}" if inner else None
    return None


def is_main_guard(node):
    """``if __name__ == "__main__":`` (either way round)."""
    test = node.test
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    consts = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return len(names) == 1 and len(consts) == 1


def breaks_out(body):
    """A ``break`` of this loop in ``body`` (not one of a nested loop or function)."""
    todo = list(body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Break):
            return True
        if isinstance(node, LOOPS + FUNCTIONS + (ast.ClassDef, ast.Lambda)):
            # A nested loop's own break does not leave this one, but its else block may.
            if isinstance(node, LOOPS):
                todo.extend(node.orelse)
            continue
        todo.extend(ast.iter_child_nodes(node))
    return False


def leaves(stmt):
    """The statement never lets the block go on after it."""
    if isinstance(stmt, (ast.Return, ast.Raise, ast.Continue, ast.Break)):
        return True
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        return dotted(stmt.value.func) in LEAVING_CALLS
    if isinstance(stmt, ast.Assert):
        return isinstance(stmt.test, ast.Constant) and not stmt.test.value
    if isinstance(stmt, ast.If):
        return bool(stmt.orelse) and block_leaves(stmt.body) and block_leaves(stmt.orelse)
    if isinstance(stmt, ast.While):
        endless = isinstance(stmt.test, ast.Constant) and bool(stmt.test.value)
        return endless and not breaks_out(stmt.body)
    if isinstance(stmt, TRIES):
        if block_leaves(stmt.finalbody):
            return True
        return block_leaves(stmt.body) and all(block_leaves(h.body) for h in stmt.handlers)
    return False


def block_leaves(stmts):
    return any(leaves(s) for s in stmts)


class StructureWalker:
    """Walks the tree once, block by block, writing the contexts, scopes, headers and leaving statements."""

    def __init__(self, source, statements):
        self.source = source
        self.lines = source.splitlines()
        self.statements = set(statements)
        self.contexts = {}
        self.scopes = []
        self.scope_lines = set()
        self.headers = {}
        self.leaving = {}
        self.nodes = {}  # header line -> its node (an ``if``, loop, ``case``, ``try`` or handler)
        self.parents = {}  # id(stmt) -> (parent node, block list, index)

    def text(self, node):
        """``node``'s source text (``ast.get_source_segment`` splits the whole source on each call)."""
        first, last = node.lineno - 1, node.end_lineno - 1
        if not (0 <= first <= last < len(self.lines)):
            return ""
        if first == last:
            part = self.lines[first].encode()[node.col_offset:node.end_col_offset]
        else:
            part = b"\n".join([self.lines[first].encode()[node.col_offset:]]
                               + [line.encode() for line in self.lines[first + 1:last]]
                               + [self.lines[last].encode()[:node.end_col_offset]])
        return short(part.decode(errors="replace"))

    def source_line(self, line):
        return short(self.lines[line - 1]) if 0 < line <= len(self.lines) else ""

    def emit(self, stmt, scope, way, dead, main, at=None):
        """The context of ``stmt`` (and its decorator lines; ``at``: of that line alone): ``way`` is ``("guard",
        [line, arm])``, ``("previous", line)`` or None for the first statement of a scope."""
        decorators = [d.lineno for d in getattr(stmt, "decorator_list", None) or []]
        lines = [at] if at is not None else decorators + [stmt.lineno]
        for line in lines:
            if line not in self.statements or line in self.contexts:
                continue
            ctx = {"line": line, "scope": scope[0]}
            if way is not None and (way[1][0] if way[0] == "guard" else way[1]) != line:
                ctx[way[0]] = way[1]
            if dead is not None:
                ctx["deadAfter"] = dead
            if main:
                ctx["main"] = True
            self.contexts[line] = ctx

    def way_after(self, stmt, fallback):
        """How the first statement of a block that always runs after ``stmt``'s header is reached: ``stmt``'s line
        when coverage.py counts it, else the way ``stmt`` itself was reached."""
        return ("previous", stmt.lineno) if stmt.lineno in self.statements else fallback

    def block(self, stmts, parent, scope, way, dead=None, main=False):
        for i, stmt in enumerate(stmts):
            self.parents[id(stmt)] = (parent, stmts, i)
            self.emit(stmt, scope, way, dead, main)
            self.inner(stmt, scope, way, dead, main)
            # The next statement is reached from this one (a docstring, which coverage.py does not count, passes on
            # the way it was reached).
            if stmt.lineno in self.statements:
                way = ("previous", stmt.lineno)
            if dead is None and leaves(stmt):
                dead = stmt.lineno
                self.leaving[stmt.lineno] = self.source_line(stmt.lineno)

    def header(self, line, kind, text, node):
        self.headers[line] = {"line": line, "kind": kind, "text": text}
        self.nodes[line] = node

    def inner(self, stmt, scope, way, dead, main):
        """The blocks inside ``stmt``, each with the way into its first statement."""
        line = stmt.lineno
        if isinstance(stmt, FUNCTIONS + (ast.ClassDef,)):
            self.scope(stmt, scope)
        elif isinstance(stmt, ast.If):
            guard = is_main_guard(stmt) and scope[0] == ""
            self.header(line, "main" if guard else "if", self.text(stmt.test), stmt)
            self.block(stmt.body, stmt, scope, ("guard", [line, "true"]), dead, main or guard)
            self.block(stmt.orelse, stmt, scope, ("guard", [line, "false"]), dead, main)
        elif isinstance(stmt, ast.While):
            self.header(line, "while", self.text(stmt.test), stmt)
            self.block(stmt.body, stmt, scope, ("guard", [line, "true"]), dead, main)
            self.block(stmt.orelse, stmt, scope, ("guard", [line, "false"]), dead, main)
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            self.header(line, "for", f"{self.text(stmt.target)} in {self.text(stmt.iter)}", stmt)
            self.block(stmt.body, stmt, scope, ("guard", [line, "enter"]), dead, main)
            self.block(stmt.orelse, stmt, scope, ("guard", [line, "complete"]), dead, main)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            self.block(stmt.body, stmt, scope, self.way_after(stmt, way), dead, main)
        elif isinstance(stmt, TRIES):
            self.try_blocks(stmt, scope, way, dead, main)
        elif isinstance(stmt, getattr(ast, "Match", ())):
            self.cases(stmt, scope, way, dead, main)

    def try_blocks(self, stmt, scope, way, dead, main):
        line = stmt.lineno
        self.header(line, "try", "", stmt)
        after = self.way_after(stmt, way)
        self.block(stmt.body, stmt, scope, after, dead, main)
        for handler in stmt.handlers:
            self.parents[id(handler)] = (stmt, stmt.handlers, stmt.handlers.index(handler))
            raised = ("guard", [line, "raise"]) if line in self.statements else way
            self.emit(handler, scope, raised, dead, main)
            self.header(handler.lineno, "except", self.text(handler.type) if handler.type else "", handler)
            self.block(handler.body, handler, scope, ("guard", [handler.lineno, "except"]), dead, main)
        self.block(stmt.orelse, stmt, scope, ("guard", [line, "else"]) if line in self.statements else way, dead, main)
        self.block(stmt.finalbody, stmt, scope, after, dead, main)

    def cases(self, stmt, scope, way, dead, main):
        for i, case in enumerate(stmt.cases):
            line = case.pattern.lineno
            self.parents[id(case)] = (stmt, stmt.cases, i)
            text = self.text(case.pattern) + (f" if {self.text(case.guard)}" if case.guard else "")
            self.header(line, "case", text, case)
            reached = self.way_after(stmt, way) if i == 0 else ("guard", [stmt.cases[i - 1].pattern.lineno, "false"])
            self.emit(case, scope, reached, dead, main, at=line)
            self.block(case.body, case, scope, ("guard", [line, "true"]), dead, main)

    def scope(self, stmt, outer):
        name, kind = outer
        qualname = stmt.name if not name else f"{name}.<locals>.{stmt.name}" if kind == "function" else f"{name}.{stmt.name}"
        kind = "class" if isinstance(stmt, ast.ClassDef) else "function"
        body = next((s.lineno for s in stmt.body if s.lineno in self.statements), None)
        entry = {"qualname": qualname, "kind": kind, "line": stmt.lineno}
        if body is not None:
            entry["body"] = body
        self.scopes.append(entry)
        self.scope_lines.add(stmt.lineno)
        self.block(stmt.body, stmt, (qualname, kind), None)

    def next_line(self, node):
        """Where the code goes when ``node`` falls through its end: coverage.py's line, negative for leaving a code
        object (``-first line`` of the function, class or module)."""
        parent, stmts, i = self.parents.get(id(node), (None, None, 0))
        if parent is None:
            return -1
        if i + 1 < len(stmts):
            return first_line(stmts[i + 1])
        if isinstance(parent, LOOPS) and stmts is parent.body:
            return parent.lineno
        if isinstance(parent, FUNCTIONS + (ast.ClassDef,)):
            return -first_line(parent)
        if isinstance(parent, TRIES) and stmts is parent.body and parent.orelse:
            return first_line(parent.orelse[0])
        if isinstance(parent, TRIES) and parent.finalbody and stmts is not parent.finalbody:
            return first_line(parent.finalbody[0])
        if isinstance(parent, ast.ExceptHandler):
            return self.next_line(parent)
        if isinstance(parent, getattr(ast, "match_case", ())):
            return self.next_line(self.parents[id(parent)][0])
        return self.next_line(parent)

    def arm(self, a, b):
        """The arm the branch arc ``a -> b`` takes, or None when ``a`` is no header this knows."""
        node = self.nodes.get(a)
        kind = self.headers.get(a, {}).get("kind")
        if a in self.scope_lines:
            # A definition on one line (``def f(): return 1``): the arc out of its body runs when it is called (the
            # other one, to the next statement, when the definition runs).
            return "call" if b < 0 else None
        if kind not in ("if", "main", "while", "for", "case"):
            return None
        into, past = ("enter", "complete") if kind == "for" else ("true", "false")
        body = first_line(node.body[0])
        if body != a:
            return into if b == body else past
        # The body shares the header's line (``if x: return``): the arc that goes where the code goes past it is
        # the other arm.
        if kind == "case":
            cases = self.parents[id(node)][1]
            i = cases.index(node)
            past_line = cases[i + 1].pattern.lineno if i + 1 < len(cases) else self.next_line(self.parents[id(node)][0])
        else:
            past_line = first_line(node.orelse[0]) if node.orelse else self.next_line(node)
        return past if b == past_line else into


def line_structure(tree, source, statements, branch_arcs):
    """The module's structure for the report (see the module's docstring): ``statements`` (contexts, by line),
    ``scopes``, ``headers`` (compound statements: kind and condition text), ``leaving`` (statements that always
    leave their block, with their source line) and ``arcs`` (``[from, to, arm]`` for each branch arc it can name)."""
    walker = StructureWalker(source, statements)
    walker.parents[id(tree)] = (None, None, 0)
    walker.block(tree.body, tree, ("", "module"), None)
    dead = {c["deadAfter"] for c in walker.contexts.values() if "deadAfter" in c}
    arcs = []
    for a, b in sorted(branch_arcs):
        arm = walker.arm(a, b)
        if arm is not None:
            arcs.append([a, b, arm])
    return {
        "statements": [walker.contexts[line] for line in sorted(walker.contexts)],
        "scopes": walker.scopes,
        "headers": [walker.headers[line] for line in sorted(walker.headers)],
        "leaving": [{"line": line, "text": walker.leaving[line]} for line in sorted(dead)],
        "arcs": arcs,
    }
