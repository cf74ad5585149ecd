import type { CallableInfo, HarvestedLiteral, ModuleInterface, ParameterInfo } from '@test-agent/domain';
import { InputGenerator } from './input-generator';
import { evalPyStr, type Candidate, type GenValue } from './generated-value';
import { wellTyped } from './typed-input';
import { RandomSource } from './random-source';

// A fake module `rules`:
//   def parse(lines): for line in lines: key, _, value = line.partition(':') ... if key == 'user-agent' ...
//   def plain(text): return text.upper()
//   def add(name, value, **params): for k, v in params.items(): ... (looks up params['charset'])
const param = (name: string, kind: ParameterInfo['kind'] = 'either'): ParameterInfo => ({
  name,
  kind,
  type: { kind: 'any' },
  hasDefault: false,
  default: null,
  defaultIsNone: false,
});
const str = (value: string): HarvestedLiteral => ({ source: JSON.stringify(value), kind: 'str', value });
const parse: CallableInfo = {
  kind: 'function',
  name: 'parse',
  qualname: 'parse',
  params: [param('lines')],
  span: [1, 9],
};
const plain: CallableInfo = {
  kind: 'function',
  name: 'plain',
  qualname: 'plain',
  params: [param('text')],
  span: [11, 12],
};
const add: CallableInfo = {
  kind: 'function',
  name: 'add',
  qualname: 'add',
  params: [param('name'), param('value'), param('params', 'varkw')],
  span: [14, 18],
};
const rules: ModuleInterface = {
  callables: [parse, plain, add],
  literals: {
    parse: [str('user-agent'), str('disallow'), str(':'), str('#')],
    plain: [str('user-agent'), str('disallow')],
    add: [str('charset'), str('name'), str('_'), str('return'), str('lambda')],
  },
  moduleLiterals: [],
  constants: [],
  paramHints: {
    parse: { lines: [{ kind: 'list', item: { kind: 'builtin', name: 'str' } }] },
    plain: { text: [{ kind: 'builtin', name: 'str' }] },
  },
  doctests: [],
  shape: { statements: [1], branches: [] },
  baseline: { lines: [1], branches: [] },
};

const strings = (fn: CallableInfo, seed: number): string[] => {
  const gen = new InputGenerator(rules, new RandomSource(seed));
  return Array.from({ length: 300 }, () => gen.string(fn));
};

describe('text shaped like the lines a parser reads', () => {
  it('joins the keys a function compares with and the separator it splits at into `key: value` lines', () => {
    const made = strings(parse, 3);
    const keyed = made.filter((s) => /^(user-agent|disallow): ?\S*/.test(s));
    expect(keyed.length).toBeGreaterThan(20);
    // Several such lines in one text too, for parsers that split text into lines.
    expect(
      made.some((s) => s.split('\n').length >= 2 && s.split('\n').every((l) => /^(user-agent|disallow):/.test(l))),
    ).toBe(true);
  });

  it('makes none for a function whose literals hold no separator', () => {
    const made = strings(plain, 3);
    expect(made.filter((s) => /^(user-agent|disallow): /.test(s))).toEqual([]);
  });
});

describe('keyword arguments for **kwargs', () => {
  it('passes now and then one or two, named after the identifiers the function spells, never a named parameter', () => {
    const gen = new InputGenerator(rules, new RandomSource(5));
    const calls = Array.from({ length: 200 }, () => gen.arguments(add));
    const extra = calls.flatMap((args) => args.filter((a) => a.param.kind === 'keyword'));
    expect(calls.filter((args) => args.some((a) => a.param.kind === 'keyword')).length).toBeGreaterThan(30);
    expect(calls.every((args) => args.filter((a) => a.param.kind === 'keyword').length <= 2)).toBe(true);
    const names = new Set(extra.map((a) => a.param.name));
    expect(names.has('charset')).toBe(true);
    expect(names.has('name')).toBe(false);
    // A Python keyword would be no valid call (`add('x', 'y', return='v')`).
    expect(names.has('return') || names.has('lambda')).toBe(false);
    expect(extra.every((a) => a.keyword)).toBe(true);
    // Values of several kinds: the function may treat None apart (`if v is None`).
    expect(extra.some((a) => a.value.kind === 'none')).toBe(true);
    expect(
      extra.some((a) => typeof evalPyStr(a.value.expr.kind === 'lit' ? a.value.expr.source : '') === 'string'),
    ).toBe(true);
  });
});

