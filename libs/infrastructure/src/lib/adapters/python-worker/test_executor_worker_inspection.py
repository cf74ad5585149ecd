"""Tests of which callables the executor worker lists for the search: the module's own special methods that stand for
operators and builtins are listed like methods; those a decorator wrote (dataclass; total_ordering's __le__, __gt__
and __ge__, whose source is functools') are not.

Run with: ``.venv/bin/python -m pytest libs/infrastructure/src/lib/adapters/python-worker/test_executor_worker_inspection.py``
"""

import importlib.util
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_agent_worker.inspection import list_callables  # noqa: E402
from test_agent_worker.values import Describer  # noqa: E402

SOURCE = '''
from dataclasses import dataclass
from functools import total_ordering


@dataclass
class Point:
    x: int
    y: int = 0


@total_ordering
class Money:
    def __init__(self, cents: int):
        self.cents = cents

    def __add__(self, other):
        return Money(self.cents + other.cents)

    def __radd__(self, other):
        return Money(self.cents + other)

    def __lt__(self, other):
        return self.cents < other.cents

    def __abs__(self):
        return Money(abs(self.cents))

    def __getitem__(self, key):
        return self.cents

    def __hash__(self):
        return hash(self.cents)

    def __iadd__(self, other):
        self.cents += other.cents
        return self

    def _split(self):
        return self.cents // 2
'''


def load(tmp_path):
    path = tmp_path / "money.py"
    path.write_text(SOURCE)
    spec = importlib.util.spec_from_file_location("money", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["money"] = module
    spec.loader.exec_module(module)
    return module


def test_operator_methods_are_listed_and_generated_or_unsafe_ones_are_not(tmp_path):
    module = load(tmp_path)
    names = sorted(c["qualname"] for c in list_callables(module, Describer(module)))
    assert names == [
        "Money",
        "Money.__abs__",
        "Money.__add__",
        "Money.__getitem__",
        "Money.__iadd__",
        "Money.__lt__",
        "Money.__radd__",
        "Money._split",
        "Point",
    ]


def test_a_listed_operator_method_has_its_source_lines_and_parameters(tmp_path):
    module = load(tmp_path)
    add = next(c for c in list_callables(module, Describer(module)) if c["qualname"] == "Money.__add__")
    assert add["kind"] == "method"
    assert [p["name"] for p in add["params"]] == ["other"]
    assert add["span"] == [17, 18]
