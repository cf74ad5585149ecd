import type { CallableInfo, ModuleInterface, ParameterInfo, TypeHint } from '@test-agent/domain';
import { InputGenerator } from './input-generator';
import { evalPyStr } from './generated-value';
import { RandomSource } from './random-source';
import { wellTyped } from './typed-input';

// A fake module `versions`:
//   _VERSION_RE = re.compile(r'(\d+)\.(\d+)')
//   def parse(text): m = _VERSION_RE.match(text) ...        (text matched against the pattern)
//   def count(n, label): ...                                  (no pattern; names only)
//   def from_match(m: re.Match): ...
const param = (name: string, type: ParameterInfo['type'] = { kind: 'any' }): ParameterInfo => ({
  name,
  kind: 'either',
  type,
  hasDefault: false,
  default: null,
  defaultIsNone: false,
});
const parse: CallableInfo = {
  kind: 'function',
  name: 'parse',
  qualname: 'parse',
  params: [param('text')],
  span: [3, 8],
};
const count: CallableInfo = {
  kind: 'function',
  name: 'count',
  qualname: 'count',
  params: [param('n'), param('label')],
  span: [10, 12],
};
const fromMatch: CallableInfo = {
  kind: 'function',
  name: 'from_match',
  qualname: 'from_match',
  params: [param('m', { kind: 'any', hint: 're.Match' })],
  span: [14, 16],
};
const VERSION = String.raw`(\d+)\.(\d+)`;
const entry = { pattern: VERSION, flags: 0, matches: ['1.2', '10.0', '0.11'], nearMisses: ['', '1x2', '1.'] };
const versions: ModuleInterface = {
  callables: [parse, count, fromMatch],
  externalNames: { re: 'import re' },
  literals: {},
  moduleLiterals: [],
  patterns: {
    parse: [{ ...entry, subjects: ['text'], name: '_VERSION_RE' }],
    '': [{ ...entry, subjects: [], name: '_VERSION_RE' }],
  },
  constants: [],
  paramHints: { parse: { text: [{ kind: 'builtin', name: 'str' }] } },
  doctests: [],
  shape: { statements: [1], branches: [] },
  baseline: { lines: [1], branches: [] },
};

const strings = (gen: InputGenerator, fn: CallableInfo, times = 200): string[] =>
  Array.from({ length: times }, () => gen.arguments(fn)[0].value).map((v) => String(v.js));

describe('inputs made from the regular expressions the code matches', () => {
  it('often gives a parameter matched against a pattern strings that match it, and some near misses', () => {
    const values = strings(new InputGenerator(versions, new RandomSource(3)), parse);
    const full = new RegExp(`^${VERSION}$`);
    expect(values.filter((s) => full.test(s)).length).toBeGreaterThan(70);
    expect(values).toContain('1x2');
    expect(values.filter((s) => s.includes('\n') && s.split('\n').every((l) => full.test(l))).length).toBeGreaterThan(
      0,
    );
  });

  it('gives a re.Match parameter a match of a module pattern, through its module-level name', () => {
    const gen = new InputGenerator(versions, new RandomSource(1));
    const srcs = Array.from({ length: 40 }, () => gen.arguments(fromMatch)[0].value.expr).map((e) =>
      e.kind === 'lit' ? e.source : '',
    );
    const matches = srcs.filter((s) => s.startsWith('_VERSION_RE.match('));
    expect(matches.length).toBeGreaterThan(25);
    for (const s of matches) expect(entry.matches).toContain(evalPyStr(/^_VERSION_RE\.match\((.*)\)$/.exec(s)![1]));
  });

  it('matches mostly with the pattern that has the groups the code reads', () => {
    const clock = {
      pattern: '(?P<h>\\d\\d):(?P<m>\\d\\d)',
      flags: 0,
      subjects: [],
      matches: ['10:30'],
      nearMisses: [],
    };
    const twoPatterns: ModuleInterface = {
      ...versions,
      patterns: {
        '': [
          { ...entry, subjects: [], name: '_VERSION_RE', groups: 2, groupNames: [] },
          { ...clock, name: '_CLOCK_RE', groups: 2, groupNames: ['h', 'm'] },
        ],
      },
    };
    const sources = (hint: TypeHint) => {
      const gen = new InputGenerator(
        { ...twoPatterns, paramHints: { from_match: { m: [hint] } } },
        new RandomSource(2),
      );
      return Array.from({ length: 60 }, () => gen.arguments(fromMatch)[0].value.expr).map((e) =>
        e.kind === 'lit' ? e.source.split('.')[0] : '',
      );
    };
    const named = sources({ kind: 'any', hint: 're.Match', groups: ['m'] });
    expect(named.filter((s) => s === '_CLOCK_RE').length).toBeGreaterThan(40);
    expect(named).toContain('_VERSION_RE');
    // Two groups unpacked: both patterns fit, each gets its turn.
    const counted = sources({ kind: 'any', hint: 're.Match', groupCount: 2 });
    expect(counted.filter((s) => s === '_VERSION_RE').length).toBeGreaterThan(15);
    expect(counted.filter((s) => s === '_CLOCK_RE').length).toBeGreaterThan(15);
    expect(sources({ kind: 'any', hint: 're.Match', groupCount: 3 })).toContain('_CLOCK_RE'); // none fits: any
  });

  it('builds the match with re.match when the pattern has no module-level name', () => {
    const unnamed: ModuleInterface = { ...versions, patterns: { '': [{ ...entry, subjects: [], flags: 2 }] } };
    const gen = new InputGenerator(unnamed, new RandomSource(1));
    const srcs = Array.from({ length: 20 }, () => gen.arguments(fromMatch)[0].value.expr).map((e) =>
      e.kind === 'lit' ? e.source : '',
    );
    expect(srcs).toContainEqual(expect.stringMatching(/^re\.match\('\(\\\\d\+\)\\\\\.\(\\\\d\+\)', '[\d.]+', 2\)$/));
  });

  it('marks a value of another type than the re.Match a parameter names as off its type (an error it trips is no defect)', () => {
    const gen = new InputGenerator({ ...versions, patterns: {} }, new RandomSource(1));
    const values = Array.from({ length: 20 }, () => gen.arguments(fromMatch)[0].value);
    expect(values.map((v) => v.offHint)).toEqual(values.map(() => ({ kind: 'any', hint: 're.Match' })));
    expect(
      wellTyped(
        {
          target: fromMatch,
          prefix: [],
          args: [{ param: fromMatch.params[0], value: values[0], keyword: false }],
        },
        versions,
      ),
    ).toBe(false);
  });

  it('types parameters by generic names only when nothing else says: no benchmark-specific names', () => {
    const gen = new InputGenerator(versions, new RandomSource(1));
    expect(gen.hintFor(param('n'), count)).toEqual({ kind: 'builtin', name: 'int' });
    expect(gen.hintFor(param('label'), count)).toEqual({ kind: 'builtin', name: 'str' });
    expect(gen.hintFor(param('is_valid'), count)).toEqual({ kind: 'builtin', name: 'bool' });
    for (const name of [
      'withyear',
      'year',
      'month',
      'day',
      'theyear',
      'themonth',
      'firstweekday',
      'theweek',
      'wordchars',
      'split_command',
      'y1',
      'y2',
      'r',
      'g',
      'b',
      'h',
      'v',
      'y',
      'q',
    ]) {
      expect([name, gen.hintFor(param(name), count)]).toEqual([name, { kind: 'any' }]);
    }
  });
});
