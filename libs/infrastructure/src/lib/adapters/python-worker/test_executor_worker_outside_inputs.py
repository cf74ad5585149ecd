"""Tests of what the worker reports a call reads besides its arguments: optional imports (``optionalImports``), names
a module-level ``try`` imports and an ``except ImportError`` handler binds to a constant, with the callables that
read them (or call what does); and the callables that read ``sys.argv`` (``argvReaders``).

Run with: ``.venv/bin/python -m pytest libs/infrastructure/src/lib/adapters/python-worker/test_executor_worker_outside_inputs.py``
"""

import ast
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_agent_worker.outside_inputs import argv_readers, optional_imports  # noqa: E402

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
    return {o["name"]: o for o in optional_imports(tree, spans_of(tree))}


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
    assert optional_imports(tree, spans_of(tree)) == []


def test_a_module_without_optional_imports_gives_nothing():
    tree = ast.parse("import zlib\n\ndef f():\n    return zlib\n")
    assert optional_imports(tree, spans_of(tree)) == []


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
    assert argv_readers(tree, spans_of(tree)) == ["Tool", "Tool.start", "cli", "main"]


def test_a_module_that_never_reads_sys_argv_has_no_argv_readers():
    tree = ast.parse("import sys\n\ndef f(argv):\n    return sys.path\n")
    assert argv_readers(tree, spans_of(tree)) == []
