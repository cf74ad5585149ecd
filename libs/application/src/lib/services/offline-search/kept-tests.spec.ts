import type {
  CallableInfo,
  CallResult,
  ExceptionDescription,
  ModuleInterface,
  ParameterInfo,
  TestCase,
  TypeHint,
  ValueDescription,
} from '@test-agent/domain';
import type { Candidate, GenArg } from './generated-value';
import { PytestEmitter, type EmittableTest, type Stability } from './pytest-emitter';
import { minimiseArchive } from './search-archive';
import { raisedKind } from './raised-kinds';
import { wellTyped } from './typed-input';
import { toPlan } from './call-plans';
import { type ArchivedTest } from './search-engine.service';
import { subjectName } from './test-namer';
import { TestFileAssembler } from '../test-file-assembler/test-file-assembler.service';
import { describedValue } from '../../testing/described-value';

// A fake module `stats`: def ratio(a: int, b: int); def label(x) (no type known).
const intParam = (name: string): ParameterInfo => ({
  name,
  kind: 'either',
  type: { kind: 'builtin', name: 'int' },
  hasDefault: false,
  default: null,
  defaultIsNone: false,
});
const ratio: CallableInfo = {
  kind: 'function',
  name: 'ratio',
  qualname: 'ratio',
  params: [intParam('a'), intParam('b')],
  span: [1, 3],
};
const label: CallableInfo = {
  kind: 'function',
  name: 'label',
  qualname: 'label',
  params: [{ ...intParam('x'), type: { kind: 'any' } }],
  span: [5, 6],
};
const stats: ModuleInterface = {
  callables: [ratio, label],
  literals: {},
  moduleLiterals: [],
  constants: [],
  paramHints: {},
  doctests: [],
  shape: { statements: [1, 2, 3, 5, 6], branches: [] },
  baseline: { lines: [1, 5], branches: [] },
};

const int = (param: ParameterInfo, n: number): GenArg => ({
  param,
  value: { expr: { kind: 'lit', source: String(n) }, js: n, kind: 'int', hint: param.type },
  keyword: false,
});
const call = (fn: CallableInfo, args: GenArg[]): Candidate => ({ target: fn, prefix: [], args });
const raised = (type: string, extra: Partial<ExceptionDescription> = {}): CallResult => ({
  status: 'raised',
  lines: [1, 2],
  branches: [],
  step: 0,
  exception: {
    type,
    module: 'builtins',
    message: 'division by zero',
    path: null,
    inModule: true,
    explicit: false,
    line: 2,
    ...extra,
  },
});
const value = describedValue;
const stable: Stability = { outcome: true, value: true, stdout: true, attrs: new Set<string>() };
const emit = (tests: EmittableTest[], pinDefects = false) =>
  new PytestEmitter().emit('stats', stats, tests, new Set(), { pinDefects });
/** The file that ships: the emitted cases as the test-file assembler writes them. */
const shipped = (file: { cases: readonly TestCase[] }) =>
  new TestFileAssembler().assemble({ file: '/src/stats.py', importRoot: '/src', moduleName: 'stats' }, file.cases)
    .content;

