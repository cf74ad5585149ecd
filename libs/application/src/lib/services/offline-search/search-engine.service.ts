import {
  silentLogger,
  type Branch,
  type CallPlan,
  type CallResult,
  type CoverageReport,
  type Logger,
  type SandboxSession,
} from '@test-agent/domain';
import type { Candidate } from './generated-value';
import { SearchRun } from './search-run';

export interface SearchOptions {
  /** Wall-clock budget of the search, in milliseconds. */
  readonly timeBudgetMs: number;
  /** Stop when no plan reached new coverage for this long, in ms (default: max(4 s, 35 % of the budget)). */
  readonly plateauMs?: number;
  /** Limit per plan in the sandbox, in ms (default 1000). */
  readonly callTimeoutMs?: number;
  /** Plans per sandbox round trip (default 64). */
  readonly batchSize?: number;
  readonly seed?: number;
  /** Clock in milliseconds (injected for tests). */
  readonly now?: () => number;
  /** Lines to aim at first (changed-code mode: the changed lines): their statements and branches weigh more. */
  readonly focusLines?: readonly number[];
  /** What other tests (the project's own suite) already cover: not aimed at, and no reason to keep a test. */
  readonly coveredBefore?: { readonly lines: readonly number[]; readonly branches: readonly Branch[] };
  /**
   * The time, in ms, the work after the search needs for `tests` archived tests beyond what `timeBudgetMs` already
   * leaves for it (a large suite's validation runs take longer): the search stops once that much is left.
   */
  readonly reserveMs?: (tests: number) => number;
}

/** A plan that reached coverage no earlier plan reached, with what it did. */
export interface ArchivedTest {
  readonly plan: CallPlan;
  readonly result: CallResult;
  /** The candidate the plan came from; absent for doctest plans. */
  readonly candidate?: Candidate;
  /** Qualname whose doctests the plan runs. */
  readonly doctest?: string;
}

/** Calls of one callable refused because they tried to act outside the sandbox (see `CallResult.outsideEffects`). */
export interface OutsideEffectSummary {
  /** How many executed calls were refused. */
  readonly calls: number;
  /** Distinct attempts as the sandbox described them (`delete /data/a`, `connect 127.0.0.1:8080`), at most 3. */
  readonly examples: readonly string[];
}

/** Qualname of the callable (for doctests: of the documented object, '' for the module) → its refused calls. */
export type OutsideEffects = Readonly<Record<string, OutsideEffectSummary>>;

/** How the search's calls of one callable went. */
export interface CallCounts {
  /** Calls run (each plan whose call under test is this callable, or its doctests). */
  readonly executed: number;
  /** Calls stopped at the per-call time limit (`callTimeoutMs`), or that hung the sandbox past it. */
  readonly timedOut: number;
}

export interface SearchOutcome {
  readonly tests: ArchivedTest[];
  /**
   * Callables some of whose calls were refused because they tried to act outside the sandbox (write, delete,
   * network, processes): those calls are not tested offline. Empty when there were none.
   */
  readonly outsideEffects: OutsideEffects;
  /** What importing the module tried to do outside the sandbox (blocked), from `ModuleInterface.importEffects`. */
  readonly importEffects: readonly string[];
  /** The sandbox's measure of what the archive covers (import included). */
  readonly coverage: CoverageReport;
  readonly executions: number;
  readonly stoppedBy: 'budget' | 'plateau' | 'complete';
  readonly elapsedMs: number;
  /**
   * Calls on well-typed input that ended in an error the module's own code raised without meaning to
   * (`ZeroDivisionError`, `UnboundLocalError`, ...): one per callable, exception type and line, never a test of
   * the suite (see `raisedKind`).
   */
  readonly suspectedDefects: readonly ArchivedTest[];
  /** Calls that ended in a `TypeError`/`AttributeError` the interpreter raised on a value: never a test. */
  readonly misuses: number;
  /** Per callable qualname (doctests: of the documented object, '' for the module): how its calls went. */
  readonly calls: Readonly<Record<string, CallCounts>>;
  /** The per-call time limit the search ran under, in ms. */
  readonly callTimeoutMs: number;
}

/**
 * Search-based test generation: random and mutated call plans for every callable of the module, run in the
 * sandbox; a plan is archived only when it reaches a line or branch no archived plan reached. Callables with
 * more uncovered code in their span are tried more often. Stops at the time budget, on a plateau, or at full
 * coverage.
 */
export class OfflineSearchEngine {
  constructor(private readonly logger: Logger = silentLogger) {}

  async search(session: SandboxSession, file: string, options: SearchOptions): Promise<SearchOutcome> {
    return new SearchRun(session, file, options, this.logger).run();
  }
}
