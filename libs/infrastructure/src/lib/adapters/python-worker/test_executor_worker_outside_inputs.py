"""Tests of what the worker reports a call reads besides its arguments: optional imports (``optionalImports``), names
a module-level ``try`` imports and an ``except ImportError`` handler binds to a constant, with the callables that
read them (or call what does); and the callables that read ``sys.argv`` (``argvReaders``).

Run with: ``.venv/bin/python -m pytest libs/infrastructure/src/lib/adapters/python-worker/test_executor_worker_outside_inputs.py``
"""

import ast
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_agent_worker.outside_inputs import outside_inputs  # noqa: E402

SOURCE = '''
import os

try:
    from binascii import b2a_qp, a2b_qp as decoder
except ImportError:
    b2a_qp = None
    decoder = None

try:
    import ssl
    HAS_SSL = True
except (ModuleNotFoundError, OSError):
    HAS_SSL = False

if os.name:
    try:
        import zlib
    except ImportError:
        zlib = None

try:
    import json
except ValueError:
    json = None

try:
    from math import tau
except ImportError:
    tau = 6.28
    pi = 3.14


def encode(data):
    if b2a_qp is not None:
        return b2a_qp(data)
    return data


def encode_all(items):
    return [encode(i) for i in items]


def report(items):
    return encode_all(items)


def decode(data):
    return decoder(data) if decoder else data


class Client:
    def connect(self):
        return "tls" if HAS_SSL else "plain"

    def pack(self, data):
        return zlib.compress(data) if zlib else data


def dumps(x):
    return json.dumps(x)


def circle(r):
    return tau * r


def unrelated():
    return pi
'''


def spans_of(tree):
    spans = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            spans[node.name] = [node.lineno, node.end_lineno]
            for item in getattr(node, "body", []):
                if isinstance(node, ast.ClassDef) and isinstance(item, ast.FunctionDef):
                    spans[f"{node.name}.{item.name}"] = [item.lineno, item.end_lineno]
    return spans


def found():
    tree = ast.parse(SOURCE)
    return {o["name"]: o for o in outside_inputs(tree, spans_of(tree))["optionalImports"]}


def test_names_an_import_error_handler_binds_to_a_constant_with_that_constant():
    got = found()
    assert {n: o["source"] for n, o in got.items()} == {
        "b2a_qp": "None",
        "decoder": "None",
        "HAS_SSL": "False",
        "zlib": "None",
        "tau": "6.28",
    }


def test_handlers_of_other_errors_and_names_the_try_did_not_bind_are_not_optional_imports():
    got = found()
    # `except ValueError` is no optional import; `pi` is bound only by the handler (nothing to make fail).
    assert "json" not in got and "pi" not in got


def test_users_read_the_name_or_call_what_does_transitively():
    got = found()
    assert got["b2a_qp"]["users"] == ["encode", "encode_all", "report"]
    assert got["decoder"]["users"] == ["decode"]
    assert got["HAS_SSL"]["users"] == ["Client", "Client.connect"]
    assert got["zlib"]["users"] == ["Client", "Client.pack"]


def test_a_name_nothing_reads_is_not_reported():
    tree = ast.parse("try:\n    import zlib\nexcept ImportError:\n    zlib = None\n\ndef f():\n    return 1\n")
    assert outside_inputs(tree, spans_of(tree)) == {}


def test_a_module_without_optional_imports_gives_nothing():
    tree = ast.parse("import zlib\n\ndef f():\n    return zlib\n")
    assert outside_inputs(tree, spans_of(tree)) == {}


ARGV_SOURCE = '''
import sys


def main():
    opts = sys.argv[1:]
    return run(opts)


def run(opts):
    return len(opts)


def cli():
    return main()


def plain(argv):
    return argv


class Tool:
    def start(self):
        return sys.argv[0]
'''


def test_argv_readers_read_sys_argv_or_call_what_does():
    tree = ast.parse(ARGV_SOURCE)
    assert outside_inputs(tree, spans_of(tree)) == {"argvReaders": ["Tool", "Tool.start", "cli", "main"]}


def test_a_module_that_never_reads_sys_argv_has_no_argv_readers():
    tree = ast.parse("import sys\n\ndef f(argv):\n    return sys.path\n")
    assert outside_inputs(tree, spans_of(tree)) == {}


WORKER_MODULE = '''
import sys

try:
    from binascii import crc32
except ImportError:
    crc32 = None


def checksum(data):
    if crc32 is not None:
        return crc32(data)
    return sum(data) % 256


def has_crc():
    return crc32 is not None


def args():
    return sys.argv[1:]
'''


def call(name, *args):
    return {"kind": "call", "callee": {"kind": "ref", "path": name},
            "args": [{"kind": "lit", "source": a} for a in args], "keywords": []}


