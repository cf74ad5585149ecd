import { emptyReport } from './report-facts';
import { uncoveredMarkdownLines, UNCOVERED_ROWS_PER_MODULE } from './uncovered-markdown';
import type { UncoveredGroup } from './why-not-covered';

const target = { file: '/p/m.py', importRoot: '/p', moduleName: 'm' };

describe('the Markdown section "Why not covered"', () => {
  it('gives one row per group, its code as text, and counts the groups past the cap', () => {
    const groups: UncoveredGroup[] = Array.from({ length: UNCOVERED_ROWS_PER_MODULE + 2 }, (_, i) => ({
      lines: [10 + 2 * i, 11 + 2 * i],
      branches: [],
      kind: 'condition-never-true',
      detail: `never true: x_${i} | flags`,
    }));
    groups[1] = {
      lines: [],
      branches: [
        [12, 14],
        [13, -1],
      ],
      kind: 'never-called',
      detail: "no test's run of f calls f.<locals>.g",
    };
    const lines = uncoveredMarkdownLines([{ ...emptyReport(target, 0), uncovered: groups }, emptyReport(target, 0)]);
    expect(lines.slice(0, 8)).toEqual([
      '## Why not covered',
      '',
      'The most likely reason for each uncovered line and branch: what a test written by hand has to do.',
      '',
      '| module | lines | branches | reason | detail |',
      '|---|---|---|---|---|',
      '| m | 10-11 | — | condition-never-true | never true: x\\_0 \\| flags |',
      "| m | — | 12->14, 13->exit | never-called | no test's run of f calls f.\\<locals>.g |",
    ]);
    expect(lines).toHaveLength(6 + UNCOVERED_ROWS_PER_MODULE + 2);
    expect(lines.slice(-2)).toEqual(['| m | … | … | … | 2 more groups in the JSON report |', '']);
  });

  it('is left out when no module has a reason to give', () => {
    expect(uncoveredMarkdownLines([emptyReport(target, 0), { ...emptyReport(target, 0), uncovered: [] }])).toEqual([]);
  });
});
