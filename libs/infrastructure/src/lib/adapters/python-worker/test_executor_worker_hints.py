"""Parameter types from usage (``test_agent_worker.hints.param_hints``): each case is a function whose parameter has
no annotation and a name that says nothing (``a``, ``b``), so only what the function does with it can type it.

Run with: ``.venv/bin/python -m pytest libs/infrastructure/src/lib/adapters/python-worker/test_executor_worker_hints.py``
"""

import ast
import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_agent_worker.hints import param_hints  # noqa: E402

STR = {"kind": "builtin", "name": "str"}
INT = {"kind": "builtin", "name": "int"}
FLOAT = {"kind": "builtin", "name": "float"}
BOOL = {"kind": "builtin", "name": "bool"}
BYTES = {"kind": "builtin", "name": "bytes"}
ANY = {"kind": "any"}
STREAM = {"kind": "any", "hint": "typing.TextIO"}
BINARY_STREAM = {"kind": "any", "hint": "typing.BinaryIO"}
PATH = {"kind": "any", "hint": "os.PathLike"}
MATCH = {"kind": "any", "hint": "re.Match"}


def hints(source):
    return param_hints(ast.parse(textwrap.dedent(source)))


@pytest.mark.parametrize("body, expected", [
    ("return a.strip()", [STR]),
    ("return a.decode()", [BYTES]),
    ("return a.replace(b'_', b' ')", [BYTES]),
    ("return a.bit_length()", [INT]),
    ("a.append(1)", [{"kind": "list", "item": ANY}]),
    ("a.add(1)", [{"kind": "set", "item": ANY}]),
    ("return a.get('x')", [{"kind": "dict", "key": STR, "value": ANY}]),
    ("return a.readline() + '!'", [STREAM]),
    ("return a.read(4) == b'PNG'", [BINARY_STREAM]),
    ("return a.read()", [STREAM, BINARY_STREAM]),
    ("return a & 0xff", [INT]),
    ("return a >> 2", [INT]),
    ("return ~a", [INT]),
    ("return f'{a:.3f}'", [FLOAT]),
    ("return f'{a:08x}'", [INT]),
    ("return a in ('x', 'y')", [STR]),
    ("return a in 'xyz'", [STR]),
    ("return a is True", [BOOL]),
    ("return ord(a)", [STR]),
    ("return chr(a)", [INT]),
    ("return int(a)", [STR, FLOAT]),
    ("return dict(a)", [{"kind": "dict", "key": STR, "value": ANY}]),
    ("return ', '.join(a)", [{"kind": "list", "item": STR}]),
    ("return len(a)", [STR, {"kind": "list", "item": ANY}]),
    ("return len(a) + a.count('x') + a.find('y')", [STR]),
    ("x, y = a\n    return x", [{"kind": "tuple", "items": [ANY, ANY]}]),
    ("return print(*a)", [{"kind": "list", "item": ANY}]),
    ("return dict(**a)", [{"kind": "dict", "key": STR, "value": ANY}]),
    ("return open(a).read()", [PATH]),
    ("return open(a, 'w').write('x')", [STR]),
    ("import os\n    return os.path.isfile(a)", [PATH]),
    ("import math\n    return math.sqrt(a)", [FLOAT]),
    ("return max(a)", [{"kind": "list", "item": INT}]),
    ("return a.group('number') + a.group(0)", [{**MATCH, "groups": ["number"]}]),
    ("x, y = a.groups()\n    return x", [{**MATCH, "groupCount": 2}]),
    ("return a.lastindex", [MATCH]),
    # Reads used as bytes make a binary stream, though the function's str constants would say text.
    ("buf = a.read()\n    return unpack('<I', buf[:4]), 'name', 'mode'", [BINARY_STREAM]),
    ("buf = a.read()\n    return b'\\x00' in buf[4:], 'name', 'mode'", [BINARY_STREAM]),
    ("head = a.readline()\n    return head.split(b';'), 'name', 'mode'", [BINARY_STREAM]),
    ("return struct.unpack('>H', a.read(2)), 'name', 'mode'", [BINARY_STREAM]),
    ("text = a.read()\n    return text.split(';'), 'name', 'mode'", [STREAM]),
])
def test_a_use_types_the_parameter(body, expected):
    assert hints(f"def f(a):\n    {body}\n")["f"]["a"] == expected


def test_a_list_gets_its_item_type_from_what_the_loop_does_with_the_items():
    found = hints("""
        def total(a, b):
            n = 0
            for w in a:
                n += len(w.strip())
            return n + sum(x * 2 for x in b)
    """)["total"]
    assert found["a"] == [{"kind": "list", "item": STR}]
    assert found["b"] == [{"kind": "list", "item": INT}]


def test_an_item_used_only_by_length_and_index_is_a_str_or_a_list_unless_more_is_seen():
    found = hints("""
        def f(a, b):
            for line in a:
                i = line.find('#')
                line = line[:i]
            return [len(row) for row in b]
    """)["f"]
    assert found["a"] == [{"kind": "list", "item": STR}]
    assert found["b"] == [{"kind": "list", "item": {"kind": "union", "options": [STR, {"kind": "list", "item": ANY}]}}]


