"""Reference chunker for the benchmark: the same job as Test Agent's chunker, done with Python's `ast`.

Parse (ast.parse), walk (an outline: imports, functions, classes with their members, statements, the module-level
names each definition uses), count tokens with tiktoken (the same cl100k_base ranks, loaded from the npm package's
encoder file so no download is needed) and pack greedily into chunks of at most --max-tokens, splitting an
oversized class at member boundaries and an oversized definition into line windows. Prints one JSON line with the
timings (ms) of each phase and the chunk count.

Usage: ast_chunker.py FILE --encoder cl100k_base.json [--max-tokens N] [--repeat N]
"""
import argparse
import ast
import base64
import json
import sys
import time

import tiktoken


def load_encoding(path):
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    ranks = {}
    fields = data["bpe_ranks"].split()
    rank = 0
    i = 0
    while i < len(fields):
        if fields[i] == "!":
            rank = int(fields[i + 1])
            i += 2
            continue
        ranks[base64.b64decode(fields[i])] = rank
        rank += 1
        i += 1
    return tiktoken.Encoding(name="cl100k_base", pat_str=data["pat_str"], mergeable_ranks=ranks, special_tokens=data["special_tokens"])


def bound_names(node, into):
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        into.add(node.name)
    elif isinstance(node, (ast.Import, ast.ImportFrom)):
        for alias in node.names:
            if alias.name != "*":
                into.add(alias.asname or alias.name.split(".")[0])
    elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for t in targets:
            for n in ast.walk(t):
                if isinstance(n, ast.Name):
                    into.add(n.id)
    else:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt):
                bound_names(child, into)


def references(node, names):
    return sorted({n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in names})


def start_line(node):
    decorators = getattr(node, "decorator_list", None)
    return min([node.lineno] + [d.lineno for d in decorators]) if decorators else node.lineno


def outline(tree):
    names = set()
    for stmt in tree.body:
        bound_names(stmt, names)
    items = []
    for stmt in tree.body:
        item = {"node": stmt, "start": start_line(stmt), "end": stmt.end_lineno, "refs": references(stmt, names)}
        if isinstance(stmt, ast.ClassDef):
            item["members"] = [
                {"node": m, "start": start_line(m), "end": m.end_lineno, "refs": references(m, names)} for m in stmt.body
            ]
        items.append(item)
    return items


def attach_comments(lines, start, floor):
    """Moves a boundary up over the comment lines directly above it."""
    indent = len(lines[start - 1]) - len(lines[start - 1].lstrip())
    while start - 1 > floor and lines[start - 2].strip().startswith("#") and len(lines[start - 2]) - len(lines[start - 2].lstrip()) == indent:
        start -= 1
    return start


def segments(items, lines):
    """Top-level blocks partitioning the lines; each a (start, end, item) with blank lines kept at the end."""
    starts = []
    prev_end = 0
    for item in items:
        s = attach_comments(lines, item["start"], prev_end)
        if not starts or s > starts[-1][0]:
            starts.append((s, item))
        prev_end = item["end"]
    blocks = []
    for i, (s, item) in enumerate(starts):
        e = starts[i + 1][0] - 1 if i + 1 < len(starts) else len(lines)
        blocks.append((1 if i == 0 else s, e, item))
    return blocks


def text_of(lines, s, e):
    return "".join(lines[s - 1 : e])


def chunk(source, enc, max_tokens, timings):
    t0 = time.perf_counter()
    tree = ast.parse(source)
    t1 = time.perf_counter()
    items = outline(tree)
    lines = source.splitlines(keepends=True)
    blocks = segments(items, lines)
    t2 = time.perf_counter()
    counts = [len(enc.encode_ordinary(text_of(lines, s, e))) for s, e, _ in blocks]
    t3 = time.perf_counter()
    chunks = []
    current = None
    for (s, e, item), tokens in zip(blocks, counts):
        if current and current[2] + tokens <= max_tokens:
            current = (current[0], e, current[2] + tokens)
            continue
        if current:
            chunks.append(current)
            current = None
        if tokens <= max_tokens:
            current = (s, e, tokens)
            continue
        members = item.get("members") or []
        if members and members[0]["start"] > item["node"].lineno:
            # oversized class: header, then members packed with the header as context
            header = text_of(lines, item["node"].lineno, item["node"].lineno)
            header_tokens = len(enc.encode_ordinary(header))
            bounds = [s] + [attach_comments(lines, m["start"], item["node"].lineno) for m in members] + [e + 1]
            group = None
            for a, b in zip(bounds, bounds[1:]):
                if b <= a:
                    continue
                n = len(enc.encode_ordinary(text_of(lines, a, b - 1)))
                if group and group[2] + n <= max_tokens:
                    group = (group[0], b - 1, group[2] + n)
                else:
                    if group:
                        chunks.append(group)
                    group = (a, b - 1, header_tokens + n)
            chunks.append(group)
        else:
            # oversized definition: line windows
            line_tokens = [len(enc.encode_ordinary(line)) for line in lines[s - 1 : e]]
            a = s
            total = 0
            for i, n in enumerate(line_tokens):
                if total + n > max_tokens and total > 0:
                    chunks.append((a, s + i - 1, total))
                    a, total = s + i, 0
                total += n
            chunks.append((a, e, total))
    if current:
        chunks.append(current)
    t4 = time.perf_counter()
    timings.append({"parse": (t1 - t0) * 1e3, "walk": (t2 - t1) * 1e3, "count": (t3 - t2) * 1e3, "pack": (t4 - t3) * 1e3, "total": (t4 - t0) * 1e3})
    return chunks, sum(counts)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--encoder", required=True)
    parser.add_argument("--max-tokens", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    enc = load_encoding(args.encoder)
    enc.encode_ordinary("warm up")
    with open(args.file, encoding="utf-8") as f:
        source = f.read()
    timings = []
    for _ in range(args.repeat):
        chunks, tokens = chunk(source, enc, args.max_tokens, timings)
    best = sorted(timings, key=lambda t: t["total"])[len(timings) // 2]
    print(json.dumps({"chunks": len(chunks), "tokens": tokens, "lines": source.count("\n"), "median_ms": best}))


if __name__ == "__main__":
    sys.exit(main())
