"""The worker's ``structure`` of a module (``test_agent_worker/structure.py``): where each statement sits, exactly,
on ``__fixtures__/structure_sample.py`` (each way a statement can be kept from running), and that it is part of the
``load`` reply.

Run with: ``.venv/bin/python -m pytest libs/infrastructure/src/lib/adapters/python-worker/test_executor_worker_structure.py``
"""

import ast
import sys
import textwrap

import pytest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from test_agent_worker.structure import line_structure  # noqa: E402
from test_agent_worker.tracing import Shape  # noqa: E402

SAMPLE = HERE / "__fixtures__" / "structure_sample.py"


def structure_of(path):
    source = path.read_text(encoding="utf-8")
    shape = Shape(str(path))
    return line_structure(ast.parse(source), source, shape.statements, shape.branch_arcs)


def test_every_statement_of_the_sample_has_its_scope_and_the_way_it_is_reached():
    got = {c["line"]: {k: v for k, v in c.items() if k != "line"} for c in structure_of(SAMPLE)["statements"]}
    assert got == {
        2: {"scope": ""},
        5: {"scope": "", "previous": 2},
        6: {"scope": "kind"},
        7: {"scope": "kind", "guard": [6, "true"]},
        8: {"scope": "kind", "guard": [6, "false"]},
        9: {"scope": "kind", "guard": [8, "true"]},
        10: {"scope": "kind", "previous": 6},
        11: {"scope": "kind", "guard": [10, "enter"]},
        12: {"scope": "kind", "guard": [11, "true"]},
        14: {"scope": "kind", "guard": [10, "complete"]},
        15: {"scope": "kind", "previous": 10},
        16: {"scope": "kind", "previous": 15},
        17: {"scope": "kind", "guard": [15, "raise"]},
        18: {"scope": "kind", "guard": [17, "except"]},
        20: {"scope": "kind", "guard": [15, "else"]},
        21: {"scope": "kind", "previous": 15},
        24: {"scope": "", "previous": 5},
        25: {"scope": "stop"},
        26: {"scope": "stop", "previous": 25, "deadAfter": 25},
        29: {"scope": "", "previous": 24},
        30: {"scope": "outer"},
        31: {"scope": "outer.<locals>.helper"},
        33: {"scope": "outer", "previous": 30},
        36: {"scope": "", "previous": 29},
        39: {"scope": "", "previous": 36},
        40: {"scope": "Box"},
        42: {"scope": "Box", "previous": 40},
        43: {"scope": "Box.grow"},
        44: {"scope": "Box.grow", "guard": [43, "true"]},
        45: {"scope": "Box.grow", "previous": 44},
        46: {"scope": "Box.grow", "previous": 43},
        49: {"scope": "", "previous": 39},
        50: {"scope": "", "guard": [49, "true"], "main": True},
    }


def test_the_sample_s_scopes_headers_leaving_statements_and_branch_arms():
    s = structure_of(SAMPLE)
    assert s["scopes"] == [
        {"qualname": "kind", "kind": "function", "line": 5, "body": 6},
        {"qualname": "stop", "kind": "function", "line": 24, "body": 25},
        {"qualname": "outer", "kind": "function", "line": 29, "body": 30},
        {"qualname": "outer.<locals>.helper", "kind": "function", "line": 30, "body": 31},
        {"qualname": "short", "kind": "function", "line": 36, "body": 36},
        {"qualname": "Box", "kind": "class", "line": 39, "body": 40},
        {"qualname": "Box.grow", "kind": "function", "line": 42, "body": 43},
    ]
    assert [(h["line"], h["kind"], h["text"]) for h in s["headers"]] == [
        (6, "if", "isinstance(value, bytes)"),
        (8, "if", "value is None"),
        (10, "for", "ch in str(value)"),
        (11, "if", 'ch == "x"'),
        (15, "try", ""),
        (17, "except", "ValueError"),
        (43, "while", "by > 0"),
        (45, "if", "by == 3"),
        (49, "main", '__name__ == "__main__"'),
    ]
    assert s["leaving"] == [{"line": 25, "text": "sys.exit(code)"}]
    # coverage.py's own branch arcs, each with its arm; the one-line `if by == 3: return by` (45) returns on its
    # true arm, the one-line `def short` (36) leaves its body when called (its arc to line 39 is no arm).
    assert s["arcs"] == [
        [6, 7, "true"], [6, 8, "false"], [8, 9, "true"], [8, 10, "false"],
        [10, 11, "enter"], [10, 14, "complete"], [11, 10, "false"], [11, 12, "true"],
        [36, -36, "call"], [43, 44, "true"], [43, 46, "false"], [45, -42, "true"], [45, 43, "false"],
        [49, -1, "false"], [49, 50, "true"],
    ]


def test_statements_after_one_that_always_leaves_are_dead_and_a_loop_with_a_break_is_not_endless(tmp_path):
    # The compiler drops what follows a `return`, a `raise` or an endless loop in the same block (coverage.py counts
    # no statement there); a call that never returns (`sys.exit`) it cannot see.
    path = tmp_path / "m.py"
    path.write_text(textwrap.dedent('''\
        import sys
        def f(x):
            while True:
                if x:
                    break
            y = 1
            if x:
                sys.exit(1)
            else:
                raise ValueError(
                    "no")
            y = 3
            if y:
                print(y)
        '''), encoding="utf-8")
    s = structure_of(path)
    dead = {c["line"]: c.get("deadAfter") for c in s["statements"]}
    assert (dead[6], dead[12], dead[13], dead[14]) == (None, 7, 7, 7)
    assert s["leaving"] == [{"line": 7, "text": "if x:"}]


def test_a_long_multi_line_condition_is_named_on_one_line_and_cut(tmp_path):
    path = tmp_path / "m.py"
    cond = " and\n        ".join(f"value_number_{i} > {i}" for i in range(8))
    path.write_text(f"def f(**kw):\n    if ({cond}):\n        return 1\n", encoding="utf-8")
    text = structure_of(path)["headers"][0]["text"]
    assert text.startswith("value_number_0 > 0 and value_number_1 > 1 and ")
    assert len(text) == 80 and text.endswith("...")


@pytest.mark.skipif(sys.version_info < (3, 10), reason="match statements need Python 3.10")
def test_each_case_is_reached_when_the_one_before_did_not_match(tmp_path):
    path = tmp_path / "m.py"
    path.write_text(textwrap.dedent('''\
        def f(x):
            match x:
                case [a, b] if a > b:
                    return a
                case {"k": v}: return v
            return None
        '''), encoding="utf-8")
    s = structure_of(path)
    got = {c["line"]: {k: v for k, v in c.items() if k not in ("line", "scope")} for c in s["statements"]}
    assert got == {1: {}, 2: {}, 3: {"previous": 2}, 4: {"guard": [3, "true"]}, 5: {"guard": [3, "false"]}, 6: {"previous": 2}}
    assert [(h["line"], h["text"]) for h in s["headers"]] == [(3, "[a, b] if a > b"), (5, '{"k": v}')]
    # The one-line case (5) leaves the function when it matches, and goes on to line 6 when it does not.
    assert s["arcs"] == [[3, 4, "true"], [3, 5, "false"], [5, -1, "true"], [5, 6, "false"]]
