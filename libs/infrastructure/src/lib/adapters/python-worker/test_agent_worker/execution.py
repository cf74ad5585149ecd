"""The worker proper: imports the module under test (``load``) and runs call plans and doctests against it
(``execute``), each under the tracer, the guard and a time limit, describing what came back."""

import ast
import builtins
import doctest
import importlib
import inspect
import io
import os
import shutil
import signal
import struct
import sys
import traceback
import types

from .duck_types import duck_type_resolver
from .guard import MAX_EFFECTS, Guard
from .hints import param_hints, with_pattern_subjects
from . import probes
from .layouts import binary_samples
from .inspection import attribute_path, external_names, harvest_doctests, list_callables
from .literals import harvest, raise_lines
from .summaries import changed_args, watch
from .machine_values import filter_machine_values, machine_values
from .outside_inputs import outside_inputs
from .patterns import module_patterns
from .streams import CallTimeout, CaptureIO, on_alarm
from .structure import line_structure
from .tracing import ArcTracer, Shape
from .values import MAX_ITEMS, Describer, type_name

# Set by Test Agent's launcher (bwrap --setenv) when the worker runs inside bubblewrap; hidden from the code under test.
CONFINED = os.environ.pop("TEST_AGENT_CONFINED", "") == "1"


class Worker:
    def __init__(self):
        self.module = None
        self.tracer = None
        self.shape = None
        self.describer = None
        self.raise_lines = set()
        self.cwd = os.getcwd()
        self.plan_files = set()
        self.watched = []
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
            "paramHints": self.probed(with_pattern_subjects(param_hints(tree, self.resolve_attrs), found),
                                      found["callables"]),
            "shape": {
                "statements": sorted(self.shape.statements),
                "branches": sorted(self.shape.branch_arcs),
            },
            "baseline": {"lines": lines, "branches": branches},
            "structure": line_structure(tree, source, self.shape.statements, self.shape.branch_arcs),
        })
        if effects:
            found["importEffects"] = effects
        return found

    def inspect_module(self, tree):
        callables = list_callables(self.module, self.describer)
        spans = {c["qualname"]: c["span"] for c in callables if c.get("span")}
        self.resolve_attrs = duck_type_resolver(self.module)
        pools, module_pool = harvest(tree, spans)
        for qual, samples in binary_samples(tree, self.module).items():
            pools.setdefault(qual, []).extend(samples)
            module_pool.extend(samples)
        constants = []
        for cname, value in vars(self.module).items():
            if cname.startswith("__") or isinstance(value, (types.ModuleType, type)) or callable(value):
                continue
            e = self.describer.expr(value)
            if e is not None and len(e) <= 200:
                constants.append({"name": cname, "type": type_name(type(value))})
        found = {
            "callables": callables,
            "externalNames": external_names(self.module),
            "literals": pools,
            "moduleLiterals": module_pool,
            "patterns": module_patterns(tree, spans),
            "constants": constants[:100],
            "doctests": harvest_doctests(self.module),
        }
        found.update(outside_inputs(tree, spans))
        return found

    def namespace(self):
        """Names a literal may use: the module's, then ``io`` (in-memory streams), ``struct`` (bytes laid out as the
        module reads them, see ``layouts.py``) and ``_file`` (a file in the working directory, which the emitted test
        creates under ``tmp_path``)."""
        ns = {"io": io, "struct": struct, "_file": self.make_file}
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
    def evaluate(self, e, env, record=None):
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
            if record is not None:
                record.extend(watch(self.describer, e, args, kw))
            return fn(*args, **kw)
        if k == "list":
            return list(self.evaluate(e["iterable"], env))
        raise ValueError(f"unknown expression kind {k}")

    def probed(self, hints, callables):
        """``hints`` plus what calls with recording proxies show (``probes``, in a forked child, guarded: what they
        try outside the scratch folder is refused and not reported, it is no effect of the module's import)."""
        self.prepare()
        return probes.in_child(self.module, callables, hints, self.guard)

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
        try:
            restore = self.patch(plan.get("patches") or [], plan.get("argv"), plan.get("env") or [])
        except BaseException:
            self.tidy({}, before)  # a command line's files written before the failure
            raise
        self.guard.start()
        try:
            env, outcome, before_attrs, raw = self.run_steps(plan, timeout_s, out_buf)
            # Describing the value runs its code too (reprs, properties): still guarded.
            result = self.plan_result(plan, env, outcome, before_attrs, raw)
        finally:
            effects = self.guard.stop()
            restore()
        result["stdout"] = out_buf.getvalue()[:2000]
        self.tidy(result, before)
        if effects:
            result["outsideEffects"] = effects[:MAX_EFFECTS]
        if self.machine:
            filter_machine_values(result, self.machine)
        return result

    def patch(self, patches, argv, env):
        """Sets the module attributes a plan names to their constants (an optional import made to fail, see
        ``outside_inputs``), ``sys.argv`` to the plan's command line and the environment variables it names (set
        or removed); returns what puts the old values back."""
        missing = object()
        saved = []
        old_argv = sys.argv
        old_env = {e["name"]: os.environ.get(e["name"]) for e in env}

        def restore():
            sys.argv = old_argv
            for name, value in old_env.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            for name, value in reversed(saved):
                if value is missing:
                    delattr(self.module, name)
                else:
                    setattr(self.module, name, value)
        try:
            for p in patches:
                value = ast.literal_eval(p["source"])
                saved.append((p["name"], getattr(self.module, p["name"], missing)))
                setattr(self.module, p["name"], value)
            if argv is not None:
                # A command line's files (``_file``) are the plan's input, written in the scratch folder.
                sys.argv = [str(a) for a in self.evaluate(argv, [])]
            for e in env:
                if e["value"] is None:
                    os.environ.pop(e["name"], None)
                else:
                    os.environ[e["name"]] = e["value"]
        except BaseException:
            restore()
            raise
        return restore

    def run_steps(self, plan, timeout_s, out_buf):
        """Runs the plan's steps under the tracer and the time limit: (values, outcome, receiver attributes
        before the last step, raw arcs)."""
        env, outcome, before_attrs, listified_at = [], None, {}, -1
        self.watched = []
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
                    # The call under test's literal containers: one it changes is asserted on (`changedArgs`).
                    value = self.evaluate(step, env, self.watched if i == len(steps) - 1 else None)
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
        changed = changed_args(self.describer, self.watched)
        if changed:
            result["changedArgs"] = changed
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
