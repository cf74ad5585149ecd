import type { CallableInfo, HarvestedLiteral, ModuleInterface, ParameterInfo } from '@test-agent/domain';
import { InputGenerator } from './input-generator';
import { evalPyStr } from './generated-value';
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
    add: [str('charset'), str('name'), str('_')],
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
