import {
  PLAN_HUNG,
  type CallableInfo,
  type CallPlan,
  type CallResult,
  type ModuleInterface,
  type ModuleTarget,
  type ParameterInfo,
  type TestCase,
} from '@test-agent/domain';
import { FakeExecutionSandbox } from '@test-agent/domain/testing';
import { OfflineTestGenerator, stability } from './offline-test-generator.service';
import { OfflineSearchEngine, type OutsideEffectSummary } from './search-engine.service';
import { countOutsideEffects } from './search-archive';
import { safeOutcome } from './raised-kinds';
import { TestFileAssembler } from '../test-file-assembler/test-file-assembler.service';
import { describedValue } from '../../testing/described-value';

// A fake module `hazards`:
//   def wipe(path: str)   lines 1-2: always tries `shutil.rmtree('/data/a')` (blocked by the sandbox)
//   def home()            lines 3-4: returns HOME (the sandbox reports it machine-dependent)
//   def missing(n: int)   lines 5-6: raises FileNotFoundError naming the sandbox folder (machine-dependent)
//   def double(n: int)    lines 7-8: returns 2 * n
const INT = { kind: 'builtin', name: 'int' } as const;
const param = (name: string): ParameterInfo => ({
  name,
  kind: 'either',
  type: INT,
  hasDefault: false,
  default: null,
  defaultIsNone: false,
});
const fn = (name: string, params: ParameterInfo[], span: [number, number]): CallableInfo => ({
  kind: 'function',
  name,
  qualname: name,
  params,
  span,
});
const hazards: ModuleInterface = {
  callables: [
    fn('wipe', [{ ...param('path'), type: { kind: 'builtin', name: 'str' } }], [1, 2]),
    fn('home', [], [3, 4]),
    fn('missing', [param('n')], [5, 6]),
    fn('double', [param('n')], [7, 8]),
  ],
  literals: {},
  moduleLiterals: [],
  constants: [],
  paramHints: {},
  doctests: [],
  shape: { statements: [1, 2, 3, 4, 5, 6, 7, 8], branches: [] },
  baseline: { lines: [1, 3, 5, 7], branches: [] },
  importEffects: ['write /etc/hazards.cfg'],
};
const target: ModuleTarget = { file: '/src/hazards.py', importRoot: '/src', moduleName: 'hazards' };
/** The file that ships: the emitted cases as the test-file assembler writes them. */
const shipped = (file: { cases: readonly TestCase[] }) => new TestFileAssembler().assemble(target, file.cases).content;

const value = (expr: string | null, type: string) =>
  describedValue(expr, type, { canon: expr ?? '<machine-dependent>' });

function behaviour(plan: CallPlan): CallResult {
  const step = plan.steps?.[0];
  const name = step?.kind === 'call' && step.callee.kind === 'ref' ? step.callee.path : '';
  const arg = step?.kind === 'call' ? (step.args[0] ?? step.keywords[0]?.[1]) : undefined;
  const n = arg?.kind === 'lit' ? Number(arg.source) : 0;
  switch (name) {
    case 'wipe':
      return {
        status: 'raised',
        step: 0,
        lines: [2],
        branches: [],
        outsideEffects: ['delete /data/a'],
        exception: {
          type: 'PermissionError',
          module: 'builtins',
          message: "[Errno 1] blocked by Test Agent's sandbox: delete /data/a",
          path: null,
          inModule: true,
          explicit: false,
        },
      };
    case 'home':
      return { status: 'ok', lines: [4], branches: [], value: value(null, 'str'), stdout: '', machineDependent: true };
    case 'missing':
      return {
        status: 'raised',
        step: 0,
        lines: [6],
        branches: [],
        machineDependent: true,
        exception: {
          type: 'FileNotFoundError',
          module: 'builtins',
          message: '',
          path: null,
          inModule: true,
          explicit: true,
        },
      };
    default:
      return { status: 'ok', lines: [8], branches: [], value: value(String(2 * n), 'int'), stdout: '' };
  }
}

const clock = () => {
  let t = 0;
  return () => (t += 1);
};

