"""Tests of the executor worker's regular-expression support: the regex-to-string generator (strings that
``re.fullmatch`` a pattern, near misses that do not) and the harvest of the patterns a module's functions use.

Run with: ``.venv/bin/python -m pytest libs/infrastructure/src/lib/adapters/python-worker/test_executor_worker_patterns.py``
"""

import ast
import re
import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_agent_worker.patterns import harvest_patterns, module_patterns  # noqa: E402
from test_agent_worker.regex_strings import MAX_REGEX_STRINGS, regex_strings  # noqa: E402

PATTERNS = [
    (r"^(\d+)\.(\d+)(?:\.(\d+))?(?:-(alpha|beta|rc)(\d+))?$", 0),
    (r"[A-Za-z_][A-Za-z0-9_]*", 0),
    (r"\s*(?P<key>\w+)\s*=\s*(?P<value>\"[^\"]*\"|\S+)", 0),
    (r"hello|world", re.IGNORECASE),
    (r"(a)?(?(1)b|c)", 0),
    (r"(\w)\1", 0),
    (r"[^\W\d]+@[a-z]+\.(com|org)", 0),
    (r"\d{4} - \d{2}  # a year and a month", re.VERBOSE),
    (r"0x[0-9a-fA-F]{2,4}", 0),
    (r"(?:[+-]?\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", 0),
    (r"[^,;]+(?:[,;][^,;]+)*", 0),
    (r"\bfoo\b", 0),
    (r"(?P<h>[01]\d|2[0-3]):(?P<m>[0-5]\d)(?::(?P<s>[0-5]\d))?", 0),
    (r"a{3}b*?c+?", 0),
    (r"(?>ab|a)c" if sys.version_info >= (3, 11) else r"(?:ab|a)c", 0),
]


@pytest.mark.parametrize("pattern,flags", PATTERNS)
def test_matches_fully_match_and_near_misses_do_not(pattern, flags):
    matches, misses = regex_strings(pattern, flags)
    assert matches, "no matching string"
    assert all(re.fullmatch(pattern, s, flags) for s in matches)
    assert misses, "no near miss"
    assert not any(re.fullmatch(pattern, s, flags) for s in misses)
    assert len(set(matches)) == len(matches) <= MAX_REGEX_STRINGS


def test_every_alternative_and_each_optional_part_present_and_absent():
    matches, misses = regex_strings(r"^(\d+)\.(\d+)(?:\.(\d+))?(?:-(alpha|beta|rc)(\d+))?$")
    for stage in ("-alpha", "-beta", "-rc"):
        assert any(stage in s for s in matches)
    assert any(re.fullmatch(r"\d+\.\d+", s) for s in matches)  # both optional groups dropped
    assert any(re.fullmatch(r"\d+\.\d+\.\d+", s) for s in matches)  # only the pre-release dropped
    assert any(re.fullmatch(r"\d+\.\d+-rc\d+", s) for s in matches)  # only the patch dropped
    assert any(re.search(r"-\w+0+$", s) for s in matches)  # a zero among the digits
    assert "" in misses


def test_same_strings_every_time():
    assert regex_strings(r"[a-z]+\d{2,5}") == regex_strings(r"[a-z]+\d{2,5}")


def test_unusable_patterns_give_nothing_rather_than_fail():
    assert regex_strings(r"(?<=x)y") == ([], [""])  # a lookbehind nothing generated can satisfy
    assert regex_strings(r"(unclosed") == ([], [])


def harvest(source):
    tree = ast.parse(textwrap.dedent(source))
    spans = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            spans[node.name] = [node.lineno, node.end_lineno]
            if isinstance(node, ast.ClassDef):
                for sub in node.body:
                    if isinstance(sub, ast.FunctionDef):
                        spans[f"{node.name}.{sub.name}"] = [sub.lineno, sub.end_lineno]
    return harvest_patterns(tree, spans)


