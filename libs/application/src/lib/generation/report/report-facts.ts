import {
  InvalidInputError,
  TestAgentError,
  type CoverageReport,
  type CoverageSummary,
  type ModuleTarget,
} from '@test-agent/domain';
import type { GenerateTestsReport, ModuleGenerationReport } from './generation-report';

/** The code and message a module's report gives for the error that stopped it. */
export function errorReason(e: unknown): { code: string; message: string } {
  return {
    code: e instanceof TestAgentError ? e.code : 'TA_INTERNAL',
    message: e instanceof Error ? e.message : String(e),
  };
}

/** A folder none of whose modules could be tested, each with its reason. */
export function nothingTestable(
  path: string,
  modules: readonly Pick<ModuleGenerationReport, 'module' | 'error'>[],
): InvalidInputError {
  return new InvalidInputError(
    'TA_NOTHING_TESTABLE',
    `No module under ${path} could be tested: ${modules.map((m) => `${m.module}: ${m.error?.message}`).join('; ')}`,
  );
}

export function emptyReport(
  target: ModuleTarget,
  durationMs: number,
  error?: { code: string; message: string },
): ModuleGenerationReport {
  return {
    module: target.moduleName,
    file: target.file,
    importRoot: target.importRoot,
    tests: 0,
    coverage: {
      lines: { covered: 0, total: 0 },
      branches: { covered: 0, total: 0 },
      percent: { line: 0, branch: 0, combined: 0 },
    },
    missingLines: [],
    dropped: { failing: 0, flaky: 0, unstable: 0 },
    executions: 0,
    stoppedBy: error ? 'error' : 'none',
    durationMs,
    ...(error ? { error } : {}),
  };
}

/** Why a run did not meet its target: the run stopped, modules could not be tested, nothing was kept, too low. */
export function targetMissedBecause(run: {
  failure: unknown;
  modules: readonly ModuleGenerationReport[];
  errors: readonly ModuleGenerationReport[];
  written: boolean;
  coverage: CoverageSummary;
  target: number;
}): string[] {
  const reasons: string[] = [];
  if (run.failure) reasons.push(`the run stopped early: ${errorReason(run.failure).message}`);
  if (run.errors.length > 0) {
    const names = run.errors
      .slice(0, 5)
      .map((m) => m.module)
      .join(', ');
    const more = run.errors.length > 5 ? `, and ${run.errors.length - 5} more` : '';
    reasons.push(
      `${run.errors.length} of ${run.modules.length} modules could not be tested (${names}${more}); their statements count as uncovered`,
    );
  }
  if (!run.written) reasons.push('no test was kept');
  if (run.coverage.percent.combined < run.target)
    reasons.push(`line+branch coverage ${fmt(run.coverage.percent.combined)} % is below the ${run.target} % target`);
  return reasons;
}

/** `a 12.3 s, b 9.0 s`. */
export function formatSlowest(slowest: NonNullable<GenerateTestsReport['slowest']>): string {
  return slowest.map((m) => `${m.module} ${(m.durationMs / 1000).toFixed(1)} s`).join(', ');
}

/** The five modules that took longest, slowest first. */
export function slowestModules(modules: readonly ModuleGenerationReport[]): { module: string; durationMs: number }[] {
  return [...modules]
    .sort((a, b) => b.durationMs - a.durationMs)
    .slice(0, 5)
    .map((m) => ({ module: m.module, durationMs: m.durationMs }));
}

/** Sum of covered and total lines and branches over modules (each module is its own file). */
export function totalCoverage(modules: readonly ModuleGenerationReport[]): CoverageSummary {
  const sum = (pick: (m: ModuleGenerationReport) => number) => modules.reduce((a, m) => a + pick(m), 0);
  const lines = { covered: sum((m) => m.coverage.lines.covered), total: sum((m) => m.coverage.lines.total) };
  const branches = { covered: sum((m) => m.coverage.branches.covered), total: sum((m) => m.coverage.branches.total) };
  const pct = (c: number, t: number) => (t === 0 ? 100 : (100 * c) / t);
  return {
    lines,
    branches,
    percent: {
      line: pct(lines.covered, lines.total),
      branch: pct(branches.covered, branches.total),
      combined: pct(lines.covered + branches.covered, lines.total + branches.total),
    },
  };
}

/** The changed statements of a module and how many the tests cover (absent outside changed-code mode). */
export function changedCoverage(
  coverage: CoverageReport,
  lines: readonly number[] | undefined,
): Pick<ModuleGenerationReport, 'changedLines'> {
  if (!lines) return {};
  const wanted = new Set(lines);
  const covered = coverage.coveredLines.filter((l) => wanted.has(l));
  const missing = coverage.missingLines.filter((l) => wanted.has(l));
  return { changedLines: { covered: covered.length, total: covered.length + missing.length, missing } };
}

export function changedTotals(
  ref: string,
  modules: readonly ModuleGenerationReport[],
): { ref: string; covered: number; total: number } {
  const covered = modules.reduce((n, m) => n + (m.changedLines?.covered ?? 0), 0);
  const total = modules.reduce((n, m) => n + (m.changedLines?.total ?? 0), 0);
  return { ref, covered, total };
}

const fmt = (n: number) => n.toFixed(1);
