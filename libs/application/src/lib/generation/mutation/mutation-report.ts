import type { MutationOperator } from '@test-agent/domain';

/** A mutant the suite did not kill: every test still passed with it (a weak or missing check). */
export interface SurvivingMutant {
  /** 1-based line of the change. */
  readonly line: number;
  readonly operator: MutationOperator;
  /** The changed line(s) as written, whitespace collapsed (shortened past 120 characters). */
  readonly original: string;
  /** The same line(s) with the mutant applied. */
  readonly mutated: string;
}

/** Mutants run and killed, of one operator or in all. */
export interface MutantTally {
  readonly killed: number;
  readonly total: number;
}

/**
 * Mutation testing of one module's written suite: small changes of the module (see `MutationOperator`) on the lines
 * the suite covers, each run against the suite in the sandbox. A mutant is killed when a test fails or errors, or
 * a time limit stops its run; it survives when every test passes.
 */
export interface ModuleMutationReport extends MutantTally {
  /** `killed / total` in percent; absent when no mutant ran. */
  readonly score?: number;
  /** Of the killed: mutants whose run hit a time limit. */
  readonly timedOut: number;
  /** Per operator (those with a mutant run). */
  readonly byOperator: Partial<Record<MutationOperator, MutantTally>>;
  /** Mutants made on the covered lines, before the cap sampled `total + notRun + invalid` of them. */
  readonly candidates: number;
  /** Sampled mutants not run: the module's time budget for mutation testing ran out. */
  readonly notRun: number;
  /** Sampled mutants Python rejected (a `SyntaxError` on import; not counted). */
  readonly invalid: number;
  readonly survivors: readonly SurvivingMutant[];
  readonly durationMs: number;
}

/** The run's mutants over every module: killed, run and the score (absent when none ran). */
export interface MutationTotals extends MutantTally {
  readonly score?: number;
}

/** The totals of the modules' mutation reports; undefined when none has one. */
export function mutationTotals(reports: readonly (ModuleMutationReport | undefined)[]): MutationTotals | undefined {
  const present = reports.filter((r): r is ModuleMutationReport => r !== undefined);
  if (present.length === 0) return undefined;
  const killed = present.reduce((sum, r) => sum + r.killed, 0);
  const total = present.reduce((sum, r) => sum + r.total, 0);
  return { killed, total, ...scoreOf(killed, total) };
}

/** `{ score }` in percent, or nothing when `total` is 0. */
export function scoreOf(killed: number, total: number): { score?: number } {
  return total > 0 ? { score: (100 * killed) / total } : {};
}