def test_harvests_literal_named_and_class_patterns_with_flags_and_subjects():
    found = harvest('''
        import re
        from re import fullmatch

        _VERSION_RE = re.compile(r"(\\d+)\\.(\\d+)")
        _WORD = r"\\w+"

        def parse(text):
            m = _VERSION_RE.match(text.strip())
            return m

        def words(line):
            return re.findall(_WORD, line, re.I | re.M)

        def key(s):
            return fullmatch("[a-z]+", s, flags=re.VERBOSE)

        def dynamic(p, s):
            return re.match(p, s)

        class Lexer:
            TOKEN = re.compile("[+-]", re.ASCII)

            def next(self, source):
                return self.TOKEN.search(source)
        ''')
    assert found["parse"] == [{"pattern": r"(\d+)\.(\d+)", "flags": 0, "subjects": ["text"], "name": "_VERSION_RE"}]
    assert found[""] == [{"pattern": r"(\d+)\.(\d+)", "flags": 0, "subjects": [], "name": "_VERSION_RE"}]
    # Scanned for every match (`findall`), not matched once: a tokenizer's pattern.
    assert found["words"] == [{"pattern": r"\w+", "flags": int(re.I | re.M), "subjects": ["line"], "scanned": True}]
    assert found["key"] == [{"pattern": "[a-z]+", "flags": int(re.VERBOSE), "subjects": ["s"]}]
    assert "dynamic" not in found
    assert found["Lexer.next"] == [{"pattern": "[+-]", "flags": int(re.ASCII), "subjects": ["source"]}]


def test_patterns_built_from_constants_are_worked_out():
    found = harvest('''
        import re
        import string

        _CHARS = string.digits + "-"
        _TIME = r"\\d\\d:\\d\\d"
        _is_legal = re.compile("[%s]+" % re.escape(_CHARS)).fullmatch
        STAMP = re.compile(rf"{_TIME}(Z)?", flags=re.VERBOSE)

        def legal(key):
            return _is_legal(key)
        ''')
    assert found["legal"] == [{"pattern": "[0123456789\\-]+", "flags": 0, "subjects": ["key"], "name": "_is_legal"}]
    assert {"pattern": r"\d\d:\d\d(Z)?", "flags": int(re.VERBOSE), "subjects": [], "name": "STAMP"} in found[""]


def test_no_re_import_means_no_patterns():
    assert harvest("def f(s):\n    return s.compile('x')\n") == {}


def test_each_pattern_says_how_many_groups_it_has_and_the_names_of_the_named_ones():
    source = textwrap.dedent(r"""
        import re

        CLOCK = re.compile(r"(?P<h>\d\d):(?P<m>\d\d)(?::(\d\d))?")
        WORD = re.compile(r"\w+")

        def parse(text):
            return CLOCK.match(text), WORD.match(text)
    """)
    found = {e["name"]: e for e in module_patterns(ast.parse(source), {"parse": (8, 9)})["parse"]}
    assert (found["CLOCK"]["groups"], found["CLOCK"]["groupNames"]) == (3, ["h", "m"])
    assert (found["WORD"]["groups"], found["WORD"]["groupNames"]) == (0, [])


def test_a_tokenizer_s_pattern_gives_sequences_of_tokens_and_its_subject_through_a_compiled_name():
    source = textwrap.dedent("""
        import re

        _TOKEN = re.compile(r"(?P<NUMBER>[0-9]+)|(?P<NAME>[a-z]+)|(?P<OP>[-+*/]|==)|(?P<SPACE> +)")

        def tokens(expr):
            return [m.group(0) for m in re.finditer(_TOKEN, expr)]

        def whole(expr):
            return _TOKEN.fullmatch(expr)

        def evaluate(text, depth=0):
            return len(tokens(text)) + depth
    """)
    tree = ast.parse(source)
    spans = {"tokens": (6, 7), "whole": (9, 10), "evaluate": (12, 13)}
    found = module_patterns(tree, spans)
    scanned = found["tokens"][0]
    assert scanned["subjects"] == ["expr"]
    token = re.compile(scanned["pattern"])
    sequences = [s for s in scanned["matches"] if not token.fullmatch(s)]
    # Several tokens one after another, each piece a token, of more than one kind.
    assert len(sequences) >= 5
    assert all("".join(m.group(0) for m in token.finditer(s)) == s for s in sequences)
    kinds = {m.lastgroup for s in sequences for m in token.finditer(s)}
    assert {"NUMBER", "NAME", "OP"} <= kinds
    # Matched once elsewhere: single strings only.
    assert all(token.fullmatch(s) for s in found["whole"][0]["matches"])
    # A function that hands its parameter to the tokenizer gets the tokenizer's pattern for it.
    assert found["evaluate"] == [{**scanned, "subjects": ["text"]}]
