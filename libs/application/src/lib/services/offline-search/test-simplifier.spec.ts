import type {
  CallPlan,
  CallResult,
  CallableInfo,
  ModuleInterface,
  ModuleTarget,
  ParameterInfo,
  PlanExpr,
  TypeHint,
} from '@test-agent/domain';
import { FakeExecutionSandbox } from '@test-agent/domain/testing';
import { collectionValue, valueSource, type Candidate, type GenArg, type GenValue } from './generated-value';
import { pyStr } from './python-source';
import { incidental } from './raised-kinds';
import { minimiseArchive } from './search-archive';
import { toPlan } from './call-plans';
import { type ArchivedTest } from './search-engine.service';
import { plainer, shorterStrings, simplifyTests } from './test-simplifier';

const STR: TypeHint = { kind: 'builtin', name: 'str' };
const LIST: TypeHint = { kind: 'list', item: STR };
const param = (name: string, type: TypeHint): ParameterInfo => ({
  name,
  kind: 'either',
  type,
  hasDefault: false,
  default: null,
  defaultIsNone: false,
});
const str = (s: string): GenValue => ({ expr: { kind: 'lit', source: pyStr(s) }, js: s, kind: 'str', hint: STR });
const list = (...items: string[]): GenValue =>
  collectionValue({ kind: 'list', items: items.map(str) }, LIST, valueSource);

// A fake module `store`:
//   class Store: __init__(self, stock: dict) line 2; take(self, key: str) lines 4-6: key in stock → line 5, else line 6
//   def count(items: list) lines 8-10: line 9 always, line 10 when 'key' is one of the items
const store: ModuleInterface = {
  callables: [
    {
      kind: 'class',
      name: 'Store',
      qualname: 'Store',
      constructible: true,
      params: [param('stock', { kind: 'dict', key: STR, value: { kind: 'builtin', name: 'int' } })],
      span: [1, 6],
    },
    { kind: 'method', name: 'take', qualname: 'Store.take', owner: 'Store', params: [param('key', STR)], span: [4, 6] },
    { kind: 'function', name: 'count', qualname: 'count', params: [param('items', LIST)], span: [8, 10] },
  ] as CallableInfo[],
  literals: {},
  moduleLiterals: [],
  constants: [],
  paramHints: {},
  doctests: [],
  shape: { statements: [1, 2, 4, 5, 6, 8, 9, 10], branches: [] },
  baseline: { lines: [1, 4, 8], branches: [] },
};
const target: ModuleTarget = { file: '/src/store.py', importRoot: '/src', moduleName: 'store' };

/** Python literal source → the strings it holds (enough for this fake). */
const stringsOf = (e: PlanExpr | undefined): string[] =>
  e?.kind === 'lit' ? [...e.source.matchAll(/'([^']*)'/g)].map((m) => m[1]) : [];

function behaviour(plan: CallPlan): CallResult {
  const first = plan.steps![0];
  if (first.kind !== 'call' || first.callee.kind !== 'ref') return { status: 'invalid', lines: [], branches: [] };
  if (first.callee.path === 'count') {
    const items = stringsOf(first.args[0]);
    return {
      status: 'ok',
      lines: [9, ...(items.includes('key') ? [10] : [])],
      branches: [],
      value: {
        type: 'int',
        module: 'builtins',
        repr: '1',
        expr: '1',
        canon: '1',
        float: false,
        approx: false,
        nan: false,
        len: null,
        attrs: [],
      },
    };
  }
  const stock = first.args[0]?.kind === 'lit' ? [...first.args[0].source.matchAll(/'([^']*)':/g)].map((m) => m[1]) : [];
  const last = plan.steps![plan.steps!.length - 1];
  if (plan.steps!.length === 1 || last.kind !== 'call') return { status: 'ok', lines: [2], branches: [] };
  const key = stringsOf(last.args[0])[0];
  if (stock.includes(key))
    return {
      status: 'ok',
      lines: [2, 5],
      branches: [],
      value: {
        type: 'int',
        module: 'builtins',
        repr: '1',
        expr: '1',
        canon: '1',
        float: false,
        approx: false,
        nan: false,
        len: null,
        attrs: [],
      },
    };
  return {
    status: 'raised',
    step: 1,
    lines: [2, 6],
    branches: [],
    exception: { type: 'KeyError', module: 'builtins', message: `'${key}'`, path: null, inModule: true },
  };
}

const archived = (c: Candidate): ArchivedTest => ({ plan: toPlan(c), result: behaviour(toPlan(c)), candidate: c });

