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


def test_a_long_text_is_summed_up_by_its_end_and_its_separators():
    d, _ = describer()
    text = "\n".join(f"line {i:03d}" for i in range(20))
    facts = d.describe(text)["summary"]
    assert facts == {"tail": repr(text[-40:]), "counts": [[repr("\n"), 19], [repr(" "), 20]]}
    assert d.describe(text.encode())["summary"]["tail"] == repr(text.encode()[-40:])


def test_a_long_list_is_summed_up_by_its_ends_and_its_sum_or_its_lengths():
    d, m = describer()
    assert d.describe(list(range(60)))["summary"] == {"first": "0", "last": "59", "sum": "1770", "sumFloat": False}
    assert d.describe([0.5] * 40)["summary"] == {"first": "0.5", "last": "0.5", "sum": "20.0", "sumFloat": True}
    words = tuple(f"word{i}" for i in range(30))
    assert d.describe(words)["summary"] == {"first": "'word0'", "last": "'word29'", "itemLengths": 170}
    weeks = [[m.Source.COMMANDLINE] * 30, [1]]
    assert d.describe(weeks)["summary"] == {"firstLen": 30, "last": "[1]"}


def test_a_long_dict_is_summed_up_by_its_first_and_last_entry_and_a_short_value_not_at_all():
    d, _ = describer()
    table = {f"key{i}": i for i in range(30)}
    assert d.describe(table)["summary"] == {"entries": [["'key0'", "0"], ["'key29'", "29"]]}
    assert d.describe("short")["summary"] is None
    assert d.describe(list(range(5)))["summary"] is None


def test_a_literal_container_the_call_changes_is_reported_with_its_value_afterwards():
    from test_agent_worker.summaries import changed_args, watch

    d, _ = describer()
    lit = {"kind": "lit", "source": "..."}
    call = {"args": [lit, lit, {"kind": "var", "index": 0}], "keywords": [["seen", lit]]}
    items, untouched, held, seen = ["a"], [1], [2], {"x"}
    watched = watch(d, call, [items, untouched, held], {"seen": seen})
    items.append(0.5)
    held.append(3)  # not a literal of the call: an earlier step's value
    seen.add("y")
    assert changed_args(d, watched) == [
        {"position": 0, "keyword": None, "expr": "['a', 0.5]", "float": True, "approx": False},
        {"position": None, "keyword": "seen", "expr": "{'x', 'y'}", "float": False, "approx": False},
    ]


def test_an_in_memory_stream_the_call_writes_to_is_reported_with_what_it_holds_afterwards():
    import io

    from test_agent_worker.summaries import changed_args, watch

    d, _ = describer()
    lit = {"kind": "lit", "source": "..."}
    call = {"args": [lit, lit, lit, lit], "keywords": []}
    source, out, text, closed = io.BytesIO(b"ab"), io.BytesIO(b"x"), io.StringIO(), io.StringIO("z")
    watched = watch(d, call, [source, out, text, closed], {})
    source.read()  # read, not changed
    out.seek(0, 2)
    out.write(b"=41")
    text.write("line\n")
    closed.close()  # nothing left to read back
    assert changed_args(d, watched) == [
        {"position": 1, "keyword": None, "expr": "b'x=41'", "float": False, "approx": False, "via": "getvalue"},
        {"position": 2, "keyword": None, "expr": "'line\\n'", "float": False, "approx": False, "via": "getvalue"},
    ]


def test_the_workers_own_stand_ins_for_pytests_streams_have_no_type_a_test_could_name():
    from test_agent_worker.streams import CaptureIO, NoStdin  # noqa: E402

    d, _ = describer()
    for stream in (NoStdin(), NoStdin().buffer, CaptureIO()):
        described = d.describe(stream)
        assert described["type"].startswith("<the test runner's ") and described["expr"] is None


class Rule:
    def __init__(self, path):
        self.path = path

    def __str__(self):
        return f"Allow: {self.path}"


class Opaque:
    pass


class Addressed:
    def __repr__(self):
        return f"<Addressed at 0x{id(self):x}>"


class Table:
    def __init__(self):
        self.size = 2
        self.first = Rule("/a")
        self.rules = [Rule("/a"), Rule("/b")]
        self.hidden = Opaque()
        self.mixed = [Rule("/a"), Opaque()]
        self.where = Addressed()

    def __str__(self):
        return "\n".join(str(r) for r in self.rules)


def test_objects_with_text_of_their_own_are_described_by_it_after_the_literal_attributes():
    attrs = describer()[0].attrs(Table())
    assert attrs == [
        {"name": "size", "expr": "2", "float": False, "approx": False},
        {"name": "first", "expr": "'Allow: /a'", "float": False, "approx": False, "via": "str"},
        {"name": "rules", "expr": "['Allow: /a', 'Allow: /b']", "float": False, "approx": False, "via": "str-items"},
        {"name": "__str__", "expr": "'Allow: /a\\nAllow: /b'", "float": False, "approx": False, "via": "str"},
    ]
    # Without a __str__ of its own, with an address in its text, or a list with one such object: nothing by text.
    assert describer()[0].attrs(Opaque()) == []


class Slotted:
    __slots__ = ("x", "unset")

    def __init__(self):
        self.x = 3


def test_objects_without_a_dict_are_described_by_their_slots_and_their_own_text():
    import datetime

    d, _ = describer()
    assert d.attrs(Slotted()) == [{"name": "x", "expr": "3", "float": False, "approx": False}]
    aware = datetime.datetime(2020, 1, 2, 3, 4, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=-3)))
    assert d.attrs(aware) == [
        {"name": "__str__", "expr": "'2020-01-02 03:04:05-03:00'", "float": False, "approx": False, "via": "str"}]
