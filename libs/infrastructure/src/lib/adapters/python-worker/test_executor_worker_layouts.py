"""Bytes laid out the way a function unpacks them (``test_agent_worker.layouts.binary_samples``): a made-up reader of a
little binary format (a magic number, then a header of counts and offsets, then records at those offsets), written
here, so the samples are judged by what the reader does with them.

Run with: ``.venv/bin/python -m pytest libs/infrastructure/src/lib/adapters/python-worker/test_executor_worker_layouts.py``
"""

import ast
import io
import struct
import sys
import textwrap
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_agent_worker.layouts import binary_samples  # noqa: E402

READER = textwrap.dedent("""
    from struct import unpack

    VERSION = 3

    class Archive:
        MAGIC = 0x1F2E3D4C

        def __init__(self, fp):
            data = fp.read()
            magic = unpack('<I', data[:4])[0]
            if magic != self.MAGIC:
                raise ValueError('not an archive')
            version, count, first = unpack('<3I', data[4:16])
            if version != VERSION:
                raise ValueError('unknown version')
            self.sizes = []
            at = first
            for _ in range(count):
                size, = unpack('<I', data[at:at + 4])
                self.sizes.append(size)
                at += 4

    def plain(text):
        return text.split(',')
""")


def load():
    module = types.ModuleType("archive")
    exec(compile(READER, "archive.py", "exec"), module.__dict__)
    return module


def test_a_reader_gets_samples_that_start_with_its_magic_named_as_the_code_names_it():
    module = load()
    samples = binary_samples(ast.parse(READER), module)
    assert set(samples) == {"Archive.__init__"}
    sources = [s["source"] for s in samples["Archive.__init__"]]
    assert all(s["kind"] == "bytes" for s in samples["Archive.__init__"])
    assert all(src.startswith("struct.pack('<I', ") for src in sources)
    assert any(src.startswith("struct.pack('<I', Archive.MAGIC) + struct.pack('<3I', ") for src in sources)
    assert any("VERSION" in src for src in sources)  # the module-level constant an unpacked value is compared with


def test_the_samples_get_the_reader_past_its_checks_and_into_its_records():
    module = load()
    ns = {**vars(module), "struct": struct}
    outcomes = []
    for s in binary_samples(ast.parse(READER), module)["Archive.__init__"]:
        data = eval(s["source"], ns)  # the sources are the worker's own, made above
        assert isinstance(data, bytes)
        try:
            outcomes.append(("ok", len(module.Archive(io.BytesIO(data)).sizes)))
        except (ValueError, struct.error) as e:
            outcomes.append(("raised", str(e)))
    assert ("raised", "not an archive") in outcomes or any(o[0] == "ok" for o in outcomes)
    assert any(o[0] == "ok" for o in outcomes)


def test_a_function_that_unpacks_nothing_or_compares_nothing_it_unpacked_gets_no_samples():
    source = textwrap.dedent("""
        import struct

        def sizes(data):
            return struct.unpack('<2H', data[:4])

        def words(text):
            return text.split()
    """)
    assert binary_samples(ast.parse(source), types.ModuleType("m")) == {}


TABLE = textwrap.dedent("""
    from struct import unpack

    class Table:
        MAGIC = 0xCAFE

        def __init__(self, fp):
            buf = fp.read()
            magic = unpack('<I', buf[:4])[0]
            if magic == self.MAGIC:
                count, index = unpack('<2I', buf[4:12])
                pair = '<II'
            else:
                raise ValueError('not a table')
            self.items = []
            for _ in range(count):
                length, offset = unpack(pair, buf[index:index + 8])
                if offset + length > len(buf):
                    raise ValueError('corrupt')
                self.items.append(buf[offset:offset + length].decode())
                index += 8
            self.title = 'title: ' + 'name'
""")


def test_a_table_of_pieces_gets_samples_whose_count_offsets_and_pairs_reach_text_in_the_tail():
    module = types.ModuleType("table")
    exec(compile(TABLE, "table.py", "exec"), module.__dict__)
    ns = {**vars(module), "struct": struct}
    pieces = []
    for s in binary_samples(ast.parse(TABLE), module)["Table.__init__"]:
        try:
            pieces.extend(module.Table(io.BytesIO(eval(s["source"], ns))).items)
        except (ValueError, struct.error, UnicodeDecodeError):
            pass
    # The format passed by name (`pair`) is read, the count is small, the index points at the pairs, and a pair
    # points at text the reader's own constants spell.
    assert any(p and set(p.split()) & {"title:", "name", "name:"} for p in pieces)
