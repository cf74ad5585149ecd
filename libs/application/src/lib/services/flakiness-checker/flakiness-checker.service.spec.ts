import {
  CoverageReport,
  type TestCase,
  type TestOutcome,
  type TestOutcomeStatus,
  type TestRunRequest,
  type TestRunResult,
} from '@test-agent/domain';
import { ScriptedTestExecutor } from '@test-agent/domain/testing';
import { TestFileAssembler } from '../test-file-assembler/test-file-assembler.service';
import { FlakinessChecker, caseOutcome } from './flakiness-checker.service';
import { MACHINE_PERTURBATIONS } from './machine-perturbations';

const target = { file: '/p/calc.py', importRoot: '/p', moduleName: 'calc' };
const empty = CoverageReport.fromData(target.file, {
  executedLines: [],
  missingLines: [1],
  executedBranches: [],
  missingBranches: [],
});
const result = (outcomes: TestOutcome[], extra: Partial<TestRunResult> = {}): TestRunResult => ({
  outcomes,
  coverage: empty,
  collectionErrors: [],
  timedOut: false,
  durationMs: 5,
  ...extra,
});
const testCase = (name: string): TestCase => ({
  name,
  code: `def ${name}():\n    assert add(1, 1) == 2`,
  imports: ['from calc import add'],
});
/** The test functions defined in the run's file. */
const testsIn = (request: TestRunRequest) =>
  [...(request.testFiles?.[0].content ?? '').matchAll(/^def (test_\w+)/gm)].map((m) => m[1]);

describe('FlakinessChecker', () => {
  it('re-runs each candidate N times, each a separate executor run, and marks any differing outcome flaky', async () => {
    let flakyRuns = 0;
    const executor = new ScriptedTestExecutor((request) => {
      const [name] = testsIn(request);
      const status: TestOutcomeStatus =
        name === 'test_flaky'
          ? flakyRuns++ % 2 === 0
            ? 'passed'
            : 'failed'
          : name === 'test_broken'
            ? 'failed'
            : 'passed';
      return result([
        {
          nodeId: `test_calc.py::${name}`,
          status,
          durationMs: 1,
          ...(status === 'failed' ? { error: `E   assert ${name}` } : {}),
        },
      ]);
    });
    const checker = new FlakinessChecker(executor, new TestFileAssembler(), { reruns: 5, concurrency: 2 });
    const verdicts = await checker.check(target, [
      testCase('test_stable'),
      testCase('test_flaky'),
      testCase('test_broken'),
    ]);
    expect(executor.requests).toHaveLength(15);
    expect(executor.requests.every((r) => r.testFiles?.length === 1 && testsIn(r).length === 1)).toBe(true);
    expect(verdicts).toEqual([
      {
        name: 'test_stable',
        statuses: ['passed', 'passed', 'passed', 'passed', 'passed'],
        flaky: false,
        passing: true,
      },
      {
        name: 'test_flaky',
        statuses: ['passed', 'failed', 'passed', 'failed', 'passed'],
        flaky: true,
        passing: false,
        error: 'E   assert test_flaky',
      },
      {
        name: 'test_broken',
        statuses: ['failed', 'failed', 'failed', 'failed', 'failed'],
        flaky: false,
        passing: false,
        error: 'E   assert test_broken',
      },
    ]);
  });

  it('runs each candidate once more on every perturbed machine: one that fails only there is not passing', async () => {
    const executor = new ScriptedTestExecutor((request) => {
      const [name] = testsIn(request);
      // test_tz reads the local time zone: it passes here (no TZ set) and fails under another one.
      const failed = name === 'test_tz' && request.environment?.TZ !== undefined;
      return result([
        {
          nodeId: `test_calc.py::${name}`,
          status: failed ? 'failed' : 'passed',
          durationMs: 1,
          ...(failed ? { error: 'E   assert 9 == 0' } : {}),
        },
      ]);
    });
    const checker = new FlakinessChecker(executor, new TestFileAssembler(), {
      reruns: 2,
      concurrency: 2,
      perturbations: MACHINE_PERTURBATIONS,
    });
    const verdicts = await checker.check(target, [testCase('test_plain'), testCase('test_tz')]);
    expect(executor.requests).toHaveLength(2 * (2 + MACHINE_PERTURBATIONS.length));
    expect(executor.requests.filter((r) => r.clockShiftSeconds === 86_400)).toHaveLength(2);
    expect(verdicts).toEqual([
      { name: 'test_plain', statuses: ['passed', 'passed'], flaky: false, passing: true },
      {
        name: 'test_tz',
        statuses: ['passed', 'passed'],
        flaky: false,
        passing: false,
        machineDependent: true,
        error: 'E   assert 9 == 0',
      },
    ]);
  });

  it('removes a test that passes alone but fails in the suite, and runs the rest again', async () => {
    const executor = new ScriptedTestExecutor((request) => {
      const names = testsIn(request);
      // test_victim fails whenever test_polluter runs before it in the same process.
      const polluted = names.includes('test_polluter');
      return result(
        names.map((name) => ({
          nodeId: `test_calc.py::${name}`,
          status: name === 'test_victim' && polluted ? 'failed' : 'passed',
          durationMs: 1,
          ...(name === 'test_victim' && polluted ? { error: 'E   state leaked' } : {}),
        })),
      );
    });
    const checker = new FlakinessChecker(executor, new TestFileAssembler(), { reruns: 5, concurrency: 1 });
    const suite = [testCase('test_polluter'), testCase('test_victim'), testCase('test_plain')];
    const outcome = await checker.checkPollution(target, suite);
    expect(outcome.kept.map((c) => c.name)).toEqual(['test_polluter', 'test_plain']);
    expect(outcome.polluted).toEqual([{ testCase: suite[1], status: 'failed', error: 'E   state leaked' }]);
    expect(executor.requests.map(testsIn)).toEqual([
      ['test_polluter', 'test_victim', 'test_plain'],
      ['test_polluter', 'test_plain'],
    ]);
    expect(executor.requests[0].perTestCoverage).toBe(true);
    expect(outcome.finalRun?.outcomes.map((o) => o.status)).toEqual(['passed', 'passed']);
  });
});

describe('caseOutcome', () => {
  it('takes the worst node of a case and reports a file that did not import', () => {
    const run = result([
      { nodeId: 't.py::test_p[1]', status: 'passed', durationMs: 1 },
      { nodeId: 't.py::test_p[2]', status: 'timeout', error: 'Timeout', durationMs: 1 },
    ]);
    expect(caseOutcome(run, 't.py::test_p')).toEqual({ status: 'timeout', error: 'Timeout' });
    const broken = result([{ nodeId: 'u.py', status: 'error', error: 'SyntaxError', durationMs: 0 }], {
      collectionErrors: ['u.py: SyntaxError'],
    });
    expect(caseOutcome(broken, 'u.py::test_x')).toEqual({ status: 'error', error: 'SyntaxError' });
  });
});