describe('an object of a class from elsewhere that a parameter fits by its use', () => {
  it('is mostly built the way the worker says a test can build it', () => {
    const gen = new InputGenerator(rules, new RandomSource(9));
    const hint = { kind: 'any', hint: 'xml.sax.xmlreader.XMLReader', make: 'xmlreader.XMLReader()' } as const;
    const made = Array.from({ length: 100 }, () => gen.value(hint, plain));
    const built = made.filter((v) => v.expr.kind === 'lit' && v.expr.source === 'xmlreader.XMLReader()');
    expect(built.length).toBeGreaterThan(70);
    expect(built.length).toBeLessThan(100);
  });
});

describe('an object of a class of the module', () => {
  // class Ratio: __init__(self, num, den); @classmethod from_text(cls, text); def scale(ratio: Ratio, k) ...
  const ratio = {
    kind: 'class',
    name: 'Ratio',
    qualname: 'Ratio',
    constructible: true,
    params: [param('num'), param('den')],
    span: [1, 9],
  } as CallableInfo;
  const fromText: CallableInfo = {
    kind: 'classmethod',
    name: 'from_text',
    qualname: 'Ratio.from_text',
    owner: 'Ratio',
    params: [param('text')],
    span: [5, 9],
  };
  const scale: CallableInfo = {
    kind: 'function',
    name: 'scale',
    qualname: 'scale',
    params: [param('ratio'), param('k')],
    span: [11, 12],
  };
  const ratios: ModuleInterface = {
    ...rules,
    callables: [ratio, fromText, scale],
    paramHints: {
      scale: { ratio: [{ kind: 'class', ref: 'Ratio' }] },
      'Ratio.from_text': { text: [{ kind: 'builtin', name: 'str' }] },
      'Ratio.__init__': { num: [{ kind: 'builtin', name: 'int' }], den: [{ kind: 'builtin', name: 'int' }] },
    },
  };

  it('is now and then built by a public classmethod of the class, its alternative constructor', () => {
    const gen = new InputGenerator(ratios, new RandomSource(2));
    const made = Array.from({ length: 200 }, () => gen.value({ kind: 'class', ref: 'Ratio' }, scale));
    const paths = made.map((v) => v.construct?.path);
    expect(paths.filter((p) => p === 'Ratio.from_text').length).toBeGreaterThan(25);
    expect(paths.filter((p) => p === 'Ratio').length).toBeGreaterThan(100);
    const viaMethod = made.find((v) => v.construct?.path === 'Ratio.from_text')!;
    expect(viaMethod.expr).toMatchObject({ kind: 'call', callee: { kind: 'ref', path: 'Ratio.from_text' } });
    // Nothing says a classmethod returns an instance: a call with its value claims no defect; one with the
    // constructor's does.
    const call = (value: GenValue) =>
      wellTyped(
        {
          target: scale,
          args: [{ param: scale.params[0], value, keyword: false }],
          prefix: [],
        } as unknown as Candidate,
        ratios,
      );
    expect(call(viaMethod)).toBe(false);
    expect(call(made.find((v) => v.construct?.path === 'Ratio')!)).toBe(true);
  });
});

describe('a list of lines for a parser that reads them one by one', () => {
  it('is now and then made of `key: value` lines only, from the keys and separators of the function', () => {
    const gen = new InputGenerator(rules, new RandomSource(4));
    const lists = Array.from({ length: 200 }, () => gen.value(rules.paramHints.parse.lines[0], parse));
    const keyed = lists.filter(
      (v) =>
        v.collection!.items.length >= 2 &&
        v.collection!.items.every((x) => /^(user-agent|disallow|#):/.test(String(x.js))),
    );
    expect(keyed.length).toBeGreaterThan(20);
    // Other lists are made item by item as before.
    expect(lists.length - keyed.length).toBeGreaterThan(100);
  });
});
