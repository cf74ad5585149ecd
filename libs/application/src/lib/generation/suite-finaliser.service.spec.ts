import { FlakinessChecker } from '../services/flakiness-checker/flakiness-checker.service';
import { TestDeduplicator } from '../services/test-deduplicator/test-deduplicator.service';
import { TestFileAssembler } from '../services/test-file-assembler/test-file-assembler.service';
import { calc, testCase, World, type Behaviour } from '../testing/generation-world';
import { SuiteFinaliser } from './suite-finaliser.service';

const limits = { perTestTimeoutMs: 2000, overallTimeoutMs: 60_000 };

function finaliser(behaviours: Record<string, Behaviour>) {
  const world = new World(behaviours);
  const assembler = new TestFileAssembler();
  const checker = new FlakinessChecker(world.executor, assembler, { reruns: 1, concurrency: 1 });
  return { world, finaliser: new SuiteFinaliser(checker, new TestDeduplicator(), assembler, world.logger) };
}

describe('SuiteFinaliser', () => {
  it('runs unit and integration files together until nothing fails, minimises, and runs the result again', async () => {
    const { world, finaliser: f } = finaliser({
      test_a: { lines: [3, 4] },
      test_b: { lines: [4] },
      test_p: { lines: [9], failsWith: 'test_i' },
      test_i: { lines: [7] },
    });
    const cases = ['test_a', 'test_b', 'test_p'].map((n) => testCase(n));
    const suite = await f.finalise(calc, cases, [testCase('test_i')], limits);
    expect(suite.unit.map((c) => c.name)).toEqual(['test_a']);
    expect(suite.integration.map((c) => c.name)).toEqual(['test_i']);
    expect(suite).toMatchObject({ polluted: 1, minimised: 1 });
    expect(suite.coverage?.coveredLines).toEqual([3, 4, 7]);
    // Round 1 drops test_p (it fails beside test_i); round 2 passes; then the minimised suite (test_b goes).
    expect(world.runs.map((r) => r.tests.join(' '))).toEqual([
      'test_calc.py::test_a test_calc.py::test_b test_calc.py::test_p test_calc_integration.py::test_i',
      'test_calc.py::test_a test_calc.py::test_b test_calc_integration.py::test_i',
      'test_calc.py::test_a test_calc_integration.py::test_i',
    ]);
    expect(world.executor.requests.every((r) => r.perTestTimeoutMs === 2000 && r.overallTimeoutMs === 60_000)).toBe(
      true,
    );
    expect(world.logger.lines).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'Tests that pass alone failed in the suite; dropped' }),
    );
  });

  it('starts from a passing run the caller made of exactly the cases, and runs them again only after a change', async () => {
    const behaviours = { test_a: { lines: [3, 4] }, test_b: { lines: [4] }, test_c: { lines: [5] } };
    const cases = ['test_a', 'test_b', 'test_c'].map((n) => testCase(n));
    const passedRun = async (names: string[], only = cases) => {
      const { world, finaliser: f } = finaliser(behaviours);
      const file = new TestFileAssembler().assemble(calc, only);
      const run = await world.executor.run({ target: calc, testFiles: [file], perTestCoverage: true });
      const suite = await f.finalise(calc, cases, [], limits, { run, file });
      return { suite, runs: world.runs.slice(1).map((r) => r.tests.join(' ')), names };
    };
    // test_b is minimised away: only the minimised suite runs.
    const minimised = await passedRun(['test_a', 'test_c']);
    expect(minimised.suite.unit.map((c) => c.name)).toEqual(minimised.names);
    expect(minimised.suite.coverage?.coveredLines).toEqual([3, 4, 5]);
    expect(minimised.runs).toEqual(['test_calc.py::test_a test_calc.py::test_c']);
    // A run of other cases than those given is not theirs: the suite runs together as usual.
    const other = await passedRun(['test_a', 'test_c'], cases.slice(0, 2));
    expect(other.runs).toEqual([
      'test_calc.py::test_a test_calc.py::test_b test_calc.py::test_c',
      'test_calc.py::test_a test_calc.py::test_c',
    ]);
    // Nor is a run of as many cases in another file (here, in another order).
    const reordered = await passedRun(['test_a', 'test_c'], [...cases].reverse());
    expect(reordered.runs[0]).toBe('test_calc.py::test_a test_calc.py::test_b test_calc.py::test_c');
  });

  it('does not start from a given run in which a case failed', async () => {
    const { world, finaliser: f } = finaliser({ test_a: { lines: [3] }, test_f: { lines: [4], fails: true } });
    const cases = [testCase('test_a'), testCase('test_f')];
    const file = new TestFileAssembler().assemble(calc, cases);
    const run = await world.executor.run({ target: calc, testFiles: [file], perTestCoverage: true });
    const suite = await f.finalise(calc, cases, [], limits, { run, file });
    expect(suite).toMatchObject({ polluted: 1, minimised: 0 });
    expect(suite.unit.map((c) => c.name)).toEqual(['test_a']);
    expect(world.runs).toHaveLength(3);
  });

  it('keeps a pinned defect out of the minimisation', async () => {
    const { finaliser: f } = finaliser({ test_a: { lines: [3] }, test_defect: { lines: [], xfail: true } });
    const suite = await f.finalise(
      calc,
      [testCase('test_a'), testCase('test_defect', { expectedFailure: true })],
      [],
      limits,
    );
    expect(suite.unit.map((c) => c.name)).toEqual(['test_a', 'test_defect']);
    expect(suite.minimised).toBe(0);
  });

  it('returns nothing when every test fails together', async () => {
    const { finaliser: f } = finaliser({ test_a: { lines: [3], failsInFinalSuite: true } });
    expect(await f.finalise(calc, [testCase('test_a')], [], limits)).toEqual({
      unit: [],
      integration: [],
      polluted: 1,
      minimised: 0,
    });
  });

  it('fails when the minimised suite does not pass', async () => {
    // test_c needs test_b, which the minimisation removes (test_a covers its lines).
    const { finaliser: f } = finaliser({
      test_a: { lines: [3, 4] },
      test_b: { lines: [4] },
      test_c: { lines: [5], failsWithout: 'test_b' },
    });
    await expect(
      f.finalise(
        calc,
        ['test_a', 'test_b', 'test_c'].map((n) => testCase(n)),
        [],
        limits,
      ),
    ).rejects.toMatchObject({
      code: 'TA_MINIMISED_SUITE_FAILED',
      message: 'The minimised suite of calc failed: test_c',
    });
  });
});