def test_the_worker_sets_patches_and_the_command_line_for_one_plan_only(tmp_path):
    from test_executor_worker_protocol import exchange  # noqa: E402 - the worker started as the adapter starts it

    scratch, module_dir = tmp_path / "scratch", tmp_path / "module"
    scratch.mkdir()
    module_dir.mkdir()
    (module_dir / "outside.py").write_text(WORKER_MODULE, encoding="utf-8")
    no_crc = [{"name": "crc32", "source": "None"}]
    plans = [
        {"steps": [call("checksum", "b'ab'")], "patches": no_crc},
        {"steps": [call("has_crc")]},
        {"steps": [call("checksum", "1")], "patches": no_crc},  # raises inside the patched call
        {"steps": [call("has_crc")]},
        {"steps": [call("has_crc")], "patches": [{"name": "crc32", "source": "not a constant"}]},
        {"steps": [call("args")], "argv": {"kind": "lit", "source": "['prog', '-x', _file('in.txt', 'text')]"}},
        {"steps": [call("args")]},
        {"steps": [call("args")], "argv": {"kind": "lit", "source": "['prog', _file('left.txt', 'x'), 1 / 0]"}},
    ]
    replies = exchange([None, {"id": 1, "op": "load", "importRoot": str(module_dir), "moduleName": "outside",
                               "file": str(module_dir / "outside.py")},
                        {"id": 2, "op": "execute", "plans": plans, "timeoutMs": 2000}], str(scratch), str(module_dir))
    results = [m["result"] for m in replies[2] if "result" in m]
    assert [r["status"] for r in results] == ["ok", "ok", "raised", "ok", "invalid", "ok", "ok", "invalid"]
    assert results[0]["value"]["expr"] == "195"  # the module's own code: sum(b'ab') % 256
    assert results[1]["value"]["expr"] == "True" and results[3]["value"]["expr"] == "True"  # restored, also after a raise
    assert results[5]["value"]["expr"] == "['-x', 'in.txt']" and "sideEffects" not in results[5]
    assert results[6]["value"]["expr"] != "['-x', 'in.txt']"  # the worker's own command line again
    # A command line's files are the plan's input: none is left behind, even when building the command line failed.
    assert sorted(p.name for p in scratch.iterdir() if p.suffix == ".txt") == []


ENV_SOURCE = '''
import os
from os import environ, getenv


def mode():
    return os.environ.get('APP_MODE', 'prod')


def home():
    return getenv('HOME_DIR') or environ['FALLBACK_HOME']


def debug():
    return 'APP_DEBUG' in os.environ


def languages():
    for name in ('LANGUAGE', 'LANG'):
        if os.environ.get(name):
            return os.environ[name]
    return None


def report():
    return mode() + '!'


def dynamic(key):
    return os.environ.get(key)


def home_config():
    return os.path.join(os.environ.get('HOME', ''), os.getenv('XDG_CONFIG_HOME') or '.config', getenv('PATH'))


def app(environ, start_response):
    return environ.get('REQUEST_METHOD'), getenv('X\\x00Y')
'''


def test_environment_variables_read_by_a_constant_name_with_their_readers_and_callers():
    # Not HOME, PATH or XDG_* (the sandbox's and the tests' own), not a WSGI `environ` parameter, not a name no
    # environment can hold.
    tree = ast.parse(ENV_SOURCE)
    assert outside_inputs(tree, spans_of(tree)) == {"envReaders": [
        {"name": "APP_DEBUG", "users": ["debug"]},
        {"name": "APP_MODE", "users": ["mode", "report"]},
        {"name": "FALLBACK_HOME", "users": ["home"]},
        {"name": "HOME_DIR", "users": ["home"]},
        {"name": "LANG", "users": ["languages"]},
        {"name": "LANGUAGE", "users": ["languages"]},
    ]}


def test_the_worker_sets_and_removes_environment_variables_for_one_plan_only(tmp_path, monkeypatch):
    from test_executor_worker_protocol import exchange  # noqa: E402 - the worker started as the adapter starts it

    monkeypatch.setenv("APP_MODE", "machine")
    monkeypatch.delenv("APP_DEBUG", raising=False)
    scratch, module_dir = tmp_path / "scratch", tmp_path / "module"
    scratch.mkdir()
    module_dir.mkdir()
    (module_dir / "envy.py").write_text(ENV_SOURCE, encoding="utf-8")
    plans = [
        {"steps": [call("mode")], "env": [{"name": "APP_MODE", "value": "test"}]},
        {"steps": [call("mode")]},
        {"steps": [call("mode")], "env": [{"name": "APP_MODE", "value": None}]},
        {"steps": [call("debug")], "env": [{"name": "APP_DEBUG", "value": ""}]},
        {"steps": [call("debug")]},
    ]
    replies = exchange([None, {"id": 1, "op": "load", "importRoot": str(module_dir), "moduleName": "envy",
                               "file": str(module_dir / "envy.py")},
                        {"id": 2, "op": "execute", "plans": plans, "timeoutMs": 2000}], str(scratch), str(module_dir))
    results = [m["result"] for m in replies[2] if "result" in m]
    assert [r["value"]["expr"] for r in results] == ["'test'", None, "'prod'", "True", "False"]
    # Without a setting of its own, the call shows the machine's value: not a value a test may assert.
    assert results[1]["machineDependent"] is True and "machineDependent" not in results[0]
