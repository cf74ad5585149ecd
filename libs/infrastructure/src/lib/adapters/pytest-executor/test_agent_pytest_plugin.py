"""pytest plugin of Test Agent's executor (loaded with ``-p test_agent_pytest_plugin``).

It writes one JSON object per line to the file given by ``--ta-events``, opened and closed for every event so
that what was written survives a test that kills the process (``os._exit``, a segfault, SIGKILL):

* ``collect_start`` / ``collect_end``: a test module is being imported / was imported;
* ``collect_error``: a test module could not be imported (syntax error, ImportError), with cleaned text;
* ``collected``: the node ids that will run;
* ``start`` / ``finish``: one test began / ended, ``finish`` carries its status, duration and failure text;
* ``done``: the session ended normally.

It also switches coverage.py's dynamic context to the node id of the running test (and back to the empty
context between tests), which gives per-test coverage and flushes measured data to disk at every switch.

``--ta-import-root`` is the folder the target module is imported from. It goes to the front of ``sys.path``
(and of ``PYTHONPATH``, for Python processes the tests start) only now, after the interpreter, coverage.py and
pytest started: a user module named like a standard-library module (``types.py``) cannot break them. When the
target's top-level name (``--ta-target-module``) would still resolve to another module (one already imported,
built in or frozen), the event ``shadowed`` is written and the session stops with a usage error.

``--ta-skip`` names a JSON file ``{"nodeids": [...], "paths": [...]}``: tests to deselect and test modules not
to import (the executor's restart after a crash). ``--ta-select`` names a JSON list of node ids (or node id
prefixes) to keep; the others are deselected.
"""

import importlib
import importlib.util
import json
import os
import sys
import time

import pytest

try:
    import coverage as _coverage_module
except ImportError:  # pragma: no cover - the executor always runs under coverage.py
    _coverage_module = None

TIMEOUT_MARK = "from pytest-timeout."
MAX_TEXT = 4000


def pytest_addoption(parser):
    group = parser.getgroup("test-agent")
    group.addoption("--ta-events", dest="ta_events", default=None, help="JSON-lines event file")
    group.addoption("--ta-skip", dest="ta_skip", default=None, help="JSON file of node ids and paths to skip")
    group.addoption("--ta-select", dest="ta_select", default=None, help="JSON file of node ids to run")
    group.addoption("--ta-import-root", dest="ta_import_root", default=None, help="folder the target is imported from")
    group.addoption("--ta-target-module", dest="ta_target_module", default=None, help="dotted name of the target module")


def _clip(text):
    if text is None:
        return None
    if len(text) <= MAX_TEXT:
        return text
    head = MAX_TEXT // 2
    tail = MAX_TEXT - head - 40
    return text[:head] + "\n... [%d characters cut] ...\n" % (len(text) - head - tail) + text[-tail:]


def _read_json(path, default):
    if not path:
        return default
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _failure_text(report):
    try:
        return report.longreprtext
    except Exception as exc:  # a hostile object in the traceback must not hide the failure
        return "(failure text unavailable: %s)" % type(exc).__name__


def _is_timeout(report):
    crash = getattr(report.longrepr, "reprcrash", None)
    message = getattr(crash, "message", None)
    if isinstance(message, str):
        return TIMEOUT_MARK in message
    return TIMEOUT_MARK in _failure_text(report)[-300:]


