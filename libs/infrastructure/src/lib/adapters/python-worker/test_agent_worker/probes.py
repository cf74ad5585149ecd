"""Dynamic evidence of parameter types: each function whose source says nothing about some parameter is called with
a recording proxy (a ``Probe``) for it, which logs the first thing the call tries on it (an attribute, an operator,
``len``, iteration, a comparison with a constant) and stops the call there; a ``TypeError`` a C function raises on it
(``must be str, not probe0``) names the type it wanted. The parameter then gets a plain value of that type and the
call is tried again, so one function can show what it does with each parameter in turn (as Pynguin's type tracing
does). Runs in a forked child of the worker (``in_child``), so what the calls change in the module's state (a
setting, a cache, a registry) never reaches the calls the search makes, under the worker's guard and a time limit
per call and per module."""

import io
import json
import os
import re
import select
import signal
import sys
import time

from .hint_types import (BYTES, CALLABLE, FLOAT, INT, METHOD_HINTS, PATH, SIZED, STR, STREAM, constant_hint,
                         dict_of, format_spec_hint, list_of)
from .streams import CallTimeout, CaptureIO

CALL_LIMIT_S = 0.05
MODULE_LIMIT_S = 1.5

# What a C function's TypeError says it wanted; the proxy is named in the message (``probe0``).
ERROR_HINTS = [
    (re.compile(r"bytes-like object is required|must be bytes|expected bytes|a bytes object"), BYTES),
    (re.compile(r"cannot be interpreted as an integer|must be an? int|integer is required|expected int|"
                r"must be integer"), INT),
    (re.compile(r"must be (a )?real number|float is required|expected float|must be float"), FLOAT),
    (re.compile(r"must be str|expected str|str expected|expected string|must be a string|can only concatenate str|"
                r"must be a unicode"), STR),
    (re.compile(r"is not iterable"), list_of()),
    (re.compile(r"has no len\(\)|is not subscriptable"), SIZED),
    (re.compile(r"is not callable"), CALLABLE),
]
OPERAND = re.compile(r"'(int|float|str|bytes|list|tuple|dict)' and 'probe(\d+)'|'probe(\d+)' and '(int|float|str|bytes|list|dict)'")
OPERAND_HINTS = {"int": INT, "float": FLOAT, "str": STR, "bytes": BYTES, "list": list_of(), "tuple": list_of(),
                 "dict": dict_of()}
PROBE_NAME = re.compile(r"\bprobe(\d+)\b")


class Stop(Exception):
    """Raised by a probe once it has logged what the call tried: the rest of the call would learn nothing sure."""


def _probe_class(index, log):
    """A proxy class for parameter ``index``: every operation on an instance logs a hint and stops the call."""

    def stop(hint):
        log.append((index, hint))
        raise Stop()

    def compared(self, other):
        stop(constant_hint(other) if isinstance(other, (str, int, float, bytes)) else None)

    def number(self, other=None):
        stop(FLOAT if isinstance(other, float) else INT)

    def concatenated(self, other=None):
        stop(constant_hint(other) if isinstance(other, (str, bytes)) else INT if isinstance(other, (int, float)) else None)

    def subscripted(self, key):
        stop(dict_of() if isinstance(key, str) else SIZED)

    members = {
        "__slots__": (),
        "__getattr__": lambda self, name: stop(METHOD_HINTS.get(name)),
        "__hash__": lambda self: id(self),
        "__bool__": lambda self: True,
        "__repr__": lambda self: f"probe{index}",
        "__str__": lambda self: f"probe{index}",
        "__format__": lambda self, spec: stop(format_spec_hint(spec)) if spec else f"probe{index}",
        "__len__": lambda self: stop(SIZED), "__iter__": lambda self: stop(list_of()),
        "__contains__": lambda self, x: stop(SIZED), "__getitem__": subscripted,
        "__index__": lambda self: stop(INT), "__int__": lambda self: stop(INT), "__float__": lambda self: stop(FLOAT),
        "__fspath__": lambda self: stop(PATH), "__call__": lambda self, *a, **k: stop(CALLABLE),
        "__neg__": number, "__invert__": lambda self: stop(INT), "__abs__": number,
        "__eq__": compared, "__ne__": compared, "__lt__": compared, "__le__": compared, "__gt__": compared,
        "__ge__": compared, "__add__": concatenated, "__radd__": concatenated, "__mul__": concatenated,
        "__rmul__": concatenated,
    }
    for name in ("sub", "truediv", "floordiv", "pow", "divmod"):
        members[f"__{name}__"] = members[f"__r{name}__"] = number
    for name in ("mod", "and", "or", "xor", "lshift", "rshift"):
        members[f"__{name}__"] = members[f"__r{name}__"] = lambda self, other=None: stop(INT)
    return type(f"probe{index}", (), members)


