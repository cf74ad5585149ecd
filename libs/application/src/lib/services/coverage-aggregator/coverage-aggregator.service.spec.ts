import { CoverageReport, InvalidInputError } from '@test-agent/domain';
import { CoverageAggregator } from './coverage-aggregator.service';

const FILE = '/src/shop/pricing.py';
const run = (executedLines: number[], executedBranches: [number, number][]) =>
  CoverageReport.fromData(FILE, {
    executedLines,
    missingLines: [3, 6, 7, 8, 9, 10, 11].filter((l) => !executedLines.includes(l)),
    executedBranches,
    missingBranches: (
      [
        [7, 8],
        [7, 9],
        [9, 10],
        [9, 11],
      ] as [number, number][]
    ).filter((b) => !executedBranches.some((e) => e[0] === b[0] && e[1] === b[1])),
  });

describe('CoverageAggregator', () => {
  const aggregator = new CoverageAggregator();
  const negative = run([3, 6, 7, 8], [[7, 8]]);
  const zero = run(
    [3, 6, 7, 9, 10],
    [
      [7, 9],
      [9, 10],
    ],
  );

  it('unites runs: covered lines and branches, never an average of percentages', () => {
    const union = aggregator.union([negative, zero]);
    expect(union.summary()).toEqual({
      lines: { covered: 6, total: 7 },
      branches: { covered: 3, total: 4 },
      percent: { line: (100 * 6) / 7, branch: 75, combined: (100 * 9) / 11 },
    });
    // The mean of the two runs' combined percentages (5/11 and 7/11) would be 54.5 %, not 81.8 %.
    expect(union.combinedPercent).toBeCloseTo(81.818, 3);
  });

  it('rejects an empty list and reports of different files', () => {
    expect(() => aggregator.union([])).toThrow(InvalidInputError);
    expect(() =>
      aggregator.union([negative, CoverageReport.empty(CoverageReport.fromData('/other.py', negative.toData()))]),
    ).toThrow('Coverage of different files cannot be united: /src/shop/pricing.py, /other.py');
  });

  it('says what a report adds', () => {
    expect(aggregator.gain(negative, zero)).toEqual({
      lines: [9, 10],
      branches: [
        [7, 9],
        [9, 10],
      ],
    });
    expect(aggregator.gain(aggregator.union([negative, zero]), zero)).toEqual({ lines: [], branches: [] });
  });

  it('projects onto chunks: one row per chunk, in chunk order, adding up to the module', () => {
    const union = aggregator.union([negative, zero]);
    const rows = aggregator.perChunk(union, [
      { index: 1, startLine: 6, endLine: 11, symbols: ['classify'], kind: 'function' },
      { index: 0, startLine: 1, endLine: 5, symbols: ['RATE'] },
    ]);
    expect(rows).toEqual([
      {
        index: 0,
        startLine: 1,
        endLine: 5,
        symbols: ['RATE'],
        summary: {
          lines: { covered: 1, total: 1 },
          branches: { covered: 0, total: 0 },
          percent: { line: 100, branch: 100, combined: 100 },
        },
        missingLines: [],
        missingBranches: [],
      },
      {
        index: 1,
        startLine: 6,
        endLine: 11,
        symbols: ['classify'],
        kind: 'function',
        summary: {
          lines: { covered: 5, total: 6 },
          branches: { covered: 3, total: 4 },
          percent: { line: (100 * 5) / 6, branch: 75, combined: 80 },
        },
        missingLines: [11],
        missingBranches: [[9, 11]],
      },
    ]);
  });
});
