"""What a reviewer would look at in a generated pytest file, counted: tests, tests without any check, tests that pin
the interpreter's TypeError/AttributeError, tests through private names, the longest literal, doctest wrappers, and
names that claim what the body does not show (`..._raises_value_error` without `pytest.raises(ValueError)`,
`..._returns_none` without `is None`, `..._prints_output` without capsys, `..._with_zero_x` without a 0).

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


def snake(name):
    """`IllegalMonthError` -> `illegal_month_error`."""
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and (not name[i - 1].isupper() or (i + 1 < len(name) and name[i + 1].islower())):
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def constants(fn):
    """The literal values the body writes, as Python values."""
    found = []
    for node in ast.walk(fn):
        if isinstance(node, (ast.Constant, ast.List, ast.Tuple, ast.Dict, ast.Set)):
            try:
                found.append(ast.literal_eval(node))
            except (ValueError, TypeError, SyntaxError, RecursionError):
                continue
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
            found.append(-node.operand.value if isinstance(node.operand.value, (int, float)) else None)
    return found


# What an outcome word of a test name claims, as a check on the body's source and the literals it writes.
RETURN_CLAIMS = {
    "returns_none": lambda src, lits: " is None" in src,
    "returns_true": lambda src, lits: " is True" in src,
    "returns_false": lambda src, lits: " is False" in src,
    "returns_zero": lambda src, lits: any(v == 0 and not isinstance(v, bool) for v in lits),
    "returns_empty_string": lambda src, lits: "''" in src or '""' in src,
    "returns_empty_list": lambda src, lits: "[]" in src,
    "returns_empty_dict": lambda src, lits: "{}" in src,
    "returns_empty_tuple": lambda src, lits: "()" in src,
    "returns_negative_number": lambda src, lits: any(isinstance(v, (int, float)) and not isinstance(v, bool) and v < 0 for v in lits) or "< 0" in src,
}
# An input word of a test name: `with_zero_<param>`, `for_empty_<param>`, `with_<param>_true`.
INPUT_CLAIMS = {
    "with_zero": lambda lits: any(v == 0 and not isinstance(v, bool) for v in lits),
    "for_empty": lambda lits: any(v in ("", b"", [], (), {}) and not isinstance(v, (bool, int, float)) for v in lits) or any(isinstance(v, (list, tuple, dict, set, str, bytes)) and len(v) == 0 for v in lits),
    "_true": lambda lits: any(v is True for v in lits),
    "_false": lambda lits: any(v is False for v in lits),
    "with_negative": lambda lits: any(isinstance(v, (int, float)) and not isinstance(v, bool) and v < 0 for v in lits),
}


def name_lies(fn, source):
    """The claims of the test's name that its body does not show (a list of the words, empty when it tells the truth)."""
    name = fn.name
    src = ast.get_source_segment(source, fn) or ""
    body_src = src.split(":", 1)[1] if ":" in src else src
    lits = constants(fn)
    lies = []
    if "_raises_" in name:
        raised = {snake(raised_name(w.context_expr) or "") for w in ast.walk(fn) if isinstance(w, ast.withitem) and is_raises(w.context_expr)}
        xfail = [d for d in fn.decorator_list if isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr == "xfail"]
        for d in xfail:
            strict = any(k.arg == "strict" and isinstance(k.value, ast.Constant) and k.value.value is True for k in d.keywords)
            for k in d.keywords:
                if strict and k.arg == "raises" and isinstance(k.value, (ast.Name, ast.Attribute)):
                    raised.add(snake(k.value.id if isinstance(k.value, ast.Name) else k.value.attr))
        after = name.split("_raises_", 1)[1]
        if not any(r and (after == r or after.startswith(r + "_")) for r in raised):
            lies.append("raises")
    for claim, check in RETURN_CLAIMS.items():
        if f"_{claim}" in name and (name.endswith(claim) or f"_{claim}_" in name) and not check(body_src, lits):
            lies.append(claim)
    if "_prints_output" in name and "capsys" not in body_src:
        lies.append("prints_output")
    for claim, check in INPUT_CLAIMS.items():
        if claim.startswith("_"):
            hit = any(part.endswith(claim) for part in name.split("_with_")[1:])
        else:
            hit = f"_{claim}_" in name
        if hit and not check(lits):
            lies.append(claim.strip("_"))
    return lies


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
    out = {"tests": 0, "withoutCheck": 0, "pinsInterpreterError": 0, "private": 0, "doctestWrappers": 0, "longestLiteral": 0, "longestLiteralTest": None, "nameLies": 0, "nameLieTests": []}
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
        lies = name_lies(fn, source)
        if lies:
            out["nameLies"] += 1
            out["nameLieTests"].append(f"{fn.name}: {', '.join(lies)}")
        sizes = literal_sizes(fn, source)
        if sizes and max(sizes) > out["longestLiteral"]:
            out["longestLiteral"] = max(sizes)
            out["longestLiteralTest"] = fn.name
    return out


def main(paths):
    total = {"tests": 0, "withoutCheck": 0, "pinsInterpreterError": 0, "private": 0, "doctestWrappers": 0, "longestLiteral": 0, "longestLiteralTest": None, "nameLies": 0, "nameLieTests": []}
    for p in paths:
        one = analyse(p)
        for key in ("tests", "withoutCheck", "pinsInterpreterError", "private", "doctestWrappers", "nameLies", "nameLieTests"):
            total[key] += one[key]
        if one["longestLiteral"] > total["longestLiteral"]:
            total["longestLiteral"] = one["longestLiteral"]
            total["longestLiteralTest"] = one["longestLiteralTest"]
    json.dump(total, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