class _Recorder:
    def __init__(self, config):
        self.path = config.getoption("ta_events")
        skip = _read_json(config.getoption("ta_skip"), {})
        self.skip_ids = set(skip.get("nodeids", []))
        self.skip_paths = set(skip.get("paths", []))
        select = _read_json(config.getoption("ta_select"), None)
        self.select = None if select is None else list(select)
        self.cov = _coverage_module.Coverage.current() if _coverage_module else None
        self.tests = {}
        self.collecting = set()

    # -- output -----------------------------------------------------------------------------------------------
    def emit(self, event, **fields):
        fields["e"] = event
        fields["t"] = time.time()
        line = json.dumps(fields, ensure_ascii=True) + "\n"
        # Opened per event: a test may close file descriptors or kill the process at any moment.
        with open(self.path, "a", encoding="ascii") as handle:
            handle.write(line)

    def switch(self, context):
        if self.cov is not None:
            self.cov.switch_context(context)

    # -- collection -------------------------------------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_ignore_collect(self, collection_path, config):
        if str(collection_path) in self.skip_paths:
            return True
        return None

    def pytest_collectstart(self, collector):
        if isinstance(collector, pytest.File):
            self.collecting.add(collector.nodeid)
            self.emit("collect_start", id=collector.nodeid, path=str(collector.path))

    def pytest_collectreport(self, report):
        if report.nodeid in self.collecting:
            self.collecting.discard(report.nodeid)
            self.emit("collect_end", id=report.nodeid)
        if report.failed:
            self.emit("collect_error", id=report.nodeid, text=_clip(_failure_text(report)))
        elif report.skipped and report.nodeid:
            self.emit("collect_skip", id=report.nodeid, text=_clip(_failure_text(report)))

    def _selected(self, nodeid):
        if self.select is None:
            return True
        for wanted in self.select:
            if nodeid == wanted or nodeid.startswith(wanted + "::") or nodeid.startswith(wanted + "["):
                return True
        return False

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session, config, items):
        keep, drop = [], []
        for item in items:
            (keep if item.nodeid not in self.skip_ids and self._selected(item.nodeid) else drop).append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep

    def pytest_collection_finish(self, session):
        self.emit("collected", ids=[item.nodeid for item in session.items])

    # -- running ----------------------------------------------------------------------------------------------
    def pytest_runtest_logstart(self, nodeid, location):
        self.tests[nodeid] = {"status": None, "text": None, "duration": 0.0}
        self.emit("start", id=nodeid)
        self.switch(nodeid)

    def pytest_runtest_logreport(self, report):
        state = self.tests.setdefault(report.nodeid, {"status": None, "text": None, "duration": 0.0})
        state["duration"] += report.duration or 0.0
        wasxfail = hasattr(report, "wasxfail")
        if report.when == "call":
            if wasxfail:
                state["status"] = "xfail" if report.skipped else "xpass"
            elif report.passed:
                state["status"] = "passed"
            elif report.skipped:
                state["status"] = "skipped"
            else:
                state["status"] = "timeout" if _is_timeout(report) else "failed"
                state["text"] = _failure_text(report)
        elif report.when == "setup":
            if report.failed:
                state["status"] = "timeout" if _is_timeout(report) else "error"
                state["text"] = _failure_text(report)
            elif report.skipped:
                state["status"] = "xfail" if wasxfail else "skipped"
                state["text"] = _failure_text(report) if not wasxfail else None
        elif report.when == "teardown" and report.failed:
            if state["status"] in (None, "passed", "skipped", "xfail", "xpass"):
                state["status"] = "timeout" if _is_timeout(report) else "error"
                state["text"] = "error in teardown:\n" + _failure_text(report)

    def pytest_runtest_logfinish(self, nodeid, location):
        self.switch("")
        state = self.tests.pop(nodeid, {"status": None, "text": None, "duration": 0.0})
        self.emit(
            "finish",
            id=nodeid,
            status=state["status"] or "error",
            text=_clip(state["text"]) if state["status"] else "the test produced no report",
            duration=state["duration"],
        )

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session, exitstatus):
        # Flush coverage data now: a thread left running by a test can keep the interpreter from reaching
        # coverage.py's own exit handler, and the executor kills such a process after a grace period.
        self.switch("")
        self.emit("done", exit=int(exitstatus))


def _inside(path, root):
    if not path:
        return False
    real = os.path.realpath(path)
    return real == root or real.startswith(root + os.sep)


def _shadowing(top, root):
    """What `import top` gives instead of the user's module under `root`, or None when it gives the user's."""
    module = sys.modules.get(top)
    if module is not None:
        origin = getattr(module, "__file__", None)
        locations = list(getattr(module, "__path__", None) or [])
    else:
        try:
            spec = importlib.util.find_spec(top)
        except (ImportError, ValueError):
            return None
        if spec is None:
            return None
        origin = spec.origin if spec.has_location else None
        locations = list(spec.submodule_search_locations or [])
    if _inside(origin, root) or any(_inside(location, root) for location in locations):
        return None
    return {"module": top, "origin": origin or "built-in", "stdlib": top in getattr(sys, "stdlib_module_names", ())}


def _write_event(path, event, **fields):
    if not path:
        return
    fields["e"] = event
    fields["t"] = time.time()
    with open(path, "a", encoding="ascii") as handle:
        handle.write(json.dumps(fields, ensure_ascii=True) + "\n")


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    """Puts the import root on sys.path before any conftest or test module is imported."""
    options = early_config.known_args_namespace
    root = getattr(options, "ta_import_root", None)
    if not root:
        return
    root = os.path.realpath(root)
    if root not in sys.path:
        sys.path.insert(0, root)
    inherited = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != root]
    os.environ["PYTHONPATH"] = os.pathsep.join([root] + inherited)
    importlib.invalidate_caches()
    target = getattr(options, "ta_target_module", None)
    shadow = _shadowing(target.split(".")[0], root) if target else None
    if shadow is not None:
        _write_event(getattr(options, "ta_events", None), "shadowed", **shadow)
        raise pytest.UsageError(
            "%s shadows the module %s (%s); rename it" % (shadow["module"], shadow["module"], shadow["origin"])
        )


def pytest_configure(config):
    if config.getoption("ta_events"):
        config.pluginmanager.register(_Recorder(config), "test-agent-recorder")
