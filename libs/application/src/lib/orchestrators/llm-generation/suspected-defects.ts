import type { Judged } from './candidates';
import type { SuspectedDefect } from './llm-generation.types';

const SUSPECTED = /#\s*SUSPECTED BUG/i;

/** The line of a pytest failure that says what failed: the first `E` line, else the first line. */
export function failureHeadline(error: string): string {
  const line = error.split('\n').find((l) => /^E\s/.test(l));
  return (line ? line.replace(/^E\s+/, '') : error.split('\n')[0]).trim();
}

/**
 * The defect a test that still fails after its repair turns points at: only when the model, shown the failure,
 * made at least one repair turn, still asserts the behaviour (an assertion fails) and says why (`# SUSPECTED BUG`).
 */
export function suspectedDefect(
  final: Judged,
  repairTurns: number,
  symbols: readonly string[],
): SuspectedDefect | undefined {
  if (
    repairTurns > 0 &&
    final.stage === 'run' &&
    final.error &&
    /assert/i.test(final.error) &&
    SUSPECTED.test(final.testCase.code)
  ) {
    return {
      test: final.testCase.name,
      symbols,
      code: final.testCase.code,
      error: final.error,
      message: failureHeadline(final.error),
    };
  }
  return undefined;
}
