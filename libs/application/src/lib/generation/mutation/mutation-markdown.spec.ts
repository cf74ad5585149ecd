import type { GenerateTestsReport } from '../report/generation-report';
import { emptyReport } from '../report/report-facts';
import { mutationMarkdownLines } from './mutation-markdown';

const moduleReport = (name: string) => emptyReport({ file: `/p/${name}.py`, importRoot: '/p', moduleName: name }, 0);
const report = (modules: GenerateTestsReport['modules'], mutation?: GenerateTestsReport['mutation']) =>
  ({ modules, ...(mutation ? { mutation } : {}) }) as GenerateTestsReport;

describe('mutationMarkdownLines', () => {
  it('has no section without mutation testing', () => {
    expect(mutationMarkdownLines(report([moduleReport('calc')]))).toEqual([]);
  });

  it('gives the score, one row per module with each operator, and the survivors with what they say', () => {
    const calc = {
      ...moduleReport('calc'),
      mutation: {
        killed: 3,
        total: 4,
        score: 75,
        timedOut: 1,
        byOperator: { comparison: { killed: 0, total: 1 }, return: { killed: 3, total: 3 } },
        candidates: 9,
        notRun: 2,
        invalid: 0,
        survivors: [{ line: 2, operator: 'comparison' as const, original: 'if a < b:', mutated: 'if a <= b:' }],
        durationMs: 1200,
      },
    };
    const lines = mutationMarkdownLines(report([calc, moduleReport('other')], { killed: 3, total: 4, score: 75 }));
    expect(lines[0]).toBe('## Mutation testing');
    expect(lines[2]).toMatch(/^Mutation score: 75\.0 % \(3 of 4 mutants killed\)\. A mutant is a small change/);
    expect(lines.slice(4)).toEqual([
      '| module | score % | killed / run | comparison | arithmetic | constant | condition | return | timed out | not run (budget) |',
      '|---|---|---|---|---|---|---|---|---|---|',
      '| calc | 75.0 | 3 / 4 | 0/1 | — | — | — | 3/3 | 1 | 2 |',
      '',
      '### Surviving mutants: calc',
      '',
      '- line 2 (comparison): `if a < b:` → `if a <= b:`: no test sits on the boundary',
      '',
    ]);
  });
});
