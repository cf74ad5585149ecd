"""Coverage of one plan: a line/arc tracer restricted to the target file (``sys.settrace``), recording arcs the
way coverage.py's Python tracer does, and coverage.py's own static analysis of the file (``PythonFileReporter``)
that translates them, so statements, branch arcs and executed sets use coverage.py's numbering."""

import sys


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
