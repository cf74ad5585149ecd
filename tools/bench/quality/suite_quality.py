"""What a reviewer would look at in a generated pytest file, counted: tests, tests without any check, tests that pin
the interpreter's TypeError/AttributeError, tests through private names, the longest literal, doctest wrappers.

Usage: python suite_quality.py TEST_FILE [TEST_FILE ...]  -> one JSON object on stdout (totals over the files).
"""
import ast
import json
import sys

# Names of the generated file's own helpers (fixture, doctest runner): not the code under test.
OWN_HELPERS = {"_work_in_tmp_path", "_doctest_failures"}
INTERPRETER_ERRORS = {"TypeError", "AttributeError"}


def is_raises(node):
    """`pytest.raises(...)` as a call."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "raises"


def raised_name(call):
    if not call.args:
        return None
    first = call.args[0]
    if isinstance(first, ast.Name):
        return first.id
    if isinstance(first, ast.Attribute):
        return first.attr
    return None


def private_names(fn):
    """Private names the test body uses (`obj._x`, `_helper()`), the file's own helpers and dunders left out."""
    found = set()
    for node in ast.walk(fn):
        name = None
        if isinstance(node, ast.Attribute):
            name = node.attr
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            name = node.id
        elif isinstance(node, ast.ImportFrom):
            continue
        if name and name.startswith("_") and not (name.startswith("__") and name.endswith("__")) and name not in OWN_HELPERS:
            found.add(name)
    return found


def literal_sizes(fn, source):
    """Source lengths of the literals (strings, numbers, collections of literals) the test writes."""
    sizes = []
    for node in ast.walk(fn):
        if isinstance(node, (ast.Constant, ast.List, ast.Tuple, ast.Dict, ast.Set)):
            try:
                ast.literal_eval(node)
            except (ValueError, TypeError, SyntaxError, RecursionError):
                continue
            segment = ast.get_source_segment(source, node) or ""
            sizes.append(len(segment))
    return sizes


def analyse(path):
    with open(path, encoding="utf-8") as f:
        source = f.read()
    tree = ast.parse(source)
    out = {"tests": 0, "withoutCheck": 0, "pinsInterpreterError": 0, "private": 0, "doctestWrappers": 0, "longestLiteral": 0, "longestLiteralTest": None}
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) or not fn.name.startswith("test"):
            continue
        out["tests"] += 1
        checks = [n for n in ast.walk(fn) if isinstance(n, ast.Assert)]
        raises = [n for n in ast.walk(fn) if isinstance(n, ast.withitem) and is_raises(n.context_expr)]
        xfail = any(isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr == "xfail" for d in fn.decorator_list)
        if not checks and not raises and not xfail:
            out["withoutCheck"] += 1
        if any(raised_name(r.context_expr) in INTERPRETER_ERRORS for r in raises):
            out["pinsInterpreterError"] += 1
        if private_names(fn):
            out["private"] += 1
        if "doctest_examples" in fn.name:
            out["doctestWrappers"] += 1
        sizes = literal_sizes(fn, source)
        if sizes and max(sizes) > out["longestLiteral"]:
            out["longestLiteral"] = max(sizes)
            out["longestLiteralTest"] = fn.name
    return out


def main(paths):
    total = {"tests": 0, "withoutCheck": 0, "pinsInterpreterError": 0, "private": 0, "doctestWrappers": 0, "longestLiteral": 0, "longestLiteralTest": None}
    for p in paths:
        one = analyse(p)
        for key in ("tests", "withoutCheck", "pinsInterpreterError", "private", "doctestWrappers"):
            total[key] += one[key]
        if one["longestLiteral"] > total["longestLiteral"]:
            total["longestLiteral"] = one["longestLiteral"]
            total["longestLiteralTest"] = one["longestLiteralTest"]
    json.dump(total, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
