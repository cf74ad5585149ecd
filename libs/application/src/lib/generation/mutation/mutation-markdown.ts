import { MUTATION_OPERATORS, type MutationOperator } from '@test-agent/domain';
import type { GenerateTestsReport } from '../report/generation-report';

const fmt = (n: number | undefined) => (n === undefined ? '—' : n.toFixed(1));

/** What a surviving mutant of each operator says about the tests. */
const WEAK_ORACLE: Readonly<Record<MutationOperator, string>> = {
  comparison: 'no test sits on the boundary',
  arithmetic: "no test's inputs tell the two operators apart",
  constant: 'no test depends on this value',
  condition: 'no test tells the two branches apart',
  return: 'no test checks the value returned here',
};

/**
 * The Markdown report's mutation section: the score over every module, one row per module (score, killed / run,
 * each operator, timed out, not run) and each module's surviving mutants (the weak or missing checks).
 */
export function mutationMarkdownLines(r: GenerateTestsReport): string[] {
  const tested = r.modules.filter((m) => m.mutation);
  if (!r.mutation && tested.length === 0) return [];
  const lines = [
    '## Mutation testing',
    '',
    `Mutation score: ${fmt(r.mutation?.score)} % (${r.mutation?.killed ?? 0} of ${r.mutation?.total ?? 0} mutants killed). A mutant is a small change of the module on a line the tests cover (a comparison or arithmetic operator swapped, a constant changed, a condition negated, a return value replaced by None), run against the written tests in the sandbox; it is killed when a test fails, errors or times out. A surviving mutant is a change no test notices: a value or a branch left unchecked.`,
    '',
    `| module | score % | killed / run | ${MUTATION_OPERATORS.join(' | ')} | timed out | not run (budget) |`,
    `|---|---|---|${MUTATION_OPERATORS.map(() => '---|').join('')}---|---|`,
  ];
  for (const m of tested) {
    const x = m.mutation!;
    const ops = MUTATION_OPERATORS.map((op) => {
      const t = x.byOperator[op];
      return t ? `${t.killed}/${t.total}` : '—';
    });
    lines.push(
      `| ${m.module} | ${fmt(x.score)} | ${x.killed} / ${x.total} | ${ops.join(' | ')} | ${x.timedOut} | ${x.notRun} |`,
    );
  }
  lines.push('');
  for (const m of tested) {
    const survivors = m.mutation!.survivors;
    if (survivors.length === 0) continue;
    lines.push(`### Surviving mutants: ${m.module}`, '');
    for (const s of survivors)
      lines.push(`- line ${s.line} (${s.operator}): \`${s.original}\` → \`${s.mutated}\`: ${WEAK_ORACLE[s.operator]}`);
    lines.push('');
  }
  return lines;
}