describe('which raised exceptions a test may pin', () => {
  const wellTypedCall = call(ratio, [int(ratio.params[0], 1), int(ratio.params[1], 0)]);

  it("pins the module's own raise; never the interpreter's TypeError/AttributeError; reports errors on well-typed input", () => {
    expect(raisedKind(raised('ValueError', { explicit: true }), wellTypedCall, stats)).toBe('deliberate');
    // The interpreter's TypeError/AttributeError: a misuse on a value no caller would pass, a defect on well-typed input.
    const offType = call(ratio, [
      int(ratio.params[0], 1),
      {
        ...int(ratio.params[1], 0),
        value: { ...int(ratio.params[1], 0).value, offHint: { kind: 'builtin', name: 'int' } },
      },
    ]);
    expect(raisedKind(raised('TypeError'), offType, stats)).toBe('misuse');
    expect(raisedKind(raised('AttributeError', { line: null }), wellTypedCall, stats)).toBe('misuse');
    expect(raisedKind(raised('AttributeError'), wellTypedCall, stats)).toBe('defect');
    expect(raisedKind(raised('ZeroDivisionError'), wellTypedCall, stats)).toBe('defect');
    expect(raisedKind(raised('UnboundLocalError'), wellTypedCall, stats)).toBe('defect');
    // Without an optional import, or on a command line of ours, the same errors claim nothing.
    const withoutImport = { ...wellTypedCall, patches: [{ name: 'zlib', source: 'None' }] };
    expect(raisedKind(raised('AttributeError'), withoutImport, stats)).toBe('misuse');
    const onCommandLine = { ...wellTypedCall, argv: { expr: { kind: 'lit', source: "['prog']" } } } as never;
    expect(raisedKind(raised('IndexError'), onCommandLine, stats)).not.toBe('defect');
    // Raised inside a library the module called (not on the module's own line), or on input of unknown type: no claim.
    expect(raisedKind(raised('ZeroDivisionError', { line: null }), wellTypedCall, stats)).toBe('incidental');
    const untyped = call(label, [
      { ...int(label.params[0], 0), value: { ...int(label.params[0], 0).value, hint: { kind: 'any' } } },
    ]);
    expect(wellTyped(untyped, stats)).toBe(false);
    expect(raisedKind(raised('ZeroDivisionError'), untyped, stats)).toBe('incidental');
    // A value deliberately off its parameter's type is no well-typed input.
    const off = call(ratio, [
      int(ratio.params[0], 1),
      {
        ...int(ratio.params[1], 0),
        value: { ...int(ratio.params[1], 0).value, offHint: { kind: 'builtin', name: 'int' } },
      },
    ]);
    expect(raisedKind(raised('ZeroDivisionError'), off, stats)).toBe('incidental');
    expect(
      raisedKind({ status: 'ok', lines: [], branches: [], value: value('1', 'int') }, wellTypedCall, stats),
    ).toBeUndefined();
  });

  it('claims no defect on input that does not fit the evidence of its parameter types', () => {
    const INT: TypeHint = { kind: 'builtin', name: 'int' };
    const listParam: ParameterInfo = { ...intParam('xs'), type: { kind: 'list', item: INT } };
    const total: CallableInfo = {
      kind: 'function',
      name: 'total',
      qualname: 'total',
      params: [listParam],
      span: [8, 9],
    };
    const scaled: CallableInfo = {
      ...total,
      name: 'scaled',
      qualname: 'scaled',
      params: [{ ...intParam('n'), type: { kind: 'any' } }],
    };
    const counted: CallableInfo = {
      ...scaled,
      name: 'counted',
      qualname: 'counted',
      params: [{ ...intParam('count'), type: { kind: 'any' } }],
    };
    const box: CallableInfo = {
      kind: 'class',
      name: 'Box',
      qualname: 'Box',
      params: [intParam('size')],
      span: [10, 12],
    };
    const grow: CallableInfo = {
      kind: 'method',
      name: 'grow',
      qualname: 'Box.grow',
      owner: 'Box',
      params: [],
      span: [11, 12],
    };
    // `scaled(n)` uses n as an int (usage evidence); `counted(count)`: only the name says what count is.
    const module: ModuleInterface = {
      ...stats,
      callables: [total, scaled, counted, box, grow],
      paramHints: { scaled: { n: [INT] } },
    };
    const scalar = (param: ParameterInfo, js: number | string | null): GenArg => ({
      param,
      value: {
        expr: { kind: 'lit', source: JSON.stringify(js) },
        js,
        kind: js === null ? 'none' : typeof js === 'string' ? 'str' : Number.isInteger(js) ? 'int' : 'float',
        hint: INT,
      },
      keyword: false,
    });
    const list = (items: GenArg[]): GenArg => ({
      param: listParam,
      value: {
        expr: { kind: 'lit', source: '[...]' },
        kind: 'other',
        hint: listParam.type,
        collection: { kind: 'list', items: items.map((i) => i.value) },
      },
      keyword: false,
    });
    const xs = (...values: (number | string | null)[]) => call(total, [list(values.map((v) => scalar(listParam, v)))]);
    // A list of ints where the annotation says list[int]: an IndexError on the module's line is a suspected defect.
    expect(wellTyped(xs(3, 4), module)).toBe(true);
    expect(raisedKind(raised('IndexError'), xs(3, 4), module)).toBe('defect');
    // An item of another type spoils it: the TypeError it raises is a misuse.
    expect(wellTyped(xs(3, 'a'), module)).toBe(false);
    expect(raisedKind(raised('TypeError'), xs(3, 'a'), module)).toBe('misuse');
    // Usage evidence: an int fits, None and a float do not.
    expect(wellTyped(call(scaled, [scalar(scaled.params[0], 3)]), module)).toBe(true);
    expect(wellTyped(call(scaled, [scalar(scaled.params[0], null)]), module)).toBe(false);
    expect(wellTyped(call(scaled, [scalar(scaled.params[0], 0.5)]), module)).toBe(false);
    // No evidence at all (only the name `count`): nothing is well-typed, whatever the value's own hint says.
    expect(wellTyped(call(counted, [scalar(counted.params[0], 3)]), module)).toBe(false);
    // ... and an error that would point at a defect on typed input is neither claimed nor kept as behaviour.
    expect(raisedKind(raised('ZeroDivisionError'), call(counted, [scalar(counted.params[0], 3)]), module)).toBe(
      'misuse',
    );
    // A receiver built with an argument of another type.
    const on = (size: number | string): Candidate => ({
      target: grow,
      receiver: { kind: 'construct', cls: box, args: [scalar(box.params[0], size)] },
      prefix: [],
      args: [],
    });
    expect(wellTyped(on(2), module)).toBe(true);
    expect(wellTyped(on('big'), module)).toBe(false);
    // A subclass the module defines fits its base; an outside type an annotation names fits a value made for it;
    // a complex number fits `complex`.
    const shape: CallableInfo = { ...box, name: 'Shape', qualname: 'Shape', params: [] };
    const circle: CallableInfo = { ...box, name: 'Circle', qualname: 'Circle', params: [], bases: ['Shape'] };
    const area: CallableInfo = {
      ...total,
      name: 'area',
      qualname: 'area',
      params: [
        { ...intParam('s'), type: { kind: 'class', ref: 'Shape' } },
        { ...intParam('d'), type: { kind: 'any', hint: 'Decimal' } },
        { ...intParam('z'), type: { kind: 'builtin', name: 'complex' } },
      ],
    };
    const shapes: ModuleInterface = { ...module, callables: [...module.callables, shape, circle, area] };
    const built = (path: string): GenArg['value'] => ({
      expr: { kind: 'lit', source: `${path}()` },
      kind: 'other',
      hint: { kind: 'class', ref: path },
      construct: { path, args: [] },
    });
    const decimal: GenArg['value'] = {
      expr: { kind: 'lit', source: "Decimal('1.5')" },
      kind: 'other',
      hint: area.params[1].type,
    };
    const complex: GenArg['value'] = { expr: { kind: 'lit', source: '1j' }, kind: 'other', hint: area.params[2].type };
    const areaOf = (s: GenArg['value'], d: GenArg['value'], z: GenArg['value']) =>
      call(area, [
        { param: area.params[0], value: s, keyword: false },
        { param: area.params[1], value: d, keyword: false },
        { param: area.params[2], value: z, keyword: false },
      ]);
    expect(wellTyped(areaOf(built('Circle'), decimal, complex), shapes)).toBe(true);
    expect(wellTyped(areaOf(built('Box'), decimal, complex), shapes)).toBe(false);
    expect(wellTyped(areaOf(built('Circle'), scalar(area.params[1], 'x').value, complex), shapes)).toBe(false);
  });

  it('writes a suspected defect as a strict xfail test only when asked, and always describes it', () => {
    const test: EmittableTest = {
      test: { plan: toPlan(wellTypedCall), result: raised('ZeroDivisionError'), candidate: wellTypedCall },
      stability: stable,
      defect: true,
    };
    const plain = emit([test]);
    expect(plain.tests).toEqual([]);
    expect(plain.defects).toHaveLength(1);
    expect(plain.defects[0]).toMatchObject({ subject: 'ratio', error: 'ZeroDivisionError: division by zero', line: 2 });
    expect(plain.defects[0].source).toBe(
      [
        "@pytest.mark.xfail(strict=True, raises=ZeroDivisionError, reason='suspected defect: ZeroDivisionError on line 2 on well-typed input')",
        `def ${plain.defects[0].name}():`,
        '    ratio(1, 0)',
      ].join('\n'),
    );
    expect(plain.defects[0].name).toMatch(/^test_ratio_.*_suspected_defect$/);
    const pinned = emit([test], true);
    expect(pinned.tests.map((t) => t.name)).toEqual([plain.defects[0].name]);
    expect(pinned.cases[0].expectedFailure).toBe(true);
    expect(shipped(pinned)).toContain(plain.defects[0].source);
  });
});

