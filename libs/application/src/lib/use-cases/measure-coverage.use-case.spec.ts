import { CoverageReport, InvalidInputError, type ModuleLocator } from '@test-agent/domain';
import { ScriptedTestExecutor } from '@test-agent/domain/testing';
import { MeasureCoverage } from './measure-coverage.use-case';

const target = { file: '/p/shop/pricing.py', importRoot: '/p', moduleName: 'shop.pricing' };
const locator: ModuleLocator = {
  locate: async (file) => {
    if (file !== 'shop/pricing.py')
      throw new InvalidInputError('TA_PATH_NOT_FOUND', `No such file or directory: ${file}`);
    return target;
  },
};
const coverage = CoverageReport.fromData(target.file, {
  executedLines: [3, 6, 7, 8],
  missingLines: [9, 10, 11],
  executedBranches: [[7, 8]],
  missingBranches: [
    [7, 9],
    [9, 10],
    [9, 11],
  ],
});
const executor = new ScriptedTestExecutor(() => ({
  outcomes: [
    { nodeId: 'test_p.py::test_a', status: 'passed', durationMs: 3 },
    { nodeId: 'test_p.py::test_b', status: 'failed', error: 'E   assert 1 == 2', durationMs: 2 },
    { nodeId: 'test_p.py::test_c', status: 'skipped', durationMs: 0 },
  ],
  coverage,
  collectionErrors: [],
  timedOut: false,
  durationMs: 420,
}));

describe('MeasureCoverage', () => {
  it('reports line, branch and combined coverage of the located module, with test counts and problems', async () => {
    const result = await new MeasureCoverage({ executor, locator }).execute({
      modulePath: 'shop/pricing.py',
      testPaths: ['tests'],
      perTestTimeoutMs: 2000,
    });
    expect(executor.requests.at(-1)).toEqual({ target, testPaths: ['tests'], perTestTimeoutMs: 2000 });
    expect(result).toMatchObject({
      module: 'shop.pricing',
      lines: { covered: 4, total: 7 },
      branches: { covered: 1, total: 4 },
      percent: { line: (100 * 4) / 7, branch: 25, combined: (100 * 5) / 11 },
      missingLines: [9, 10, 11],
      tests: { total: 3, passed: 1, failed: 1, skipped: 1 },
      problems: [{ nodeId: 'test_p.py::test_b', status: 'failed', error: 'E   assert 1 == 2', durationMs: 2 }],
      durationMs: 420,
    });
    expect(result.chunks).toBeUndefined();
  });

  it('adds the per-chunk table when a chunk source is configured', async () => {
    const chunks = {
      chunksOf: async () => [
        { index: 0, startLine: 1, endLine: 5 },
        { index: 1, startLine: 6, endLine: 11, symbols: ['classify'] },
      ],
    };
    const result = await new MeasureCoverage({ executor, locator, chunks }).execute({
      modulePath: 'shop/pricing.py',
      testPaths: ['tests'],
    });
    expect(result.chunks?.map((c) => [c.index, c.summary.lines, c.summary.branches])).toEqual([
      [0, { covered: 1, total: 1 }, { covered: 0, total: 0 }],
      [1, { covered: 3, total: 6 }, { covered: 1, total: 4 }],
    ]);
  });

  it('reports why there is no per-chunk table when the chunker rejects the module, and still reports coverage', async () => {
    const chunks = {
      chunksOf: async () => {
        throw new InvalidInputError('TA_EMPTY_MODULE', 'shop/pricing.py is empty: there is no code to chunk');
      },
    };
    const result = await new MeasureCoverage({ executor, locator, chunks }).execute({
      modulePath: 'shop/pricing.py',
      testPaths: ['tests'],
    });
    expect(result.chunks).toBeUndefined();
    expect(result.chunksError).toBe('shop/pricing.py is empty: there is no code to chunk');
    expect(result.lines).toEqual({ covered: 4, total: 7 });
  });

  it('lets the locator reject a missing module', async () => {
    await expect(
      new MeasureCoverage({ executor, locator }).execute({ modulePath: 'nope.py', testPaths: [] }),
    ).rejects.toThrow('No such file or directory: nope.py');
  });
});
