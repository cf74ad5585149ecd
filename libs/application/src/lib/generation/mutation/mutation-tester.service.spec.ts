import {
  CoverageReport,
  InvalidInputError,
  type Mutant,
  type MutantGenerator,
  type TestRunRequest,
  type TestRunResult,
} from '@test-agent/domain';
import { InMemoryPythonSourceReader, ScriptedTestExecutor } from '@test-agent/domain/testing';
import { MutationTester } from './mutation-tester.service';

// A module of four lines; the fake generator's mutants name what the scripted pytest does with them.
const target = { file: '/p/calc.py', importRoot: '/p', moduleName: 'calc' };
const source = ['def f(a, b):', '    if a < b:', '        return a - b', '    return 0', ''].join('\n');
const at = (text: string, operator: Mutant['operator'], replacement: string, statementLine?: number): Mutant => {
  const start = source.indexOf(text);
  const line = source.slice(0, start).split('\n').length;
  return {
    operator,
    line,
    statementLine: statementLine ?? line,
    start,
    end: start + text.length,
    original: text,
    replacement,
  };
};
const MUTANTS = [
  at('a < b', 'condition', 'not (a < b)'), // killed
  at('<', 'comparison', '<='), // survives
  at('return a - b', 'return', 'return None'), // a test hangs
  at('-', 'arithmetic', '+'), // Python rejects it (scripted)
  at('0', 'constant', '1'), // line 4 is not covered: never run
];
const generator: MutantGenerator = { mutants: () => MUTANTS };

const coverage = CoverageReport.fromData(target.file, {
  executedLines: [1, 2, 3],
  missingLines: [4],
  executedBranches: [],
  missingBranches: [],
});
const passed = (request: TestRunRequest, status: 'passed' | 'failed' | 'timeout' = 'passed'): TestRunResult => ({
  outcomes: [
    { nodeId: 'test_calc.py::test_f', status, durationMs: 300 },
    { nodeId: 'test_calc.py::test_g', status: 'passed', durationMs: 100 },
  ],
  coverage,
  collectionErrors: [],
  timedOut: false,
  durationMs: request.moduleSource === undefined ? 2_000 : 1_000,
});
const files = [{ name: 'test_calc.py', content: 'def test_f(): pass\ndef test_g(): pass\n' }];
const limits = { perTestTimeoutMs: 10_000, overallTimeoutMs: 300_000 };

function tester(respond: (request: TestRunRequest) => TestRunResult, clock = { t: 0 }, concurrency = 1) {
  const executor = new ScriptedTestExecutor((request) => {
    clock.t += 1_000;
    return respond(request);
  });
  const reader = new InMemoryPythonSourceReader({ [target.file]: source });
  return { executor, tester: new MutationTester({ generator, executor, reader, concurrency, now: () => clock.t }) };
}

const script = (request: TestRunRequest): TestRunResult => {
  const code = request.moduleSource ?? '';
  if (code.includes('not (a < b)')) return passed(request, 'failed');
  if (code.includes('return None')) return passed(request, 'timeout');
  if (code.includes('a + b'))
    return { ...passed(request), outcomes: [], collectionErrors: ['SyntaxError: invalid syntax'] };
  return passed(request);
};

describe('MutationTester', () => {
  it('runs the covered mutants against the suite and scores them, with the survivors as a user reads them', async () => {
    const { executor, tester: t } = tester(script);
    const report = await t.test(
      target,
      { files, coverage, run: passed({ target }) },
      { maxMutants: 60, budgetMs: 60_000 },
      limits,
    );
    expect(report).toEqual({
      killed: 2,
      total: 3,
      score: (100 * 2) / 3,
      timedOut: 1,
      byOperator: {
        condition: { killed: 1, total: 1 },
        comparison: { killed: 0, total: 1 },
        return: { killed: 1, total: 1 },
      },
      candidates: 4,
      notRun: 0,
      invalid: 1,
      survivors: [{ line: 2, operator: 'comparison', original: 'if a < b:', mutated: 'if a <= b:' }],
      durationMs: 4_000,
    });
    // Every run: the suite's files, the mutated module, limits from the final run (5 × 300 ms + 1 s per test, at
    // least 2 s; 3 × 2 s + 5 s per run, at least 15 s).
    expect(
      executor.requests.map((r) => [r.testFiles, r.perTestTimeoutMs, r.overallTimeoutMs, r.measureCoverage]),
    ).toEqual(Array.from({ length: 4 }, () => [files, 2_500, 15_000, false]));
    // Run order: the operators in turn (comparison, arithmetic, condition, return), not source order.
    expect(executor.requests.map((r) => r.moduleSource)).toEqual([
      source.replace('a < b', 'a <= b'),
      source.replace('a - b', 'a + b'),
      source.replace('a < b', 'not (a < b)'),
      source.replace('return a - b', 'return None'),
    ]);
  });

  it('stops at the budget: the mutants left are not run, and a run the budget cut short is not counted', async () => {
    const clock = { t: 0 };
    const { executor, tester: t } = tester((request) => {
      if (request.overallTimeoutMs! < 15_000) return { ...passed(request), outcomes: [], timedOut: true };
      return script(request);
    }, clock);
    const report = await t.test(
      target,
      { files, coverage, run: passed({ target }) },
      { maxMutants: 60, budgetMs: 4_500 },
      limits,
    );
    // 0 s: the first mutant (15 s allowed, but only 4.5 s left: cut short at 1 s, so not counted).
    expect(executor.requests.map((r) => r.overallTimeoutMs)).toEqual([4_500]);
    expect(report).toMatchObject({ killed: 0, total: 0, notRun: 4, candidates: 4, invalid: 0 });
    expect(report.score).toBeUndefined();
  });

  it('gives the same verdicts, in the same order, with two mutants run at once', async () => {
    const run = (concurrency: number) =>
      tester(script, { t: 0 }, concurrency).tester.test(
        target,
        { files, coverage, run: passed({ target }) },
        { maxMutants: 60, budgetMs: 60_000 },
        limits,
      );
    const [one, two] = [await run(1), await run(2)];
    expect({ ...two, durationMs: 0 }).toEqual({ ...one, durationMs: 0 });
  });

  it('samples at most maxMutants, one operator after another', async () => {
    const { executor, tester: t } = tester(script);
    const report = await t.test(
      target,
      { files, coverage, run: passed({ target }) },
      { maxMutants: 2, budgetMs: 60_000 },
      limits,
    );
    // Comparison and arithmetic come first; the arithmetic mutant is the one Python rejects.
    expect(executor.requests.map((r) => r.moduleSource)).toEqual([
      source.replace('a < b', 'a <= b'),
      source.replace('a - b', 'a + b'),
    ]);
    expect(report).toMatchObject({ total: 1, invalid: 1, candidates: 4, notRun: 0 });
    expect(Object.keys(report.byOperator)).toEqual(['comparison']);
  });

  it('lets what the executor throws propagate', async () => {
    const { tester: t } = tester(() => {
      throw new InvalidInputError('TA_MODULE_SHADOWS_STDLIB', 'calc.py shadows a module');
    });
    await expect(
      t.test(target, { files, coverage, run: passed({ target }) }, { maxMutants: 60, budgetMs: 60_000 }, limits),
    ).rejects.toThrow('calc.py shadows a module');
  });
});
