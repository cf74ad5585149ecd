"""Constants harvested from the module's source, per callable (with the neighbours of compared numbers), and the
lines of its ``raise`` and ``assert`` statements."""

import ast


STR_METHODS = {"startswith", "endswith", "split", "rsplit", "strip", "lstrip", "rstrip", "lower", "upper", "replace",
               "find", "rfind", "index", "isdigit", "isalpha", "isspace", "expandtabs", "splitlines", "encode",
               "translate", "partition", "rpartition", "casefold", "isalnum", "format", "count"}


def harvest(tree, spans):
    """Constants per function span, with boundary neighbours of compared numbers, and per-parameter hints."""
    module_pool = []
    per_line = []  # (line, literal) to attribute later

    def lit(value):
        if isinstance(value, bool) or value is None:
            return None
        if isinstance(value, (int, float)):
            if isinstance(value, int) and abs(value) > 10 ** 12:
                return None
            return {"source": repr(value), "kind": "float" if isinstance(value, float) else "int", "value": value}
        if isinstance(value, str):
            if len(value) > 120:
                return None
            return {"source": repr(value), "kind": "str", "value": value}
        if isinstance(value, bytes):
            if len(value) > 120:
                return None
            return {"source": repr(value), "kind": "bytes"}
        return None

    for node in ast.walk(tree):
        if isinstance(node, ast.Constant):
            item = lit(node.value)
            if item:
                per_line.append((node.lineno, item))
        if isinstance(node, ast.Compare):
            for c in [node.left, *node.comparators]:
                if isinstance(c, ast.Constant) and isinstance(c.value, int) and not isinstance(c.value, bool):
                    for d in (-1, 1):
                        per_line.append((node.lineno, {"source": repr(c.value + d), "kind": "int", "value": c.value + d}))
                if isinstance(c, (ast.Tuple, ast.List, ast.Set)):
                    for e in c.elts:
                        if isinstance(e, ast.Constant):
                            item = lit(e.value)
                            if item:
                                per_line.append((node.lineno, item))

    pools = {}
    for line, item in per_line:
        owner = None
        for qual, span in spans.items():
            if span and span[0] <= line <= span[1]:
                if owner is None or (span[1] - span[0]) < (spans[owner][1] - spans[owner][0]):
                    owner = qual
        key = owner or ""
        bucket = pools.setdefault(key, {})
        bucket.setdefault(item["source"], item)
        if len(module_pool) < 400 and all(m["source"] != item["source"] for m in module_pool):
            module_pool.append(item)
    return {k: list(v.values())[:120] for k, v in pools.items()}, module_pool


def raise_lines(tree):
    """Lines of the module's ``raise`` and ``assert`` statements (every line of a multi-line one)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Raise, ast.Assert)):
            out.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return out
