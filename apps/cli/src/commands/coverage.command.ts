import { InvalidArgumentError, type Command } from 'commander';
import { TOKENS } from '@test-agent/composition';
import type { MeasureCoverageResult } from '@test-agent/application';
import { compactRanges, formatBranch } from '@test-agent/domain';
import type { CliContext } from '../cli-context';
import { EXIT } from '../error-handler';

interface CoverageOptions {
  tests: string[];
  timeout?: number;
  runTimeout?: number;
}

const pct = (value: number) => `${value.toFixed(1)} %`;

/** A whole number of milliseconds above zero (`--timeout 0`, `abc`, `1.5` are usage errors, exit 2). */
const positiveMilliseconds = (value: string): number => {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n <= 0)
    throw new InvalidArgumentError('must be a whole number of milliseconds above 0');
  return n;
};

/** Tests that ran (a test module that could not be imported is an outcome too, but no test of it ran). */
function testsThatRan(r: MeasureCoverageResult): number {
  const unimported = r.problems.filter((p) => r.collectionErrors.some((e) => e.startsWith(`${p.nodeId}: `))).length;
  return r.tests.total - unimported;
}

/**
 * The exit code of a measurement: 0 when every test passed (or was skipped / an expected failure); 12 when no
 * test ran at all (nothing collected, every test module failed to import); 11 when tests ran but not all of them
 * passed, a test module could not be imported, or the run hit its time limit.
 */
export function coverageExitCode(r: MeasureCoverageResult): number {
  if (testsThatRan(r) === 0) return EXIT.noTestsRan;
  if (r.problems.length > 0 || r.collectionErrors.length > 0 || r.timedOut) return EXIT.testsDidNotPass;
  return EXIT.ok;
}

/** One line on stderr saying why the exit code is not 0. */
function verdict(r: MeasureCoverageResult, code: number): string | undefined {
  if (code === EXIT.noTestsRan) {
    return `no test ran (${r.collectionErrors.length} collection error(s)): the coverage shown is not a measurement of your tests`;
  }
  if (code === EXIT.testsDidNotPass) {
    const parts = [
      ...(r.problems.length > 0 ? [`${r.problems.length} of ${r.tests.total} test(s) did not pass`] : []),
      ...(r.collectionErrors.length > 0 ? [`${r.collectionErrors.length} collection error(s)`] : []),
      ...(r.timedOut ? ['the run hit its time limit'] : []),
    ];
    return `${parts.join(', ')}: the coverage covers what ran`;
  }
  return undefined;
}

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
  out.push(
    `tests: ${r.tests.total}${counts ? ` (${counts})` : ''}${r.timedOut ? ' — the run hit its time limit' : ''}, ${(r.durationMs / 1000).toFixed(1)} s`,
  );
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
  for (const p of r.problems)
    out.push(
      '',
      `${p.status.toUpperCase()} ${p.nodeId}`,
      ...(p.error
        ? p.error
            .split('\n')
            .slice(0, 8)
            .map((l) => `  ${l}`)
        : []),
    );
  for (const e of r.collectionErrors.filter((e) => !r.problems.some((p) => e.startsWith(`${p.nodeId}: `))))
    out.push('', `COLLECTION ERROR ${e.split('\n')[0]}`);
  return out.join('\n');
}

/**
 * `coverage <module> --tests <file|dir>...`: line, branch and combined coverage of a module by existing tests.
 * Exit 0 when every test passed, 11 when some did not (or could not be imported, or the run timed out), 12 when
 * no test ran; the figures are printed in every case.
 */
export function registerCoverage(program: Command, ctx: CliContext): void {
  program
    .command('coverage')
    .description('run existing tests under coverage.py and report line, branch and combined coverage of one module')
    .argument('<module>', 'the Python module (.py file) to measure')
    .requiredOption('-t, --tests <paths...>', 'test files or folders to run')
    .option('--timeout <ms>', 'per-test limit in milliseconds (env TEST_AGENT_TEST_TIMEOUT_MS)', positiveMilliseconds)
    .option(
      '--run-timeout <ms>',
      'limit of the whole run in milliseconds (env TEST_AGENT_TEST_RUN_TIMEOUT_MS)',
      positiveMilliseconds,
    )
    .action(async (module: string, opts: CoverageOptions) => {
      const container = ctx.resolve({
        ...(opts.timeout !== undefined ? { testTimeoutMs: opts.timeout } : {}),
        ...(opts.runTimeout !== undefined ? { testRunTimeoutMs: opts.runTimeout } : {}),
      });
      const result = await container.get(TOKENS.MeasureCoverage).execute({ modulePath: module, testPaths: opts.tests });
      ctx.print(result, () => render(result));
      const code = coverageExitCode(result);
      const why = verdict(result, code);
      if (why) process.stderr.write(`coverage: ${why} (exit ${code})\n`);
      if (code !== EXIT.ok) process.exitCode = code;
    });
}
