import type {
  CallResult,
  CallableInfo,
  ClassField,
  ModuleInterface,
  ParameterInfo,
  TypeHint,
} from '@test-agent/domain';
import { InputGenerator } from './input-generator';
import { fieldsOf, settableFields, type Candidate } from './generated-value';
import { stablePrefix, stability } from './offline-test-generator.service';
import { shortEnd } from './emitted-test-body';
import { PytestEmitter, type EmittableTest, type Stability } from './pytest-emitter';
import { RandomSource } from './random-source';
import { toPlan } from './call-plans';
import { TestNamer, contextQualifiers, numberWord } from './test-namer';
import { TestFileAssembler } from '../test-file-assembler/test-file-assembler.service';
import { describedValue } from '../../testing/described-value';

// A fake module `lexer`:
//   class Lexer: __init__(self, instream=None, infile=None); self.debug = 0 (int); self.source = None
//     def read(self) ...
//   def main(args=None): argparse with '-t'/'--type' ('text', 'html') and '-w'
const none = (name: string): ParameterInfo => ({
  name,
  kind: 'either',
  type: { kind: 'any' },
  hasDefault: true,
  default: 'None',
  defaultIsNone: true,
});
const fields: ClassField[] = [
  { name: 'debug', type: 'int' },
  { name: 'source', type: 'any' },
];
const lexerClass = {
  kind: 'class',
  name: 'Lexer',
  qualname: 'Lexer',
  constructible: true,
  params: [none('instream'), none('infile')],
  span: [1, 9],
  fields,
} as CallableInfo;
const read: CallableInfo = {
  kind: 'method',
  name: 'read',
  qualname: 'Lexer.read',
  owner: 'Lexer',
  params: [],
  span: [5, 9],
};
const main: CallableInfo = { kind: 'function', name: 'main', qualname: 'main', params: [none('args')], span: [11, 30] };
const lexer: ModuleInterface = {
  callables: [lexerClass, read, main],
  literals: {
    main: [
      { source: "'-t'", kind: 'str', value: '-t' },
      { source: "'--type'", kind: 'str', value: '--type' },
      { source: "'html'", kind: 'str', value: 'html' },
      { source: "'output type (text or html)'", kind: 'str', value: 'output type (text or html)' },
      { source: '2', kind: 'int', value: 2 },
    ],
  },
  moduleLiterals: [],
  constants: [],
  paramHints: {},
  doctests: [],
  shape: { statements: [1], branches: [] },
  baseline: { lines: [1], branches: [] },
};

const value = describedValue;
const stable: Stability = { outcome: true, value: true, stdout: true, attrs: new Set<string>() };
/** The file that ships for one test: the emitted case as the test-file assembler writes it. */
const emit = (candidate: Candidate, result: CallResult, stab = stable): string => {
  const tests: EmittableTest[] = [{ test: { plan: toPlan(candidate), result, candidate }, stability: stab }];
  const { cases } = new PytestEmitter().emit('lexer', lexer, tests);
  return new TestFileAssembler().assemble({ file: '/src/lexer.py', importRoot: '/src', moduleName: 'lexer' }, cases)
    .content;
};