describe('every emitted test checks something', () => {
  const candidate = call(label, [int(label.params[0], 3)]);
  const ok = (v: ValueDescription): CallResult => ({ status: 'ok', lines: [5, 6], branches: [], value: v });

  it('asserts the type of a value that varies between runs, and does not name the value', () => {
    const file = emit([
      {
        test: { plan: toPlan(candidate), result: ok(value("'at 1764'", 'str')), candidate },
        stability: { ...stable, value: false, type: true },
      },
    ]);
    expect(file.tests[0].source).toBe(
      ['def test_label_returns_string():', '    result = label(3)', '    assert isinstance(result, str)'].join('\n'),
    );
  });

  it('writes no test when not even the type of the result holds in every run', () => {
    const file = emit([
      {
        test: { plan: toPlan(candidate), result: ok(value("'x'", 'str')), candidate },
        stability: { ...stable, value: false, type: false },
      },
    ]);
    expect(file.tests).toEqual([]);
  });

  it('checks that a returned function can be called, since no test can name its type', () => {
    const file = emit([
      {
        test: { plan: toPlan(candidate), result: ok(value(null, 'function')), candidate },
        stability: { ...stable, value: false, type: true },
      },
    ]);
    expect(file.tests[0].source).toBe(
      ['def test_label_returns_function():', '    result = label(3)', '    assert callable(result)'].join('\n'),
    );
  });

  it('writes no type check for a builtin type that is no name (dict_keys)', () => {
    const file = emit([
      {
        test: { plan: toPlan(candidate), result: ok(value(null, 'dict_keys')), candidate },
        stability: { ...stable, value: false, type: true },
      },
    ]);
    expect(file.tests).toEqual([]);
  });

  it('names a type of another module by its module, and a private type not at all', () => {
    const fromDatetime = emit([
      {
        test: {
          plan: toPlan(candidate),
          result: ok(value(null, 'datetime.datetime', { module: 'datetime' })),
          candidate,
        },
        stability: { ...stable, value: false, type: true },
      },
    ]);
    expect(shipped(fromDatetime)).toContain('import datetime');
    expect(fromDatetime.tests[0].source).toContain('assert isinstance(result, datetime.datetime)');
    const hidden = emit([
      {
        test: { plan: toPlan(candidate), result: ok(value(null, 'stats._Cache', { module: 'stats' })), candidate },
        stability: { ...stable, value: false, type: true },
      },
    ]);
    expect(hidden.tests).toEqual([]);
  });

  it('names a type the module imported by name as the module does, so `import datetime` never shadows it', () => {
    const fromDatetime: EmittableTest = {
      test: {
        plan: toPlan(candidate),
        result: ok(value(null, 'datetime.datetime', { module: 'datetime' })),
        candidate,
      },
      stability: { ...stable, value: false, type: true },
    };
    const importing = { ...stats, externalNames: { datetime: 'from datetime import datetime' } };
    const file = new PytestEmitter().emit('stats', importing, [fromDatetime]);
    expect(file.tests[0].source).toMatch(/assert isinstance\(result, datetime\)$/);
    expect(shipped(file)).toContain('from datetime import datetime\n');
    expect(shipped(file)).not.toMatch(/^import datetime$/m);
  });

  it('names a type of a module the module imported under another name through that name', () => {
    const source: EmittableTest = {
      test: {
        plan: toPlan(candidate),
        result: ok(value(null, 'InputSource', { module: 'xml.sax.xmlreader' })),
        candidate,
      },
      stability: { ...stable, value: false, type: true },
    };
    const importing = { ...stats, externalNames: { xmlreader: 'import xml.sax.xmlreader as xmlreader' } };
    const file = new PytestEmitter().emit('stats', importing, [source]);
    expect(file.tests[0].source).toMatch(/assert isinstance\(result, xmlreader\.InputSource\)$/);
    expect(shipped(file)).toContain('import xml.sax.xmlreader as xmlreader\n');
    expect(shipped(file)).not.toMatch(/^import xml\.sax\.xmlreader$/m);
  });
});