def test_a_dict_gets_the_keys_it_is_indexed_with_and_the_types_of_its_items():
    found = hints("""
        def port(a, b):
            for k, v in b.items():
                if k.startswith('x') and v > 3:
                    return a['host'], a['port']
    """)["port"]
    assert found["a"] == [{"kind": "dict", "key": {"kind": "literal", "values": ["'host'", "'port'"]}, "value": ANY}]
    assert found["b"] == [{"kind": "dict", "key": STR, "value": INT}]


def test_a_parameter_stored_by_init_is_typed_by_what_the_other_methods_do_with_the_attribute():
    found = hints("""
        class Reader:
            def __init__(self, a, b=None):
                self.source = a
                self.limit = b or 10

            def line(self):
                text = self.source.readline()
                return text[: self.limit - 1].rstrip("\\n")
    """)["Reader.__init__"]
    assert found == {"a": [STREAM], "b": [INT]}


def test_isinstance_names_builtins_abstract_bases_and_the_module_s_classes():
    found = hints("""
        from collections.abc import Mapping

        class Node:
            def walk(self):
                return []

        def f(a, b, c):
            if isinstance(a, (int, str)) or isinstance(b, Mapping) or isinstance(c, Node):
                return 1
    """)["f"]
    assert found == {"a": [INT, STR], "b": [{"kind": "dict", "key": STR, "value": ANY}], "c": [{"kind": "class", "ref": "Node"}]}


def test_attributes_all_of_one_class_make_a_class_hint_and_a_method_s_receiver_is_never_typed():
    found = hints("""
        class Point:
            def __init__(self, x):
                self.x = x

            def norm(self):
                return self.x

            def __add__(a, b):
                return a.x + b

        def show(a):
            return a.norm() + a.x
    """)
    assert found["show"] == {"a": [{"kind": "class", "ref": "Point"}]}
    assert all("self" not in params for params in found.values())
    assert "a" not in found.get("Point.__add__", {})  # a receiver by another name: a.x would make it a Point


def test_a_caller_inherits_what_the_function_it_passes_the_parameter_to_does_with_it():
    found = hints("""
        def inner(b):
            return b.upper()

        def outer(a):
            return inner(a)
    """)
    assert found["outer"] == {"a": [STR]}


def test_a_class_inheriting_a_method_that_calls_its_override_gets_what_the_override_makes_of_the_parameter():
    found = hints("""
        class Reader:
            def __init__(self, fp=None):
                if fp is not None:
                    self._load(fp)

            def _load(self, fp):
                pass

        class BinaryReader(Reader):
            def _load(self, fp):
                data = fp.read()
                return unpack('<I', data[:4]), 'name'

        class Plain(Reader):
            pass
    """)
    assert found["BinaryReader.__init__"] == {"fp": [BINARY_STREAM]}
    assert "Reader.__init__" not in found and "Plain.__init__" not in found


def test_a_parameter_a_setter_stores_is_typed_by_what_the_other_methods_do_with_the_attribute():
    found = hints("""
        class Chain:
            def __init__(self):
                self._next = None

            def link(self, other):
                self._next = other

            def lookup(self, key):
                if self._next:
                    return self._next.lookup(key)
                return key
    """)
    assert found["Chain.link"] == {"other": [{"kind": "class", "ref": "Chain"}]}


def test_names_alone_say_nothing():
    assert hints("def f(year, month, text, stream, path):\n    return (year, month, text, stream, path)\n") == {}


def test_a_caller_inherits_the_isinstance_checks_of_the_callee_too():
    found = hints("""
        class Lexer:
            def __init__(self, a):
                if isinstance(a, str):
                    a = io.StringIO(a)
                self.stream = a

            def next(self):
                return self.stream.read(1) + '!'

        def split(b):
            return list(Lexer(b))
    """)
    assert found["Lexer.__init__"] == {"a": [STR, STREAM]}
    assert found["split"] == {"b": [STR, STREAM]}


def test_a_caller_with_evidence_of_its_own_inherits_what_the_callee_does_not_what_it_checks_for():
    found = hints("""
        def compile_(a):
            if isinstance(a, bytes):
                a = str(a, 'latin-1')
            return a.lower()

        def match(b, c):
            return compile_(c)(b.strip())

        def full(d, e):
            return match(os.path.normcase(d), e.upper())
    """)
    assert found["compile_"] == {"a": [BYTES, STR]}
    assert found["match"] == {"b": [STR], "c": [BYTES, STR]}
    assert found["full"] == {"d": [STR], "e": [STR]}


def test_a_parameter_replaced_by_what_a_module_function_makes_of_it_is_typed_by_that_function_alone():
    found = hints("""
        def _writer(a, encoding):
            if isinstance(a, io.TextIOBase):
                return a
            if isinstance(a, io.RawIOBase):
                return io.TextIOWrapper(a, encoding)
            return a

        class Generator:
            def __init__(self, b=None, encoding='utf-8'):
                b = _writer(b, encoding)
                self._write = b.write

        def copy(c):
            c = c.strip()
            return c.upper()
    """)
    assert found["Generator.__init__"] == {"b": [STREAM, BINARY_STREAM]}
    # Replaced by a method of its own type, not by a function of the module: what follows is still evidence.
    assert found["copy"] == {"c": [STR]}
