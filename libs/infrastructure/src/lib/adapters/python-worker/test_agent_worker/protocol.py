"""The worker's side of the protocol: JSON lines over private copies of fds 0 and 1, and the request loop.

Requests arrive on the original stdin, one object per line, each with an ``id`` and an ``op``; replies go to the
original stdout, one object per line, carrying the same ``id``. The module's own ``print``s and C-level writes to
fd 1/2 go to a log file in the worker's temp dir, never into the protocol.

Ops (``REQUEST_FIELDS``; the adapter's zod schemas in ``protocol-schemas.ts`` describe every message):
  load     {importRoot, moduleName, file}  -> ``{"id", "result": <module interface>}``
  execute  {plans, timeoutMs}               -> one ``{"id", "index", "result"}`` line per plan, then ``{"id", "done"}``
  ping                                      -> ``{"id", "result": {"pong": true}}``
Before the first request the worker says ``{"ready": true, "pid"}``; a request that fails gets
``{"id", "error", "trace"?}``.
"""

import io
import json
import os
import signal
import sys
import traceback

from .execution import Worker
from .streams import CallTimeout, NoStdin, on_alarm

# Each op's fields besides ``id`` and ``op``: name -> (accepted types, required).
REQUEST_FIELDS = {
    "load": {"importRoot": ((str,), True), "moduleName": ((str,), True), "file": ((str,), True)},
    "execute": {"plans": ((list,), True), "timeoutMs": ((int, float), False)},
    "ping": {},
}


class ProtocolError(ValueError):
    """A request that does not have the fields of its op (``REQUEST_FIELDS``)."""


def check_request(req):
    """Raises ``ProtocolError`` naming the field when a request of a known op lacks a field, has one of the wrong
    type or one its op does not have; unknown ops are left to the request loop."""
    if not isinstance(req, dict):
        raise ProtocolError(f"a request is a JSON object, not {type(req).__name__}")
    if not isinstance(req.get("id"), int) or isinstance(req.get("id"), bool):
        raise ProtocolError("field 'id': an integer is required")
    op = req.get("op")
    fields = REQUEST_FIELDS.get(op) if isinstance(op, str) else None
    if fields is None:
        return
    for name, (types_, required) in fields.items():
        if name not in req:
            if required:
                raise ProtocolError(f"{op} request: missing field {name!r}")
            continue
        value = req[name]
        if not isinstance(value, types_) or isinstance(value, bool):
            raise ProtocolError(f"{op} request: field {name!r} is {type(value).__name__}, not {types_[0].__name__}")
    unknown = sorted(set(req) - set(fields) - {"id", "op"})
    if unknown:
        raise ProtocolError(f"{op} request: unknown field {unknown[0]!r}")


def private_streams():
    """Keeps the protocol on private copies of fds 0/1 and points 0/1/2 elsewhere, so stray writes of the code
    under test cannot corrupt it: (protocol input, protocol output)."""
    proto_in = os.fdopen(os.dup(0), "r", encoding="utf-8")
    proto_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    log = os.open(os.path.join(os.getcwd(), ".worker-output.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    sys.stdin = NoStdin()
    sys.stdout = io.StringIO()
    sys.stderr = io.StringIO()
    return proto_in, proto_out


def main():
    proto_in, proto_out = private_streams()
    signal.signal(signal.SIGALRM, on_alarm)
    sys.setrecursionlimit(3000)
    # No bytecode next to the module (outside the scratch folder); the launcher asks for none too.
    sys.dont_write_bytecode = True
    worker = Worker()

    def reply(obj):
        proto_out.write(json.dumps(obj, default=repr) + "\n")
        proto_out.flush()

    reply({"ready": True, "pid": os.getpid()})
    # The loop stays in this function (no dispatch helper): the code under test gets the stack depth it always had.
    for line in proto_in:
        line = line.strip()
        if not line:
            continue
        req = json.loads(line)
        try:
            check_request(req)
            op = req.get("op")
            if op == "load":
                reply({"id": req["id"], "result": worker.load(req)})
            elif op == "execute":
                worker.execute(req, reply)
                reply({"id": req["id"], "done": True})
            elif op == "ping":
                reply({"id": req["id"], "result": {"pong": True}})
            else:
                reply({"id": req["id"], "error": f"unknown op {op}"})
        except CallTimeout:
            reply({"id": req["id"], "error": "timed out"})
        except BaseException as ex:  # noqa: BLE001 - reported to the caller, the worker stays up
            if isinstance(ex, KeyboardInterrupt):
                raise
            reply({"id": req["id"], "error": f"{type(ex).__name__}: {ex}", "trace": traceback.format_exc()[-2000:]})