describe('names a test takes from the module', () => {
  it('imports a compiled pattern an argument matches with, though its value is too long to be a listed constant', () => {
    const m: CallableInfo = { ...label, name: 'from_match', qualname: 'from_match' };
    const matched: GenArg = {
      param: m.params[0],
      value: { expr: { kind: 'lit', source: "RE_DATE.match('1988-10-27')" }, kind: 'other', hint: { kind: 'any' } },
      keyword: false,
    };
    const c = call(m, [matched]);
    const entry = { pattern: '\\d+-\\d+-\\d+', flags: 0, subjects: [], matches: [], nearMisses: [] };
    const withPattern: ModuleInterface = {
      ...stats,
      callables: [m],
      patterns: { '': [{ ...entry, name: 'RE_DATE' }] },
    };
    const file = new PytestEmitter().emit('stats', withPattern, [
      {
        test: {
          plan: toPlan(c),
          result: { status: 'ok', lines: [5], branches: [], value: value('3', 'int') },
          candidate: c,
        },
        stability: stable,
      },
    ]);
    expect(shipped(file)).toContain('from stats import RE_DATE, from_match\n');
  });

  it('imports struct for a stream over bytes laid out with struct.pack', () => {
    const packed: GenArg = {
      param: label.params[0],
      value: {
        expr: { kind: 'lit', source: "io.BytesIO(struct.pack('<I', 7))" },
        kind: 'other',
        hint: { kind: 'any' },
      },
      keyword: false,
    };
    const c = call(label, [packed]);
    const result: CallResult = { status: 'ok', lines: [5], branches: [], value: value('3', 'int') };
    const file = emit([{ test: { plan: toPlan(c), result, candidate: c }, stability: stable }]);
    expect(shipped(file)).toMatch(/^import io\nimport pytest\nimport struct\n/m);
  });
});

