"""Tests of the executor worker's guard (audit hook) and of its machine-value filter.

Each test starts ``executor_worker.py`` as a subprocess in its own scratch folder on a copy of a fixture module;
everything the module is asked to harm is a folder, a listener or a process this file created itself.
Run with: ``.venv/bin/python -m pytest libs/infrastructure/src/lib/adapters/python-worker/test_executor_worker_guard.py``
"""

import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
WORKER = HERE / "executor_worker.py"
FIXTURES = HERE / "__fixtures__"
SECRET = "guard-probe-value-4821"


class WorkerProcess:
    """The worker over its JSON-lines protocol, started the way the TypeScript adapter starts it."""

    def __init__(self, fixture, scratch, extra_env=None):
        self.scratch = scratch
        self.module_dir = Path(tempfile.mkdtemp(prefix="guard-module-"))
        shutil.copy(FIXTURES / fixture, self.module_dir / fixture)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYTEST", "COV"))}
        env.update({"HOME": scratch, "TMPDIR": scratch, "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
                    "PYTHONNOUSERSITE": "1", "PYTHONIOENCODING": "utf-8", "NO_COLOR": "1", **(extra_env or {})})
        self.proc = subprocess.Popen([sys.executable, "-u", "-X", "utf8", str(WORKER)], cwd=scratch, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, start_new_session=True)
        self.lines = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        assert self._next()["ready"] is True
        self.next_id = 1
        self.module = self.request({"op": "load", "importRoot": str(self.module_dir), "moduleName": Path(fixture).stem,
                                    "file": str(self.module_dir / fixture)})

    def _pump(self):
        for line in self.proc.stdout:
            self.lines.put(json.loads(line))

    def _next(self, timeout=20):
        return self.lines.get(timeout=timeout)

    def request(self, req):
        req = {**req, "id": self.next_id}
        self.next_id += 1
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        reply = self._next()
        assert "error" not in reply, reply.get("error")
        return reply["result"]

    def execute(self, *sources, timeout_ms=2000):
        """Runs each source (a one-step plan) and returns the results in order."""
        req = {"id": self.next_id, "op": "execute", "timeoutMs": timeout_ms,
               "plans": [{"steps": [{"kind": "lit", "source": s}]} for s in sources]}
        self.next_id += 1
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        results = {}
        while True:
            reply = self._next()
            assert "error" not in reply, reply.get("error")
            if reply.get("done"):
                return [results[i] for i in range(len(sources))]
            results[reply["index"]] = reply["result"]

    def close(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        shutil.rmtree(self.module_dir, ignore_errors=True)


@pytest.fixture
def outside():
    """A folder outside the worker's scratch folder, with a file in it; removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="guard-victim-")).resolve()
    (folder / "keep.txt").write_text("precious")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def scratch():
    folder = os.path.realpath(tempfile.mkdtemp(prefix="guard-scratch-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def worker(scratch):
    w = WorkerProcess("guard_sample.py", scratch, {"GUARD_SAMPLE_SETTING": SECRET})
    yield w
    w.close()


def test_rmtree_outside_the_scratch_folder_is_blocked_and_reported(worker, outside):
    [result] = worker.execute(f"clean({str(outside)!r})")
    assert (outside / "keep.txt").read_text() == "precious"
    assert result["status"] == "raised"
    assert result["exception"]["type"] == "PermissionError"
    assert result["outsideEffects"] == [f"delete {outside}"]


def test_a_call_that_swallows_the_refusal_still_reports_it(worker, outside):
    [result] = worker.execute(f"tidy({str(outside / 'keep.txt')!r})")
    assert result["status"] == "ok"
    assert result["outsideEffects"] == [f"delete {outside / 'keep.txt'}"]
    assert (outside / "keep.txt").exists()


def test_writes_outside_are_blocked_also_through_a_link_in_the_scratch_folder(worker, outside):
    target = outside / "new.txt"
    # (The link is made and used in one plan: files a plan leaves are removed after it.)
    results = worker.execute(
        f"save({str(target)!r}, 'x')",
        f"(__import__('os').symlink({str(outside)!r}, 'door'), save('door/new.txt', 'x'))",
    )
    assert [r["status"] for r in results] == ["raised", "raised"]
    assert results[0]["outsideEffects"] == [f"write {target}"]
    assert results[1]["outsideEffects"] == [f"write {target}"]
    assert not target.exists()
    assert (outside / "keep.txt").exists()


def test_writes_inside_the_scratch_folder_work(worker, scratch):
    [result] = worker.execute("save('notes.txt', 'hello')")
    assert result["status"] == "ok"
    assert result["value"]["expr"] == "'hello'"
    assert "outsideEffects" not in result
    assert result["sideEffects"] == ["notes.txt"]
    assert not os.path.exists(os.path.join(scratch, "notes.txt"))  # removed after the plan


def test_a_connect_to_a_local_listener_never_reaches_it(worker):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(5)
        port = listener.getsockname()[1]
        [result] = worker.execute(f"connect({port})")
        assert result["status"] == "raised"
        assert result["outsideEffects"] == [f"connect 127.0.0.1:{port}"]
        listener.setblocking(False)
        with pytest.raises(BlockingIOError):
            listener.accept()  # no connection was ever queued
    finally:
        listener.close()


def test_processes_are_not_started(worker, outside):
    marker = outside / "marker"
    results = worker.execute(f"run(['touch', {str(marker)!r}])", f"shell('touch {marker}')", "run(['sleep', '100'])")
    assert [r["status"] for r in results] == ["raised", "raised", "raised"]
    assert results[0]["outsideEffects"] == [f"spawn ['touch', '{marker}']"]
    assert results[1]["outsideEffects"] == [f"spawn 'touch {marker}'"]
    assert results[2]["outsideEffects"] == ["spawn ['sleep', '100']"]
    assert not marker.exists()


def test_signals_to_other_processes_are_blocked():
    victim = subprocess.Popen(["sleep", "30"], start_new_session=True)
    folder = os.path.realpath(tempfile.mkdtemp(prefix="guard-scratch-"))
    w = WorkerProcess("guard_sample.py", folder)
    try:
        [result] = w.execute(f"stop({victim.pid})")
        assert result["status"] == "raised"
        assert result["outsideEffects"] == [f"signal {victim.pid}"]
        time.sleep(0.2)
        assert victim.poll() is None
    finally:
        w.close()
        victim.kill()
        victim.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


def test_a_thread_left_running_stays_guarded(worker, outside):
    target = outside / "late.txt"
    [result] = worker.execute(f"later({str(target)!r})")
    assert result["status"] == "ok"
    time.sleep(0.6)
    assert not target.exists()


def test_each_plan_starts_in_the_scratch_folder(worker, scratch):
    results = worker.execute("__import__('os').chdir('/')", "where()")
    assert results[0]["status"] == "ok"
    assert results[1]["status"] == "ok"
    assert results[1]["machineDependent"] is True  # the scratch folder's path is a value of this machine


def test_a_value_of_the_environment_is_not_reported(worker):
    results = worker.execute("setting('GUARD_SAMPLE_SETTING')", "setting('HOME')", "setting('NO_SUCH_SETTING')", "save('a.txt', 'plain')")
    for r in results[:2]:
        assert r["status"] == "ok"
        assert r["machineDependent"] is True
        assert r["value"]["expr"] is None
    assert SECRET not in json.dumps(results[0])
    assert results[2]["status"] == "raised"
    assert results[2].get("machineDependent") is None
    assert results[3].get("machineDependent") is None
    assert results[3]["value"]["expr"] == "'plain'"


def test_import_effects_are_blocked_and_reported_and_the_time_limit_still_holds(scratch):
    w = WorkerProcess("guard_import.py", scratch)
    try:
        assert w.module["importEffects"] == ["write /nonexistent-test-agent-probe/created.txt"]
        # The module ignored SIGALRM at import: the worker's own handler is back for each plan.
        spin, double = w.execute("spin()", "double(21)", timeout_ms=300)
        assert spin["status"] == "timeout"
        assert double["value"]["expr"] == "42"
    finally:
        w.close()