describe('inputs shaped by what a parameter is for', () => {
  it('gives main(args) command lines made of its own option literals, values and numbers', () => {
    const gen = new InputGenerator(lexer, new RandomSource(5));
    const lines = Array.from({ length: 40 }, () => gen.commandLine(main));
    for (const v of lines) {
      expect(v.collection?.kind).toBe('list');
      for (const item of v.collection!.items) expect(item.js).toMatch(/^(prog|-t|--type|html|-?\d+)$/);
    }
    const all = lines.map((v) => v.expr.kind === 'lit' && v.expr.source);
    expect(all).toContainEqual(expect.stringMatching(/'(-t|--type)', '(html|\d+)'/));
    expect(all.join(' ')).not.toContain('output type');
  });

  it('gives a parameter the function reads from an in-memory stream, and file parameters a file the test writes', () => {
    const [instream, infile] = lexerClass.params;
    // The name alone says nothing: only the worker's usage evidence (`self.instream.readline()`) makes it a stream.
    const unhinted = new InputGenerator(lexer, new RandomSource(2));
    expect(Array.from({ length: 30 }, () => unhinted.specialValue(instream, lexerClass))).toEqual(
      Array(30).fill(undefined),
    );
    const stream: TypeHint = { kind: 'any', hint: 'typing.TextIO' };
    const gen = new InputGenerator(
      { ...lexer, paramHints: { 'Lexer.__init__': { instream: [stream] } } },
      new RandomSource(2),
    );
    expect(gen.hintFor(instream, lexerClass)).toEqual({ kind: 'union', options: [stream, { kind: 'none' }] });
    const streams = Array.from({ length: 30 }, () => gen.value(stream, lexerClass)).filter(
      (v) => v.expr.kind === 'lit' && v.expr.source.startsWith('io.StringIO('),
    );
    expect(streams.length).toBeGreaterThan(20);
    for (const v of streams) expect(v.expr.kind === 'lit' && v.expr.source).toMatch(/^io\.StringIO\((['"]).*\1\)$/);
    const binary = Array.from({ length: 30 }, () => gen.value({ kind: 'any', hint: 'typing.BinaryIO' }, lexerClass))
      .map((v) => (v.expr.kind === 'lit' ? v.expr.source : ''))
      .filter((src) => src.startsWith('io.BytesIO('));
    expect(binary.length).toBeGreaterThan(20);
    for (const src of binary) expect(src).toMatch(/^io\.BytesIO\(b(['"])[\x20-\x7e]*\1\)$/);
    // Plain bytes are made like its strings too, not only from a fixed pool.
    const pool = ["b''", "b'abc'", "b'\\x00\\xff'", "b'hello world'"];
    const bytes = Array.from({ length: 40 }, () => gen.value({ kind: 'builtin', name: 'bytes' }, lexerClass).expr);
    expect(
      bytes.filter((e) => e.kind === 'lit' && !pool.includes(e.source) && /^b['"]/.test(e.source)).length,
    ).toBeGreaterThan(15);
    const files = Array.from({ length: 30 }, () => gen.specialValue(infile, lexerClass)).filter((v) => v !== undefined);
    expect(files.length).toBeGreaterThan(5);
    for (const v of files)
      expect(v!.expr.kind === 'lit' && v!.expr.source).toMatch(
        /^_file\('(input\.txt|data\.txt|notes\.cfg)', (['"])[\x20-\x7e\n\t\\]*\2\)$/,
      );
    // Not for a parameter of another type.
    expect(gen.specialValue({ ...infile, type: { kind: 'builtin', name: 'int' } }, lexerClass)).toBeUndefined();
  });

  it('gives a parameter that takes text or a stream text three times in four', () => {
    const stream: TypeHint = { kind: 'any', hint: 'typing.TextIO' };
    const [instream] = lexerClass.params;
    const str: TypeHint = { kind: 'builtin', name: 'str' };
    const gen = new InputGenerator(
      { ...lexer, paramHints: { 'Lexer.__init__': { instream: [str, stream] } } },
      new RandomSource(4),
    );
    const hints = Array.from({ length: 200 }, () => JSON.stringify(gen.hintFor(instream, lexerClass)));
    const withStream = hints.filter((h) => h.includes('typing.TextIO')).length;
    expect(withStream).toBeGreaterThan(30);
    expect(withStream).toBeLessThan(80);
    expect(new Set(hints).size).toBe(2);
  });

  it('gives a dict the function indexes with constants those keys, and a file it opens to read a file that exists', () => {
    const keys: TypeHint = {
      kind: 'dict',
      key: { kind: 'literal', values: ["'host'", "'port'"] },
      value: { kind: 'any' },
    };
    const path: TypeHint = { kind: 'any', hint: 'os.PathLike' };
    const gen = new InputGenerator(lexer, new RandomSource(3));
    const dicts = Array.from({ length: 30 }, () => gen.value(keys, main)).map((v) => v.collection?.keys ?? []);
    for (const k of dicts)
      for (const key of k) expect(key.expr).toEqual({ kind: 'lit', source: expect.stringMatching(/^'(host|port)'$/) });
    expect(dicts.filter((k) => k.length === 2).length).toBeGreaterThan(15);
    const sources = Array.from({ length: 30 }, () => gen.value(path, main).expr).map((e) =>
      e.kind === 'lit' ? e.source : '',
    );
    expect(sources.filter((s) => s.startsWith("_file('")).length).toBeGreaterThan(15);
  });

  it('sets public attributes of the right type before a call, as an assignment in the test', () => {
    expect(fieldsOf(lexerClass)).toEqual(fields);
    // What the constructor takes is explored through the constructor.
    expect(settableFields({ ...lexerClass, params: [none('debug')] })).toEqual([{ name: 'source', type: 'any' }]);
    const gen = new InputGenerator(lexer, new RandomSource(1));
    const steps = Array.from({ length: 20 }, () => gen.assignment(lexerClass)!);
    const debug = steps.find((s) => s.method.name === 'debug')!;
    expect(debug.assign).toBe(true);
    expect(debug.args[0].value.kind).toBe('int');
    const set = {
      ...debug,
      args: [
        { ...debug.args[0], value: { ...debug.args[0].value, expr: { kind: 'lit' as const, source: '2' }, js: 2 } },
      ],
    };
    const candidate: Candidate = {
      target: read,
      receiver: { kind: 'construct', cls: lexerClass, args: [] },
      prefix: [set],
      args: [],
    };
    expect(toPlan(candidate).steps![1]).toEqual({
      kind: 'call',
      callee: { kind: 'lit', source: 'setattr' },
      args: [
        { kind: 'var', index: 0 },
        { kind: 'lit', source: "'debug'" },
        { kind: 'lit', source: '2' },
      ],
      keywords: [],
    });
    const content = emit(candidate, {
      status: 'ok',
      lines: [],
      branches: [],
      value: value("'a'", 'str'),
      stdout: 'lexer: token a\n',
    });
    expect(content).toContain(
      "def test_lexer_read_returns_string(capsys):\n    lexer = Lexer()\n    lexer.debug = 2\n    result = lexer.read()\n    assert result == 'a'\n    assert capsys.readouterr().out == 'lexer: token a\\n'\n",
    );
    expect(contextQualifiers(candidate, 2)).toEqual(['with_debug_two']);
  });

  it('writes the files a plan used under tmp_path, where every test works', () => {
    const gen = new InputGenerator(lexer, new RandomSource(2));
    const infile = lexerClass.params[1];
    let file = gen.specialValue(infile, lexerClass);
    while (!file) file = gen.specialValue(infile, lexerClass);
    const name = file.wrapped!.args[0].expr.kind === 'lit' ? file.wrapped!.args[0].expr.source : '';
    const text = file.wrapped!.args[1].expr.kind === 'lit' ? file.wrapped!.args[1].expr.source : '';
    const candidate: Candidate = {
      target: lexerClass,
      prefix: [],
      args: [{ param: infile, value: file, keyword: true }],
    };
    const content = emit(candidate, {
      status: 'ok',
      lines: [],
      branches: [],
      value: value(null, 'lexer.Lexer', { attrs: [], module: 'lexer' }),
    });
    expect(content).toContain(
      `(tmp_path):\n    (tmp_path / ${name}).write_text(${text})\n    lexer = Lexer(infile=${name})\n`,
    );
    // The working directory is tmp_path for every test of the file (the fixture does it once).
    expect(content).toContain(
      '@pytest.fixture(autouse=True)\ndef _work_in_tmp_path(tmp_path, monkeypatch):\n    """Runs each test in its own empty folder, which is also its HOME."""\n    monkeypatch.chdir(tmp_path)\n    monkeypatch.setenv(\'HOME\', str(tmp_path))\n',
    );
  });
});

describe('assertions on values that cannot be written out', () => {
  it('checks a long bytes result by its length and how it starts', () => {
    const candidate: Candidate = { target: main, prefix: [], args: [] };
    const page = `b'<?xml version="1.0" encoding="utf-8"?>\\n<!DOCTYPE html'`;
    const content = emit(candidate, {
      status: 'ok',
      lines: [],
      branches: [],
      value: value(null, 'bytes', { repr: page, len: 15369 }),
    });
    expect(content).toContain(
      `    result = main()\n    assert len(result) == 15369\n    assert result.startswith(b'<?xml version="1.0" encoding="utf-8"?>')\n`,
    );
  });

  it('checks a long text also by how it ends and how often its separators occur', () => {
    const candidate: Candidate = { target: main, prefix: [], args: [] };
    const text = `'      March 2024\\nMo Tu We Th Fr Sa Su\\n'`;
    const summary = { tail: `'25 26 27 28 29 30 31\\n'`, counts: [["'\\n'", 7] as const, ["' '", 120] as const] };
    const content = emit(candidate, {
      status: 'ok',
      lines: [],
      branches: [],
      value: value(null, 'str', { repr: text, len: 151, summary }),
    });
    expect(content).toContain(
      [
        '    result = main()',
        '    assert len(result) == 151',
        "    assert result.startswith('      March 2024')",
        "    assert result.endswith('25 26 27 28 29 30 31\\n')",
        "    assert result.count('\\n') == 7",
        "    assert result.count(' ') == 120",
        '',
      ].join('\n'),
    );
  });

  it('checks a long list by its first and last element and its sum, a list of lists by their sizes', () => {
    const candidate: Candidate = { target: main, prefix: [], args: [] };
    const long = '[' + Array.from({ length: 40 }, (_, i) => `${i}.5`).join(', ') + ']';
    const floats = value(long, 'list', {
      len: 40,
      float: true,
      parts: ['0.5', '20.5', '39.5'],
      summary: { first: '0.5', last: '39.5', sum: '800.0', sumFloat: true },
    });
    expect(emit(candidate, { status: 'ok', lines: [], branches: [], value: floats })).toContain(
      [
        '    result = main()',
        '    assert len(result) == 40',
        '    assert result[0] == pytest.approx(0.5)',
        '    assert result[-1] == pytest.approx(39.5)',
        '    assert sum(result) == pytest.approx(800.0)',
        '',
      ].join('\n'),
    );
    const weeks = value(null, 'list', { len: 5, summary: { firstLen: 7, lastLen: 3 } });
    expect(emit(candidate, { status: 'ok', lines: [], branches: [], value: weeks })).toContain(
      '    assert len(result) == 5\n    assert len(result[0]) == 7\n    assert len(result[-1]) == 3\n',
    );
  });

  it('checks a long dict by its first and last entry, a list of strings by their lengths', () => {
    const candidate: Candidate = { target: main, prefix: [], args: [] };
    const table = value(null, 'dict', {
      len: 30,
      summary: { entries: [["'key0'", '0'] as const, ["'key29'", '29'] as const] },
    });
    expect(emit(candidate, { status: 'ok', lines: [], branches: [], value: table })).toContain(
      "    assert len(result) == 30\n    assert result['key0'] == 0\n    assert result['key29'] == 29\n",
    );
    const words = value(null, 'tuple', { len: 30, summary: { first: "'a'", last: "'z'", itemLengths: 170 } });
    expect(emit(candidate, { status: 'ok', lines: [], branches: [], value: words })).toContain(
      "    assert result[0] == 'a'\n    assert result[-1] == 'z'\n    assert sum(len(item) for item in result) == 170\n",
    );
  });

  it('asserts no value whose summary differs between runs (the end of a long text that shows the time)', () => {
    const run = (tail: string): CallResult => ({
      status: 'ok',
      lines: [],
      branches: [],
      value: value(null, 'str', { repr: "'report'", canon: "'report'", len: 9000, summary: { tail } }),
    });
    expect(stability(run("'12:00'"), [run("'12:01'")]).value).toBe(false);
    expect(stability(run("'12:00'"), [run("'12:00'")]).value).toBe(true);
  });

  it('holds a literal argument the call changed in a variable and asserts its value after the call', () => {
    const argsValue = { expr: { kind: 'lit', source: "['-t']" }, kind: 'other', hint: { kind: 'any' } } as const;
    const candidate: Candidate = {
      target: main,
      prefix: [],
      args: [{ param: none('args'), value: argsValue, keyword: false }],
    };
    const changed: CallResult = {
      status: 'ok',
      lines: [],
      branches: [],
      value: value('None', 'NoneType'),
      changedArgs: [{ position: 0, keyword: null, expr: "['-t', 'text']", float: false, approx: false }],
    };
    expect(emit(candidate, changed, { ...stable, args: true })).toContain(
      "def test_main_changes_its_arguments():\n    args = ['-t']\n    main(args)\n    assert args == ['-t', 'text']\n",
    );
    // Changed differently in another run: the argument is not asserted, the None is.
    expect(emit(candidate, changed, { ...stable, args: false })).toContain(
      "    result = main(['-t'])\n    assert result is None\n",
    );
    const rerun = { ...changed, changedArgs: [{ ...changed.changedArgs![0], expr: "['-t', 'html']" }] };
    expect(stability(changed, [rerun]).args).toBe(false);
    expect(stability(changed, [changed]).args).toBe(true);
  });

  it('holds an in-memory stream the call wrote to and asserts what it holds after the call', () => {
    const out = { expr: { kind: 'lit', source: 'io.StringIO()' }, kind: 'other', hint: { kind: 'any' } } as const;
    const candidate: Candidate = {
      target: main,
      prefix: [],
      args: [{ param: none('args'), value: out, keyword: false }],
    };
    const wrote: CallResult = {
      status: 'ok',
      lines: [],
      branches: [],
      value: value('None', 'NoneType'),
      changedArgs: [{ position: 0, keyword: null, expr: "'-t\\n'", float: false, approx: false, via: 'getvalue' }],
    };
    expect(emit(candidate, wrote, { ...stable, args: true })).toContain(
      "    args = io.StringIO()\n    main(args)\n    assert args.getvalue() == '-t\\n'\n",
    );
  });

  it('checks long printed output by its length, its first lines and its last lines, each literal at most 120 characters', () => {
    const grid =
      Array.from({ length: 12 }, (_, i) => `row ${String(i).padStart(2, '0')}: ${'#'.repeat(20)}`).join('\n') + '\n';
    const printed = (stdout: string): CallResult => ({
      status: 'ok',
      lines: [],
      branches: [],
      value: value('None', 'NoneType'),
      stdout,
    });
    const s = stability(printed(grid), [printed(grid)]);
    const content = emit({ target: main, prefix: [], args: [] }, printed(grid), s);
    const head = grid.split('\n').slice(0, 3).join('\\n');
    const tail = grid.split('\n').slice(9, 12).join('\\n');
    expect(content).toContain(
      `    main()\n    printed = capsys.readouterr().out\n    assert len(printed) == ${grid.length}\n` +
        `    assert printed.startswith('${head}\\n')\n    assert printed.endswith('${tail}\\n')\n`,
    );
    const literals = content.match(/'(?:[^'\\\n]|\\.)*'/g) ?? [];
    expect(Math.max(...literals.map((l) => l.length))).toBeLessThanOrEqual(120);
    // Short output is asserted whole.
    const short = emit({ target: main, prefix: [], args: [] }, printed('done\n'), stability(printed('done\n'), []));
    expect(short).toContain("    assert capsys.readouterr().out == 'done\\n'\n");
  });

  it('cuts a head or tail to whole lines only when that keeps at least half of it', () => {
    expect(shortEnd('a'.repeat(200), 'head')).toBe('a'.repeat(118));
    expect(shortEnd(`${'x'.repeat(80)}\n${'y'.repeat(80)}`, 'head')).toBe(`${'x'.repeat(80)}\n`);
    expect(shortEnd(`${'x'.repeat(80)}\n${'y'.repeat(80)}`, 'tail')).toBe('y'.repeat(80));
    expect(shortEnd(`${'x'.repeat(20)}\n${'y'.repeat(200)}`, 'head')).toBe(`${'x'.repeat(20)}\n${'y'.repeat(96)}`);
  });

  it('checks output naming an object address up to the address', () => {
    const out = (address: string): CallResult => ({
      status: 'ok',
      lines: [],
      branches: [],
      value: value('None', 'NoneType'),
      stdout: `pushing to stream <_io.StringIO object at ${address}>\n`,
    });
    const first = out('0x7f3a2b1c0d90');
    const s = stability(first, [out('0x7f3a2b1c0d90'), out('0x7f11aa22bb33')]);
    expect(s).toMatchObject({ stdout: false, stdoutPrefix: 'pushing to stream <_io.StringIO object at ' });
    // The same address twice by chance is still no fact.
    expect(stability(first, [first, first])).toMatchObject({
      stdout: false,
      stdoutPrefix: 'pushing to stream <_io.StringIO object at ',
    });
    const content = emit({ target: main, prefix: [], args: [] }, first, s);
    expect(content).toContain(
      "    main()\n    assert capsys.readouterr().out.startswith('pushing to stream <_io.StringIO object at ')\n",
    );
    expect(stablePrefix('abc', ['abd'])).toBe('');
  });
});

describe('numbers in test names', () => {
  it('spells small numbers and simple fractions so they do not read as a de-duplicating suffix', () => {
    expect([
      numberWord(2),
      numberWord(0.5),
      numberWord(1 / 6),
      numberWord(0.36),
      numberWord(-3),
      numberWord(2024),
    ]).toEqual(['two', 'half', 'one_sixth', '0_36', 'minus_three', '2024']);
    const fn: CallableInfo = { kind: 'function', name: 'hsv_to_rgb', qualname: 'hsv_to_rgb', params: [], span: [1, 2] };
    const p = (name: string): ParameterInfo => ({
      name,
      kind: 'either',
      type: { kind: 'any' },
      hasDefault: false,
      default: null,
      defaultIsNone: false,
    });
    const float = (n: number) => ({
      expr: { kind: 'lit' as const, source: String(n) },
      js: n,
      kind: 'float' as const,
      hint: { kind: 'any' as const },
    });
    const result: CallResult = { status: 'ok', lines: [], branches: [], value: value('(0.0, 0.0, 0.0)', 'tuple') };
    const names = new TestNamer().nameAll(
      [0.75, 0.5].map((h) => ({
        fn,
        result,
        args: [
          { param: p('h'), value: float(h), keyword: false },
          { param: p('v'), value: float(0), keyword: false },
        ],
      })),
    );
    expect(names).toEqual([
      'test_hsv_to_rgb_returns_tuple_with_zero_v_with_h_three_quarters',
      'test_hsv_to_rgb_returns_tuple_with_zero_v_with_h_half',
    ]);
  });
});

describe('objects a test checks by their own text', () => {
  it('asserts str() of the receiver and of its attributes when their class has its own __str__', () => {
    const candidate: Candidate = {
      target: read,
      receiver: { kind: 'construct', cls: lexerClass, args: [] },
      prefix: [],
      args: [],
    };
    const text = (name: string, expr: string, via: 'str' | 'str-items') => ({
      name,
      expr,
      float: false,
      approx: false,
      via,
    });
    const content = emit(
      candidate,
      {
        status: 'ok',
        lines: [],
        branches: [],
        value: value('None', 'NoneType'),
        receiverAttrs: [
          text('__str__', "'Lexer(a, b)'", 'str'),
          text('tokens', "['a', 'b']", 'str-items'),
          text('last', "'b'", 'str'),
        ],
      },
      { ...stable, attrs: new Set(['__str__', 'tokens', 'last']) },
    );
    expect(content).toContain(
      [
        '    lexer = Lexer()',
        '    lexer.read()',
        "    assert str(lexer) == 'Lexer(a, b)'",
        "    assert [str(x) for x in lexer.tokens] == ['a', 'b']",
        "    assert str(lexer.last) == 'b'",
      ].join('\n'),
    );
  });
});
