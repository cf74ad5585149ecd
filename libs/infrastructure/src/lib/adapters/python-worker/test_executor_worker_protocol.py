"""The worker's side of the protocol fixture ``__fixtures__/protocol-messages.json`` (the adapter's jest spec
``worker-protocol.schema.spec.ts`` checks the same file against its zod schemas): each request is fed to the
worker started as the adapter starts it, and every reply must have the shape of the fixture's (the same fields,
each with a value of the same JSON type), so a field renamed on either side fails here and there.

Run with: ``.venv/bin/python -m pytest libs/infrastructure/src/lib/adapters/python-worker/test_executor_worker_protocol.py``
Rewrite the fixture from the worker's replies (then check the diff by eye):
``.venv/bin/python libs/infrastructure/src/lib/adapters/python-worker/test_executor_worker_protocol.py --write``
"""

import copy
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from test_agent_worker.protocol import ProtocolError, check_request  # noqa: E402

FIXTURE = HERE / "__fixtures__" / "protocol-messages.json"
MODULE = HERE / "__fixtures__" / "protocol_sample.py"
# Stands for the folder the module is copied to, in the fixture's requests.
MODULE_FOLDER = "<module-folder>"


def exchange(requests, scratch, module_dir):
    """The worker's replies to each request (``None``: the ready message before any), as lists of messages."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYTEST", "COV", "TEST_AGENT"))}
    env.update({"HOME": scratch, "TMPDIR": scratch, "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
                "PYTHONNOUSERSITE": "1", "PYTHONIOENCODING": "utf-8", "NO_COLOR": "1"})
    proc = subprocess.Popen([sys.executable, "-u", "-X", "utf8", str(HERE / "executor_worker.py")], cwd=scratch,
                            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, start_new_session=True)
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(json.loads(line)) for line in proc.stdout], daemon=True).start()
    try:
        replies = []
        for request in requests:
            if request is None:
                replies.append([lines.get(timeout=20)])
                continue
            text = json.dumps(request).replace(MODULE_FOLDER, module_dir)
            proc.stdin.write(text + "\n")
            proc.stdin.flush()
            got = [lines.get(timeout=20)]
            while request.get("op") == "execute" and "error" not in got[-1] and not got[-1].get("done"):
                got.append(lines.get(timeout=20))
            replies.append(got)
        return replies
    finally:
        proc.kill()
        proc.wait()


def run_fixture(fixture):
    scratch = tempfile.mkdtemp(prefix="protocol-scratch-")
    module_dir = tempfile.mkdtemp(prefix="protocol-module-")
    try:
        shutil.copy(MODULE, Path(module_dir) / MODULE.name)
        return exchange([e["request"] for e in fixture["exchanges"]], scratch, module_dir)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(module_dir, ignore_errors=True)


def shape(value):
    """The JSON type of a value; for an object its fields' shapes; for an array the set of its items' shapes."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted({json.dumps(shape(v), sort_keys=True) for v in value})
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return "null" if value is None else type(value).__name__


def differences(expected, actual, path="message"):
    """Where two messages' shapes differ (an empty array fits any array)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = [f"{path}.{k}: missing" for k in expected if k not in actual]
        out += [f"{path}.{k}: not in the fixture" for k in actual if k not in expected]
        for k in expected.keys() & actual.keys():
            out += differences(expected[k], actual[k], f"{path}.{k}")
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        if not expected or not actual:
            return []
        want, got = shape(expected), shape(actual)
        if want == got:
            return []
        # Point at the first item whose shape the other side lacks.
        for e in expected:
            if json.dumps(shape(e), sort_keys=True) not in got:
                match = next((a for a in actual if isinstance(a, dict) and isinstance(e, dict)), None)
                return differences(e, match, f"{path}[]") if match is not None else [f"{path}[]: no item like {e!r}"[:300]]
        return [f"{path}[]: items the fixture has none like"]
    if shape(expected) != shape(actual):
        return [f"{path}: {shape(expected)} in the fixture, {shape(actual)} from the worker"]
    return []


@pytest.fixture(scope="module")
def fixture():
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def replies(fixture):
    return run_fixture(fixture)


def test_the_fixture_has_every_kind_of_message(fixture):
    kinds = {r["kind"] for e in fixture["exchanges"] for r in e["replies"]}
    assert kinds == {"ready", "load reply", "plan result", "done", "pong", "error"}
    statuses = {r["message"]["result"]["status"] for e in fixture["exchanges"] for r in e["replies"] if r["kind"] == "plan result"}
    assert statuses == {"ok", "raised", "timeout", "invalid"}


def test_the_worker_accepts_each_well_formed_request_and_refuses_each_malformed_one(fixture):
    for e in fixture["exchanges"]:
        if e["request"] is None or e["request"]["op"] not in ("load", "execute", "ping"):
            continue
        if e["wellFormed"]:
            check_request(e["request"])
        else:
            with pytest.raises(ProtocolError):
                check_request(e["request"])


def test_a_renamed_request_field_is_refused_and_named(fixture):
    load = next(copy.deepcopy(e["request"]) for e in fixture["exchanges"] if e["request"] and e["request"]["op"] == "load")
    load["module"] = load.pop("moduleName")
    with pytest.raises(ProtocolError, match="missing field 'moduleName'"):
        check_request(load)


def test_each_reply_has_the_shape_of_the_fixture(fixture, replies):
    assert len(replies) == len(fixture["exchanges"])
    for e, got in zip(fixture["exchanges"], replies):
        assert len(got) == len(e["replies"]), (e["request"], got)
        for want, message in zip(e["replies"], got):
            assert differences(want["message"], message) == [], (want["kind"], e["request"])


def test_a_renamed_reply_field_is_a_difference(fixture, replies):
    loaded = next(r["message"] for e in fixture["exchanges"] for r in e["replies"] if r["kind"] == "load reply")
    renamed = copy.deepcopy(loaded)
    renamed["result"]["callables"][0]["qualName"] = renamed["result"]["callables"][0].pop("qualname")
    actual = next(m for got in replies for m in got if "result" in m and "callables" in m["result"])
    assert "message.result.callables[].qualName: missing" in differences(renamed, actual)


def kind_of(message):
    if message.get("ready"):
        return "ready"
    if "error" in message:
        return "error"
    if message.get("done"):
        return "done"
    if "index" in message:
        return "plan result"
    return "pong" if message.get("result", {}).get("pong") else "load reply"


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    old = json.loads(FIXTURE.read_text(encoding="utf-8"))
    new_replies = run_fixture(old)
    for e, got in zip(old["exchanges"], new_replies):
        for m in got:
            if "pid" in m:
                m["pid"] = 4242
            if "trace" in m:
                m["trace"] = m["trace"].replace(str(HERE), "<worker-folder>")
        e["replies"] = [{"kind": kind_of(m), "message": m} for m in got]
    FIXTURE.write_text(json.dumps(old, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
