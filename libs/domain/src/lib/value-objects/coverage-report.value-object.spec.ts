import { CoverageReport, type FileCoverageData } from './coverage-report.value-object';

// The figures of the executor's hand-counted fixture (shop/pricing.py) as coverage.py reports them:
// 18 statements, 14 run; 10 branch arcs, 7 run.
const fixture: FileCoverageData = {
  executedLines: [3, 6, 7, 8, 9, 10, 14, 15, 16, 17, 18, 20, 21, 24],
  missingLines: [11, 25, 26, 27],
  executedBranches: [
    [7, 8],
    [7, 9],
    [9, 10],
    [16, 17],
    [16, 21],
    [17, 18],
    [17, 20],
  ],
  missingBranches: [
    [9, 11],
    [25, 26],
    [25, 27],
  ],
};
const FILE = '/src/shop/pricing.py';

describe('CoverageReport', () => {
  it('counts statements and branch arcs exactly as coverage.py does', () => {
    const report = CoverageReport.fromData(FILE, fixture);
    expect(report.summary()).toEqual({
      lines: { covered: 14, total: 18 },
      branches: { covered: 7, total: 10 },
      percent: { line: (100 * 14) / 18, branch: 70, combined: 75 },
    });
    expect(report.missingLines).toEqual([11, 25, 26, 27]);
    expect(report.missingBranches).toEqual([
      [9, 11],
      [25, 26],
      [25, 27],
    ]);
  });

  it('combines lines and branches as (covered lines + covered branches) / (statements + branches), not an average', () => {
    // 1/2 lines and 1/6 branches: (1 + 1) / (2 + 6) = 25 %, where the average of 50 % and 16.7 % would be 33.3 %.
    const report = CoverageReport.fromData(FILE, {
      executedLines: [1],
      missingLines: [2],
      executedBranches: [[1, 2]],
      missingBranches: [
        [1, 3],
        [3, 4],
        [3, 5],
        [5, 6],
        [5, -1],
      ],
    });
    expect(report.combinedPercent).toBe(25);
  });

  it('reports 100 % for a file without statements or branches, as coverage.py does', () => {
    const report = CoverageReport.fromData(FILE, {
      executedLines: [],
      missingLines: [],
      executedBranches: [],
      missingBranches: [],
    });
    expect(report.summary().percent).toEqual({ line: 100, branch: 100, combined: 100 });
  });

  it('unites two runs as the union of covered lines and branches', () => {
    const negative = CoverageReport.fromData(FILE, {
      executedLines: [3, 6, 7, 8],
      missingLines: [9, 10, 11],
      executedBranches: [[7, 8]],
      missingBranches: [
        [7, 9],
        [9, 10],
        [9, 11],
      ],
    });
    const positive = CoverageReport.fromData(FILE, {
      executedLines: [3, 6, 7, 9, 11],
      missingLines: [8, 10],
      executedBranches: [
        [7, 9],
        [9, 11],
      ],
      missingBranches: [
        [7, 8],
        [9, 10],
      ],
    });
    const union = negative.union(positive);
    expect(union.coveredLines).toEqual([3, 6, 7, 8, 9, 11]);
    expect(union.missingLines).toEqual([10]);
    expect(union.branches).toEqual({ covered: 3, total: 4 });
    expect(union.combinedPercent).toBeCloseTo((100 * 9) / 11, 10);
    // Neither run alone reaches the union: 4/7 + 1/4 and 5/7 + 2/4.
    expect(negative.combinedPercent).toBeCloseTo((100 * 5) / 11, 10);
    expect(positive.combinedPercent).toBeCloseTo((100 * 7) / 11, 10);
  });

  it('refuses to unite reports of different files', () => {
    const a = CoverageReport.fromData('/a.py', fixture);
    const b = CoverageReport.fromData('/b.py', fixture);
    expect(() => a.union(b)).toThrow('Cannot unite coverage of different files: /a.py and /b.py');
  });

  it('projects onto a chunk span, branches by their source line', () => {
    const report = CoverageReport.fromData(FILE, fixture);
    const classify = report.project(6, 11);
    expect(classify.summary()).toEqual({
      lines: { covered: 5, total: 6 },
      branches: { covered: 3, total: 4 },
      percent: { line: (100 * 5) / 6, branch: 75, combined: 80 },
    });
    const unused = report.project(24, 27);
    expect(unused.lines).toEqual({ covered: 1, total: 4 });
    expect(unused.branches).toEqual({ covered: 0, total: 2 });
    // The chunks of a partition add up to the whole.
    const parts = [report.project(1, 5), report.project(6, 12), report.project(13, 22), report.project(23, 27)];
    expect(parts.reduce((n, p) => n + p.lines.total, 0)).toBe(18);
    expect(parts.reduce((n, p) => n + p.branches.covered, 0)).toBe(7);
  });

  it('tells whether a report adds a line or a branch to another', () => {
    const whole = CoverageReport.fromData(FILE, fixture);
    const lineOnly = CoverageReport.fromData(FILE, { ...fixture, executedLines: [3], executedBranches: [] });
    const newBranch = CoverageReport.fromData(FILE, {
      executedLines: [3],
      missingLines: [],
      executedBranches: [[25, 27]],
      missingBranches: [],
    });
    expect(lineOnly.addsTo(whole)).toBe(false);
    expect(newBranch.addsTo(whole)).toBe(true);
    expect(whole.addsTo(lineOnly)).toBe(true);
  });

  it('round-trips through toData and keeps the shape in empty()', () => {
    const report = CoverageReport.fromData(FILE, fixture);
    expect(CoverageReport.fromData(FILE, report.toData()).summary()).toEqual(report.summary());
    const empty = CoverageReport.empty(report);
    expect(empty.summary()).toEqual({
      lines: { covered: 0, total: 18 },
      branches: { covered: 0, total: 10 },
      percent: { line: 0, branch: 0, combined: 0 },
    });
  });
});