describe('calls that act outside the sandbox or show the machine', () => {
  it('are refused as tests, counted per callable, and the import effects are passed on', async () => {
    const session = await new FakeExecutionSandbox(hazards, behaviour).open(target);
    const outcome = await new OfflineSearchEngine().search(session, target.file, {
      timeBudgetMs: 400,
      plateauMs: 1_000_000,
      seed: 5,
      now: clock(),
      batchSize: 8,
    });
    expect(outcome.tests.map((t) => t.candidate?.target.qualname).sort()).toEqual(['double', 'missing']);
    expect(Object.keys(outcome.outsideEffects)).toEqual(['wipe']);
    expect(outcome.outsideEffects.wipe.calls).toBeGreaterThanOrEqual(3);
    expect(outcome.outsideEffects.wipe.examples).toEqual(['delete /data/a']);
    expect(outcome.importEffects).toEqual(['write /etc/hazards.cfg']);
    // Lines 2 and 4 are reached only by refused calls: not covered.
    expect(outcome.coverage.missingLines).toEqual([2, 4]);
  });

  it('leave no assertion on a machine-dependent fact in the emitted file, which works in tmp_path', async () => {
    const generation = await new OfflineTestGenerator(new FakeExecutionSandbox(hazards, behaviour)).generate(target, {
      timeBudgetMs: 400,
      seed: 5,
      now: clock(),
    });
    expect(generation.outsideEffects.wipe.examples).toEqual(['delete /data/a']);
    expect(generation.importEffects).toEqual(['write /etc/hazards.cfg']);
    const file = generation.render();
    expect(file.tests.map((t) => t.subject).sort()).toEqual(['double', 'missing']);
    expect(shipped(file)).toMatch(/\n {4}with pytest\.raises\(FileNotFoundError\):\n {8}missing\(-?\d+\)\n/);
    expect(shipped(file)).not.toContain('wipe(');
    expect(shipped(file)).not.toContain('home()');
    expect(shipped(file)).toContain('@pytest.fixture(autouse=True)\ndef _work_in_tmp_path(tmp_path, monkeypatch):');
    for (const c of file.cases) {
      expect(c.imports).toContain('import pytest');
      expect(c.support?.[0]).toContain("monkeypatch.setenv('HOME', str(tmp_path))");
    }
  });

  it('tell a usable outcome from one that is not', () => {
    const ok: CallResult = { status: 'ok', lines: [], branches: [], value: value('1', 'int') };
    expect(safeOutcome(ok)).toBe(true);
    expect(safeOutcome({ ...ok, outsideEffects: ['spawn fork'] })).toBe(false);
    expect(safeOutcome({ ...ok, sideEffects: ['made.txt'] })).toBe(false);
    expect(safeOutcome({ ...ok, machineDependent: true })).toBe(false);
    expect(
      safeOutcome({
        status: 'raised',
        lines: [],
        branches: [],
        machineDependent: true,
        exception: { type: 'KeyError', module: 'builtins', message: '', path: null, inModule: true },
      }),
    ).toBe(true);
  });

  it('make a re-run that acts outside the sandbox drop the test, and a machine-dependent one its facts', () => {
    const ok: CallResult = { status: 'ok', lines: [], branches: [], value: value('1', 'int'), stdout: 'x\n' };
    expect(stability(ok, [{ ...ok, outsideEffects: ['connect 10.0.0.1:80'] }]).outcome).toBe(false);
    expect(stability(ok, [{ ...ok, machineDependent: true }])).toMatchObject({
      outcome: true,
      value: false,
      stdout: false,
    });
  });

  it('are counted per callable with the calls that ran into the time limit or hung the sandbox', async () => {
    // `double` runs past its limit on odd numbers: 1, 5, 9, ... are stopped by the worker's alarm, 3, 7, ... hang
    // the worker itself.
    const slow = (plan: CallPlan): CallResult => {
      const result = behaviour(plan);
      const step = plan.steps?.[0];
      const arg = step?.kind === 'call' ? step.args[0] : undefined;
      const n = arg?.kind === 'lit' ? Number(arg.source) : 0;
      const name = step?.kind === 'call' && step.callee.kind === 'ref' ? step.callee.path : '';
      if (name !== 'double' || Math.abs(n) % 2 !== 1) return result;
      return Math.abs(n) % 4 === 3
        ? { status: 'crashed', lines: [], branches: [], error: PLAN_HUNG }
        : { status: 'timeout', lines: [7], branches: [] };
    };
    const sandbox = new FakeExecutionSandbox(hazards, slow);
    const outcome = await new OfflineSearchEngine().search(await sandbox.open(target), target.file, {
      timeBudgetMs: 400,
      plateauMs: 1_000_000,
      seed: 5,
      now: clock(),
      batchSize: 8,
      callTimeoutMs: 250,
    });
    const ran = (name: string) =>
      sandbox.executed.filter((p) => {
        const s = p.steps?.[0];
        return s?.kind === 'call' && s.callee.kind === 'ref' && s.callee.path === name;
      });
    const odd = ran('double').filter((p) => {
      const s = p.steps?.[0];
      const a = s?.kind === 'call' ? s.args[0] : undefined;
      return a?.kind === 'lit' && Math.abs(Number(a.source)) % 2 === 1;
    });
    const hung = odd.filter((p) => {
      const s = p.steps?.[0];
      const a = s?.kind === 'call' ? s.args[0] : undefined;
      return a?.kind === 'lit' && Math.abs(Number(a.source)) % 4 === 3;
    });
    expect(hung.length).toBeGreaterThan(0);
    expect(odd.length).toBeGreaterThan(hung.length);
    expect(outcome.calls.double).toEqual({ executed: ran('double').length, timedOut: odd.length });
    expect(outcome.calls.wipe).toEqual({ executed: ran('wipe').length, timedOut: 0 });
    expect(outcome.callTimeoutMs).toBe(250);
  });

  it('count refused calls with a few distinct examples', () => {
    const into: Record<string, OutsideEffectSummary> = {};
    for (const e of [['delete /a'], ['delete /a', 'write /b'], ['spawn fork', 'signal 1']])
      countOutsideEffects(into, 'f', e);
    expect(into).toEqual({ f: { calls: 3, examples: ['delete /a', 'write /b', 'spawn fork'] } });
  });
});
