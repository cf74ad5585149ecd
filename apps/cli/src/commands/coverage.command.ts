import type { Command } from 'commander';
import { TOKENS } from '@test-agent/composition';
import type { MeasureCoverageResult } from '@test-agent/application';
import { compactRanges, formatBranch } from '@test-agent/domain';
import type { CliContext } from '../cli-context';

interface CoverageOptions {
  tests: string[];
  timeout?: number;
  runTimeout?: number;
}

const pct = (value: number) => `${value.toFixed(1)} %`;

function render(r: MeasureCoverageResult): string {
  const out = [
    `${r.module} (${r.file})`,
    `  lines     ${String(r.lines.covered).padStart(5)} / ${String(r.lines.total).padEnd(5)} ${pct(r.percent.line)}`,
    `  branches  ${String(r.branches.covered).padStart(5)} / ${String(r.branches.total).padEnd(5)} ${pct(r.percent.branch)}`,
    `  combined  ${String(r.lines.covered + r.branches.covered).padStart(5)} / ${String(r.lines.total + r.branches.total).padEnd(5)} ${pct(r.percent.combined)}`,
  ];
  if (r.missingLines.length > 0) out.push(`  missing lines: ${compactRanges(r.missingLines)}`);
  if (r.missingBranches.length > 0) out.push(`  missing branches: ${r.missingBranches.map(formatBranch).join(', ')}`);
  const counts = Object.entries(r.tests)
    .filter(([k]) => k !== 'total')
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
  out.push(`tests: ${r.tests.total}${counts ? ` (${counts})` : ''}${r.timedOut ? ' — the run hit its time limit' : ''}, ${(r.durationMs / 1000).toFixed(1)} s`);
  if (r.chunksError) out.push(`no per-chunk table: ${r.chunksError}`);
  if (r.chunks) {
    out.push('', 'chunk  lines        stmts        branches     combined  symbols');
    for (const c of r.chunks) {
      out.push(
        `${String(c.index).padStart(5)}  ${`${c.startLine}-${c.endLine}`.padEnd(11)}  ` +
          `${`${c.summary.lines.covered}/${c.summary.lines.total}`.padEnd(11)}  ${`${c.summary.branches.covered}/${c.summary.branches.total}`.padEnd(11)}  ` +
          `${pct(c.summary.percent.combined).padStart(8)}  ${c.symbols.join(', ')}`,
      );
    }
  }
  for (const p of r.problems) out.push('', `${p.status.toUpperCase()} ${p.nodeId}`, ...(p.error ? p.error.split('\n').slice(0, 8).map((l) => `  ${l}`) : []));
  for (const e of r.collectionErrors.filter((e) => !r.problems.some((p) => e.startsWith(`${p.nodeId}: `)))) out.push('', `COLLECTION ERROR ${e.split('\n')[0]}`);
  return out.join('\n');
}

/** `coverage <module> --tests <file|dir>...`: line, branch and combined coverage of a module by existing tests. */
export function registerCoverage(program: Command, ctx: CliContext): void {
  program
    .command('coverage')
    .description('run existing tests under coverage.py and report line, branch and combined coverage of one module')
    .argument('<module>', 'the Python module (.py file) to measure')
    .requiredOption('-t, --tests <paths...>', 'test files or folders to run')
    .option('--timeout <ms>', 'per-test limit in milliseconds (env TEST_AGENT_TEST_TIMEOUT_MS)', (v) => Number.parseInt(v, 10))
    .option('--run-timeout <ms>', 'limit of the whole run in milliseconds (env TEST_AGENT_TEST_RUN_TIMEOUT_MS)', (v) => Number.parseInt(v, 10))
    .action(async (module: string, opts: CoverageOptions) => {
      const container = ctx.resolve({
        ...(opts.timeout ? { testTimeoutMs: opts.timeout } : {}),
        ...(opts.runTimeout ? { testRunTimeoutMs: opts.runTimeout } : {}),
      });
      const result = await container.get(TOKENS.MeasureCoverage).execute({ modulePath: module, testPaths: opts.tests });
      ctx.print(result, () => render(result));
    });
}
