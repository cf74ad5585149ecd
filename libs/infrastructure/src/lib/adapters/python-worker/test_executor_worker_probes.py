"""Dynamic evidence of parameter types (``test_agent_worker.probes``): functions the source says nothing about are
called with recording proxies; what the call tries on each (or the TypeError a C function raises on it) types it.

Run with: ``.venv/bin/python -m pytest libs/infrastructure/src/lib/adapters/python-worker/test_executor_worker_probes.py``
"""

import signal
import sys
import textwrap
import time
import types
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_agent_worker.guard import Guard  # noqa: E402
from test_agent_worker.probes import in_child, probed_hints  # noqa: E402
from test_agent_worker.streams import on_alarm  # noqa: E402

STR = {"kind": "builtin", "name": "str"}
INT = {"kind": "builtin", "name": "int"}
FLOAT = {"kind": "builtin", "name": "float"}
BYTES = {"kind": "builtin", "name": "bytes"}
STREAM = {"kind": "any", "hint": "typing.TextIO"}

SOURCE = """
import binascii, math, struct

def hexed(a):
    return binascii.hexlify(a)

def root_and_byte(a, b):
    return math.sqrt(a) + struct.pack('>I', b)[0]

def first_char(a):
    return a.read(1)

def size(a):
    return len(a)

def careful(a):
    try:
        return a.upper()
    except Exception:
        return None

def increment(a, /):
    return a + 1

def forever(a):
    while True:
        pass

def typed(a: int):
    return a.upper()

def hinted(a):
    return a.strip()

SEEN = []

def remember(a):
    SEEN.append(a + 1)
    return len(SEEN)
"""


@pytest.fixture()
def module():
    signal.signal(signal.SIGALRM, on_alarm)
    m = types.ModuleType("probed_sample")
    exec(compile(textwrap.dedent(SOURCE), "probed_sample.py", "exec"), m.__dict__)
    return m


def callable_info(name, params, kind="either"):
    return {"kind": "function", "qualname": name, "params": [
        {"name": p, "kind": kind, "hasDefault": False, "type": {"kind": "any"}} for p in params]}


def test_what_a_call_tries_on_a_probe_types_the_parameter(module):
    callables = [callable_info("hexed", ["a"]), callable_info("root_and_byte", ["a", "b"]),
                 callable_info("first_char", ["a"]), callable_info("size", ["a"]), callable_info("careful", ["a"]),
                 callable_info("increment", ["a"], kind="positional"), callable_info("forever", ["a"])]
    started = time.monotonic()
    found = probed_hints(module, callables, {})
    assert found == {
        "hexed": {"a": [BYTES]},  # binascii's TypeError: a bytes-like object is required, not 'probe0'
        "root_and_byte": {"a": [FLOAT], "b": [INT]},  # one parameter after the other
        "first_char": {"a": [STREAM]},
        "size": {"a": [STR, {"kind": "list", "item": {"kind": "any"}}]},
        "careful": {"a": [STR]},  # the code caught the probe's stop: what it tried still counts
        "increment": {"a": [INT]},
    }
    assert time.monotonic() - started < 1.5  # the endless loop is cut at the call limit


def test_parameters_an_annotation_or_the_source_typed_are_left_alone(module):
    typed = callable_info("typed", ["a"])
    typed["params"][0]["type"] = INT
    found = probed_hints(module, [typed, callable_info("hinted", ["a"])], {"hinted": {"a": [STR]}})
    assert found == {"hinted": {"a": [STR]}}


def test_probes_run_in_a_child_so_the_module_s_state_stays_as_it_was(module, tmp_path):
    # The second try passes a plain int: remember() then appends to SEEN, in the child only.
    found = in_child(module, [callable_info("remember", ["a"])], {}, Guard(str(tmp_path)))
    assert found == {"remember": {"a": [INT]}}
    assert module.SEEN == []
