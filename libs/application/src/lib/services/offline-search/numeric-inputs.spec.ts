import type { CallPlan, CallResult, CallableInfo, ModuleInterface, ModuleTarget, TypeHint } from '@test-agent/domain';
import { FakeExecutionSandbox } from '@test-agent/domain/testing';
import { toPlan } from './call-plans';
import { valueSource, type Candidate, type GenValue } from './generated-value';
import { degeneratePositions, richerVariants } from './numeric-inputs';
import { pyFloat } from './python-source';
import { minimiseArchive } from './search-archive';
import type { ArchivedTest } from './search-engine.service';
import { simplifyTests } from './test-simplifier';

const FLOAT: TypeHint = { kind: 'builtin', name: 'float' };
const INT: TypeHint = { kind: 'builtin', name: 'int' };
const param = (name: string, type: TypeHint = FLOAT) => ({
  name,
  kind: 'either' as const,
  type,
  hasDefault: false,
  default: null,
  defaultIsNone: false,
});

// A fake module `shade`:
//   def mix(x: float, k: float) lines 1-4: line 2 always; k == 0 → line 3 (returns x), else line 4 (returns x*k)
//   def first(x: float, k: float) lines 6-7: returns x, k is not used
//   def repeat(n: int, step: float) lines 9-10: returns n*step
const shade: ModuleInterface = {
  callables: [
    { kind: 'function', name: 'mix', qualname: 'mix', params: [param('x'), param('k')], span: [1, 4] },
    { kind: 'function', name: 'first', qualname: 'first', params: [param('x'), param('k')], span: [6, 7] },
    { kind: 'function', name: 'repeat', qualname: 'repeat', params: [param('n', INT), param('step')], span: [9, 10] },
  ] as CallableInfo[],
  literals: {},
  moduleLiterals: [],
  constants: [],
  paramHints: {},
  doctests: [],
  shape: { statements: [1, 2, 3, 4, 6, 7, 9, 10], branches: [] },
  baseline: { lines: [1, 6, 9], branches: [] },
};
const target: ModuleTarget = { file: '/src/shade.py', importRoot: '/src', moduleName: 'shade' };

const returned = (lines: number[], n: number): CallResult => ({
  status: 'ok',
  lines,
  branches: [],
  value: {
    type: 'float',
    module: 'builtins',
    repr: pyFloat(n),
    expr: pyFloat(n),
    canon: pyFloat(n),
    float: true,
    approx: true,
    nan: false,
    len: null,
    attrs: [],
  },
});

function behaviour(plan: CallPlan): CallResult {
  const call = plan.steps![0];
  if (call.kind !== 'call' || call.callee.kind !== 'ref') return { status: 'invalid', lines: [], branches: [] };
  const [x, k] = call.args.map((a) => (a.kind === 'lit' ? Number(a.source) : NaN));
  if (call.callee.path === 'first') return returned([7], x);
  if (call.callee.path === 'repeat') return returned([10], x * k);
  return k === 0 ? returned([2, 3], x) : returned([2, 4], Number((x * k).toFixed(6)));
}

const num = (n: number, hint: TypeHint = FLOAT): GenValue => ({
  expr: { kind: 'lit', source: hint === INT ? String(n) : pyFloat(n) },
  js: n,
  kind: hint === INT ? 'int' : 'float',
  hint,
});
const callOf = (fn: CallableInfo, ...values: GenValue[]): Candidate => ({
  target: fn,
  prefix: [],
  args: values.map((value, i) => ({ param: fn.params[i], value, keyword: false })),
});
const archived = (c: Candidate): ArchivedTest => ({ plan: toPlan(c), result: behaviour(toPlan(c)), candidate: c });
const argsOf = (t: ArchivedTest) => t.candidate!.args.map((a) => valueSource(a.value)).join(', ');

async function simplified(...candidates: Candidate[]): Promise<string[]> {
  const session = await new FakeExecutionSandbox(shade, behaviour).open(target);
  let t = 0;
  const out = await simplifyTests(session, candidates.map(archived), {
    deadline: 1e9,
    callTimeoutMs: 1000,
    now: () => t++,
  });
  return out.map(argsOf);
}

describe('degenerate numbers', () => {
  const [mix, , repeat] = shade.callables;
  it('are 0, ±1 and numbers equal to another argument', () => {
    expect(degeneratePositions(callOf(mix, num(0), num(0.4)))).toEqual([0]);
    expect(degeneratePositions(callOf(mix, num(-1), num(1)))).toEqual([0, 1]);
    expect(degeneratePositions(callOf(mix, num(0.5), num(0.5)))).toEqual([0, 1]);
    expect(degeneratePositions(callOf(mix, num(0.5), num(2)))).toEqual([]);
  });
  it('are replaced all at once with two sets of plain values, then one at a time; ints stay ints', () => {
    const shown = richerVariants(callOf(repeat, num(0, INT), num(-1))).map((c) =>
      c.args.map((a) => valueSource(a.value)).join(', '),
    );
    expect(shown).toEqual(['3, -0.7', '5, -0.2', '3, -1.0', '0, -0.3']);
  });
});

describe('the simplifier and arithmetic', () => {
  const [mix, first] = shade.callables;
  it('does not make a number 0 or 1 when that changes the result, so the product stays visible', async () => {
    expect(await simplified(callOf(mix, num(0.63), num(0.84)))).toEqual(['0.3, 0.1']);
  });
  it('makes a number 0 when the result does not depend on it', async () => {
    expect(await simplified(callOf(first, num(0.63), num(0.84)))).toEqual(['0.3, 0.0']);
  });
  it('replaces the zeros of a test by plain numbers that change the result', async () => {
    expect(await simplified(callOf(mix, num(0), num(1)))).toEqual(['0.3, 0.7']);
  });
  it('keeps a zero the coverage needs (the k == 0 branch) and replaces the other number', async () => {
    expect(await simplified(callOf(mix, num(0.63), num(0.84)), callOf(mix, num(0), num(0)))).toEqual([
      '0.3, 0.1',
      '0.3, 0.0',
    ]);
  });
});

describe('minimiseArchive and degenerate numbers', () => {
  const [mix] = shade.callables;
  it('keeps, of two tests reaching the same lines, the one whose numbers are not 0, ±1 or equal', () => {
    const kept = minimiseArchive([archived(callOf(mix, num(0.5), num(0.5))), archived(callOf(mix, num(0.5), num(2)))]);
    expect(kept.map(argsOf)).toEqual(['0.5, 2.0']);
  });
});