describe('simplifyTests', () => {
  it('drops list elements and shortens strings inside literals down to what keeps the coverage', async () => {
    const count = store.callables[2];
    const c: Candidate = {
      target: count,
      prefix: [],
      args: [{ param: count.params[0], value: list('hello world', 'key', 'another long string'), keyword: false }],
    };
    const session = await new FakeExecutionSandbox(store, behaviour).open(target);
    let t = 0;
    const [simplified] = await simplifyTests(session, [archived(c)], {
      deadline: 1e9,
      callTimeoutMs: 1000,
      now: () => t++,
    });
    expect(valueSource(simplified.candidate!.args[0].value)).toBe("['key']");
    expect(simplified.result.lines).toEqual([9, 10]);
  });

  it('shortens a string used in two places at once, so a key put in is still found', async () => {
    const [cls, take] = store.callables;
    const stock: GenValue = collectionValue(
      { kind: 'dict', keys: [str('Hello World'), str('zzz')], items: [str('1'), str('2')] },
      { kind: 'dict', key: STR, value: STR },
      valueSource,
    );
    const args: GenArg[] = [{ param: take.params[0], value: str('Hello World'), keyword: false }];
    const c: Candidate = {
      target: take,
      receiver: { kind: 'construct', cls, args: [{ param: cls.params[0], value: stock, keyword: false }] },
      prefix: [],
      args,
    };
    const session = await new FakeExecutionSandbox(store, behaviour).open(target);
    let t = 0;
    const [simplified] = await simplifyTests(session, [archived(c)], {
      deadline: 1e9,
      callTimeoutMs: 1000,
      now: () => t++,
    });
    const receiver = simplified.candidate!.receiver;
    expect(receiver?.kind === 'construct' && valueSource(receiver.args[0].value)).toBe("{'H': ''}");
    expect(valueSource(simplified.candidate!.args[0].value)).toBe("'H'");
    expect(simplified.result.lines).toEqual([2, 5]);
  });
});

describe('plainer values', () => {
  it('offers an empty string first, then halves and strings with chunks removed', () => {
    expect(shorterStrings('abcdefgh').slice(0, 3)).toEqual(['', 'abcd', 'efgh']);
    expect(shorterStrings('a')).toEqual(['']);
  });
  it('offers a collection with fewer elements, then with plainer ones', () => {
    const shown = plainer(list('ab', 'c')).map(valueSource);
    expect(shown.slice(0, 3)).toEqual(['[]', "['c']", "['ab']"]);
    expect(shown).toContain("['a', 'c']");
    // A long one also halves in one step: 35 elements need not take 29 rounds to come down to 6.
    const long = plainer(list(...Array.from({ length: 35 }, (_, i) => String.fromCharCode(97 + (i % 26))))).map(
      valueSource,
    );
    expect(long[1]).toBe(
      `[${Array.from({ length: 18 }, (_, i) => `'${String.fromCharCode(97 + (i % 26))}'`).join(', ')}]`,
    );
  });
  it('tries a value of the parameter type for one that ignored it', () => {
    const offHint: GenValue = {
      expr: { kind: 'lit', source: '[]' },
      kind: 'other',
      hint: { kind: 'any' },
      offHint: STR,
    };
    expect(plainer(offHint).map(valueSource)).toEqual(["''", "'a'"]);
  });
});

describe('incidental exceptions', () => {
  const raised = (type: string, extra: Record<string, unknown> = {}): CallResult => ({
    status: 'raised',
    step: 0,
    lines: [1, 2],
    branches: [],
    exception: { type, module: 'builtins', message: 'm', path: null, inModule: true, ...extra },
  });
  it('trusts the worker on whether the module raised on purpose, else guesses from the type', () => {
    expect(incidental(raised('ValueError', { explicit: true }))).toBe(false);
    expect(incidental(raised('ValueError', { explicit: false }))).toBe(true);
    expect(incidental(raised('AttributeError'))).toBe(true);
    expect(incidental(raised('CartError', { path: 'CartError' }))).toBe(false);
  });
  it('are kept by the minimiser only for what no meaningful test reaches', () => {
    const ok = (lines: number[]): CallResult => ({ status: 'ok', lines, branches: [] });
    const plan = (i: number) => ({ steps: [{ kind: 'lit', source: String(i) }] }) as CallPlan;
    const tests = [
      { plan: plan(0), result: { ...raised('AttributeError', { explicit: false }), lines: [1, 2, 3] } },
      { plan: plan(1), result: ok([1, 2]) },
      { plan: plan(2), result: ok([3]) },
      { plan: plan(3), result: { ...raised('TypeError', { explicit: false }), lines: [1, 4] } },
    ];
    expect(minimiseArchive(tests).map((t) => t.result.lines)).toEqual([[1, 2], [3], [1, 4]]);
  });
});
