"""The worker package keeps the size rules of the rest of the code base: no file over 400 lines, no function over
80 (nested functions count inside the function that holds them).

Run with: ``.venv/bin/python -m pytest libs/infrastructure/src/lib/adapters/python-worker/test_executor_worker_layout.py``
"""

import ast
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 80
SOURCES = sorted((HERE / "test_agent_worker").glob("*.py")) + [HERE / "executor_worker.py"]


def functions(tree):
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            yield node


def test_the_package_has_the_modules_the_entry_script_and_the_adapter_rely_on():
    names = {p.stem for p in SOURCES}
    assert {"protocol", "execution", "tracing", "inspection", "literals", "executor_worker"} <= names


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_no_file_is_over_400_lines(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_FILE_LINES


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_no_function_is_over_80_lines(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    long = [
        f"{getattr(f, 'name', 'lambda')} (line {f.lineno}): {f.end_lineno - f.lineno + 1} lines"
        for f in functions(tree)
        if f.end_lineno - f.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert long == []


def test_the_check_sees_a_long_function():
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    tree = ast.parse(f"def long():\n{body}\n")
    assert [f.end_lineno - f.lineno + 1 for f in functions(tree)] == [MAX_FUNCTION_LINES + 1]