PLAIN = {"str": "a", "int": 1, "float": 1.5, "bytes": b"a", "bool": True}
PLAIN_KIND = {"list": list, "set": set, "tuple": tuple, "dict": dict}


def _plain_value(hint):
    """A value of a hint's type to stand for the parameter in the next try."""
    kind = hint["kind"]
    if kind == "builtin":
        return PLAIN.get(hint["name"], "a")
    if kind in PLAIN_KIND:
        return PLAIN_KIND[kind]()
    if kind == "callable":
        return lambda *a, **k: None
    return io.StringIO("a") if hint is STREAM else "a"


def _from_error(ex, log):
    text = str(ex)
    m = OPERAND.search(text)
    if m:
        log.append((int(m.group(2) or m.group(3)), OPERAND_HINTS[m.group(1) or m.group(4)]))
        return
    named = PROBE_NAME.search(text)
    if named:
        for pattern, hint in ERROR_HINTS:
            if pattern.search(text):
                log.append((int(named.group(1)), hint))
                return


def probe_call(fn, params, deadline):
    """{parameter: [hints]} for the required ``params`` ((name, passed by keyword)) of ``fn``, from calls with
    probes: the first hint each parameter showed ("a str or a list" for ``len``/subscripts)."""
    log = []
    names = [name for name, _ in params]
    values = [_probe_class(i, log)() for i in range(len(params))]
    found = {}
    for _ in range(len(params) + 1):
        if time.monotonic() > deadline:
            break
        log.clear()
        args = [v for v, (_, by_name) in zip(values, params) if not by_name]
        kwargs = {name: v for v, (name, by_name) in zip(values, params) if by_name}
        if not _one_call(fn, args, kwargs, log):
            break
        fresh = [(i, h) for i, h in log if h is not None and names[i] not in found]
        if not fresh:
            break
        for i, hint in fresh:
            found[names[i]] = [STR, list_of()] if hint == SIZED else [hint]
            values[i] = _plain_value(STR if hint == SIZED else hint)
    return found


def _one_call(fn, args, kwargs, log):
    """One call with the current values: whether a probe logged something (False after a time-out)."""
    old_out, old_err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = CaptureIO(), CaptureIO()
    signal.setitimer(signal.ITIMER_REAL, CALL_LIMIT_S)
    try:
        fn(*args, **kwargs)
    except TypeError as ex:
        _from_error(ex, log)
    except CallTimeout:
        return False
    except BaseException as ex:  # noqa: BLE001 - a probe's Stop, or what the code raises on a probe
        if isinstance(ex, KeyboardInterrupt):
            raise
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        sys.stdout, sys.stderr = old_out, old_err
    # What the probes logged holds even when the code caught their Stop and went on.
    return bool(log)


def probed_hints(module, callables, hints):
    """``hints`` plus what probes showed for each module-level function's required parameters that neither an
    annotation nor the source typed (at most ``MODULE_LIMIT_S`` in all)."""
    deadline = time.monotonic() + MODULE_LIMIT_S
    for c in callables:
        if c["kind"] != "function" or c.get("isGenerator") or c.get("isAsync"):
            continue
        mine = hints.get(c["qualname"], {})
        required = [p for p in c["params"] if not p["hasDefault"] and p["kind"] in ("positional", "either", "keyword")]
        untyped = [p["name"] for p in required if p["name"] not in mine and p["type"] == {"kind": "any"}]
        fn = getattr(module, c["qualname"], None)
        if not untyped or not callable(fn) or time.monotonic() > deadline:
            continue
        found = probe_call(fn, [(p["name"], p["kind"] == "keyword") for p in required], deadline)
        for name in untyped:
            if found.get(name):
                hints.setdefault(c["qualname"], {})[name] = found[name]
    return hints


def in_child(module, callables, hints, guard):
    """``probed_hints`` run in a forked child under ``guard``; the parent's module is left as it was. ``hints``
    unchanged when the child fails, crashes or overruns (``MODULE_LIMIT_S`` and a second)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: probe, write the hints as JSON, leave without running the worker's exit code
        code = 1
        try:
            os.close(read_end)
            guard.start()
            data = json.dumps(probed_hints(module, callables, hints)).encode()
            guard.stop()
            while data:
                data = data[os.write(write_end, data):]
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    chunks, deadline = [], time.monotonic() + MODULE_LIMIT_S + 1
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([read_end], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(read_end, 1 << 16) if ready else b""
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_end)
        _reap(pid)
    try:
        return json.loads(b"".join(chunks)) if chunks else hints
    except ValueError:
        return hints


def _reap(pid):
    """Waits for the child, killing it first when it is still running."""
    done, _ = os.waitpid(pid, os.WNOHANG)
    if done == 0:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
