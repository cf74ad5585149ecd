"""Tests of how the executor worker writes values back as Python expressions (what a test asserts on).

Run with: ``.venv/bin/python -m pytest libs/infrastructure/src/lib/adapters/python-worker/test_executor_worker_values.py``
"""

import enum
import sys
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_agent_worker.values import Describer  # noqa: E402


def describer():
    module = types.ModuleType("shapes")

    class Source(enum.IntEnum):
        COMMANDLINE = 2

    class Mode(str, enum.Enum):
        FAST = "fast"

    class Meters(int):
        def __repr__(self):
            return f"<{int(self)} m>"

    for cls in (Source, Mode, Meters):
        cls.__module__ = "shapes"
        cls.__qualname__ = cls.__name__
        setattr(module, cls.__name__, cls)
    return Describer(module), module


def test_int_and_str_enums_are_written_by_name_not_by_repr():
    d, m = describer()
    assert d.expr((46, m.Source.COMMANDLINE)) == "(46, Source.COMMANDLINE)"
    assert d.expr([m.Mode.FAST]) == "[Mode.FAST]"


def test_a_subclass_of_int_with_a_repr_that_is_no_expression_is_not_written():
    d, m = describer()
    assert d.expr(m.Meters(3)) is None
    assert d.expr((1, m.Meters(3))) is None
    assert d.expr(3) == "3"
    assert d.expr(True) == "True"