describe('public API first', () => {
  const helper: CallableInfo = {
    kind: 'function',
    name: '_scale',
    qualname: '_scale',
    params: [intParam('n')],
    span: [8, 9],
  };
  const ok = (lines: number[]): CallResult => ({ status: 'ok', lines, branches: [], value: value('1', 'int') });
  const archived = (fn: CallableInfo, lines: number[]): ArchivedTest => {
    const c = call(fn, [int(fn.params[0], 1)]);
    return { plan: toPlan(c), result: ok(lines), candidate: c };
  };

  it('keeps a test through a private name only for lines no public call reaches, and names it as private', () => {
    const viaPrivate = archived(helper, [8, 9]);
    const viaPublic = archived(label, [5, 6, 8, 9]);
    expect(minimiseArchive([viaPrivate, viaPublic])).toEqual([viaPublic]);
    const deeper = archived(helper, [8, 9, 10]);
    expect(minimiseArchive([deeper, viaPublic])).toEqual([deeper, viaPublic]);
    expect(subjectName(helper)).toBe('private_scale');
    expect(subjectName({ ...helper, qualname: 'Cache._evict' })).toBe('cache_private_evict');
    expect(subjectName({ ...helper, qualname: 'Cache.__len__' })).toBe('cache_len');
  });
});
