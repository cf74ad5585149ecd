"""Classes from elsewhere a parameter fits by its use (``test_agent_worker.duck_types``): a package written for the
test under ``tmp_path``, imported for real, its module's hints computed with the resolver.

Run with: ``.venv/bin/python -m pytest libs/infrastructure/src/lib/adapters/python-worker/test_executor_worker_duck_types.py``
"""

import ast
import importlib
import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_agent_worker.duck_types import duck_type_resolver  # noqa: E402
from test_agent_worker.hints import param_hints  # noqa: E402

READER = """
    class Reader:
        def parse(self, source):
            raise NotImplementedError
        def set_locale(self, locale):
            return locale

    class BufferedReader(Reader):
        def __init__(self, size=10):
            self.size = size

    class NamedReader(Reader):
        def __init__(self, name):
            self.name = name

    class Other:
        def parse(self, source):
            return source
"""

FILTER = """
    from . import reader
    from .reader import Other

    class Filter:
        def __init__(self, parent=None, sink=None):
            self._parent = parent
            self.sink = sink

        def parse(self, source):
            self._parent.set_locale('C')
            return self._parent.parse(source)

        def flush(self):
            return self.sink.parse('x')

    def passes(stream):
        return stream.read()

    def localise(handle):
        return handle.set_locale('C')
"""


@pytest.fixture()
def package(tmp_path, monkeypatch):
    root = tmp_path / "ducks"
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "reader.py").write_text(textwrap.dedent(READER))
    (root / "filter.py").write_text(textwrap.dedent(FILTER))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module("ducks.filter")
    for name in [n for n in sys.modules if n == "ducks" or n.startswith("ducks.")]:
        del sys.modules[name]


def hints_of(module):
    return param_hints(ast.parse(Path(module.__file__).read_text()), duck_type_resolver(module))


def test_a_parameter_whose_methods_an_imported_class_has_gets_that_class_when_it_builds_without_arguments(package):
    found = hints_of(package)
    # NamedReader needs a name, Other lacks set_locale: neither fits.
    assert found["Filter.__init__"]["parent"] == [
        {"kind": "any", "hint": "ducks.reader.BufferedReader", "make": "reader.BufferedReader()"},
        {"kind": "any", "hint": "ducks.reader.Reader", "make": "reader.Reader()"},
    ]


def test_one_attribute_says_too_little_and_the_module_s_own_classes_and_other_usage_come_first(package):
    found = hints_of(package)
    assert "localise" not in found
    assert found["Filter.__init__"]["sink"] == [{"kind": "class", "ref": "Filter"}]
    assert found["passes"] == {"stream": [{"kind": "any", "hint": "typing.TextIO"}, {"kind": "any", "hint": "typing.BinaryIO"}]}


def test_without_a_resolver_only_the_module_s_own_classes_count(package):
    found = param_hints(ast.parse(Path(package.__file__).read_text()))
    assert "parent" not in found.get("Filter.__init__", {})
