import type { ContainmentStatus, CoverageSummary, LlmRunSummary, ProjectInterpreter } from '@test-agent/domain';
import type { LlmGenerationResult } from '../../orchestrators/llm-test-generation.orchestrator';
import type { OutsideEffects } from '../../services/offline-search/search-engine.service';
import type { GenerationStrategy } from '../generation-request';
import type { ModuleMutationReport, MutationTotals } from '../mutation/mutation-report';
import type { UncoveredGroup } from './why-not-covered';

// The report of a generation run: the types the JSON report, the Markdown report and every delivery (CLI, server,
// tools) read. Owned here; re-exported by the application's entry point.

/** What the LLM endpoint chain did in a run: who served, whether and why the fallback took over. */
export type LlmRunReport = LlmRunSummary;

/** What the LLM phase of one module did (absent for the offline strategy). */
export interface ModuleLlmReport {
  readonly funnel: LlmGenerationResult['funnel'];
  readonly repairs: LlmGenerationResult['repairs'];
  readonly chunks: LlmGenerationResult['chunks'];
  readonly suspectedDefects: LlmGenerationResult['suspectedDefects'];
  readonly llmCalls: number;
  readonly summaryCalls: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly stoppedBy: LlmGenerationResult['stoppedBy'];
  readonly resumed: boolean;
  /** Accepted tests by origin (before minimisation). */
  readonly accepted: { readonly offline: number; readonly unit: number; readonly integration: number };
  /** Tests removed as duplicates or subsumed, and tests that failed when the suite ran together. */
  readonly minimised: number;
  readonly polluted: number;
  /** What the prompts were fitted to: the model's context window, the answer's reserve and the chunk budget. */
  readonly contextWindow?: number;
  readonly reservedCompletionTokens?: number;
  readonly chunkBudgetTokens?: number;
  /** `estimated` when the endpoint's token counter failed and the local tokenizer's estimate stood in. */
  readonly tokenCounts?: 'exact' | 'estimated';
  /** Times the module was chunked smaller after the server truncated a prompt silently. */
  readonly refitsAfterTruncation?: number;
}

export interface ModuleGenerationReport {
  readonly module: string;
  readonly file: string;
  /** The folder the tests import the module from (`module` is its dotted name there). */
  readonly importRoot: string;
  /** Test file written, absent when no test could be kept (or the module failed). */
  readonly testFile?: string;
  /** How the file was written: `written-beside` when a user's file already had the intended name. */
  readonly writeAction?: 'created' | 'replaced' | 'unchanged' | 'written-beside';
  readonly tests: number;
  /** Coverage of the module by the written tests, as coverage.py measured it under pytest. */
  readonly coverage: CoverageSummary;
  /** Lines (1-based) no kept test reaches. */
  readonly missingLines: readonly number[];
  /**
   * Why each uncovered line and branch is not covered, the most likely reason (see `UncoveredKind`), uncovered
   * lines and branches next to each other with the same reason in one group, in line order. Absent when the
   * module's structure is unknown (the `llm` strategy, which runs no search).
   */
  readonly uncovered?: readonly UncoveredGroup[];
  /**
   * Tests not written: failing on the first run, failing a later run (flaky), disagreeing between the search's
   * runs (unstable), failing on a perturbed machine (`machine`: another time zone, locale, proxies or clock).
   */
  readonly dropped: {
    readonly failing: number;
    readonly flaky: number;
    readonly unstable: number;
    readonly machine?: number;
  };
  /**
   * Coverage of the written tests without the wrappers of the module's own doctest examples (absent when the file
   * has none): the figure that is ours alone.
   */
  readonly withoutDoctests?: CoverageSummary;
  /** The perturbed machines every written test also passed on (see `MACHINE_PERTURBATIONS`). */
  readonly machinePerturbations?: readonly string[];
  /**
   * Calls on well-typed input that ended in an error of the module's own code (`ZeroDivisionError`,
   * `UnboundLocalError`, ...): not pinned as behaviour; each with a strict-xfail test that shows it (written into
   * the test file only with `pinDefects`).
   */
  readonly suspectedDefects?: readonly OfflineSuspectedDefect[];
  readonly executions: number;
  readonly stoppedBy: string;
  readonly durationMs: number;
  /** Why the module has no tests, when it failed (e.g. it cannot be imported). */
  readonly error?: { readonly code: string; readonly message: string };
  /** Integration tests across the module's public API (LLM strategies), a file of their own. */
  readonly integrationTestFile?: string;
  /**
   * Per function: calls the search refused because they tried to write, delete, connect, spawn or signal
   * outside the sandbox ("side effects outside the sandbox: not tested offline"), with examples.
   */
  readonly outsideEffects?: OutsideEffects;
  /** What importing the module tried to do outside the sandbox. */
  readonly importEffects?: readonly string[];
  /** With `existingTests`: the coverage those tests alone give the module (`coverage` is theirs and ours together). */
  readonly existingTests?: CoverageSummary;
  /** Changed-code mode: the statements among the changed lines, and how many of them the tests cover. */
  readonly changedLines?: { readonly covered: number; readonly total: number; readonly missing: readonly number[] };
  readonly llm?: ModuleLlmReport;
  /** With `mutation`: the written suite against mutants of the module (score, by operator, the survivors). */
  readonly mutation?: ModuleMutationReport;
}

export interface GenerateTestsReport {
  readonly strategy: GenerationStrategy;
  /** Every file written (tests, conftest.py, reports), absolute. */
  readonly files: readonly string[];
  /** Union over all modules, as coverage.py counts it. */
  readonly coverage: CoverageSummary;
  readonly targetCoverage: number;
  readonly targetMet: boolean;
  readonly modules: readonly ModuleGenerationReport[];
  readonly durationMs: number;
  readonly reports: { readonly json: string; readonly markdown: string };
  /** Why the run stopped early (e.g. an LLM outage); the files listed were written before it. */
  readonly error?: { readonly code: string; readonly message: string };
  /** How the code under test was contained while it ran (absent when the embedder gave no containment policy). */
  readonly sandbox?: ContainmentStatus;
  /** The interpreter that ran the code under test (of the first module's project). */
  readonly python?: ProjectInterpreter;
  /** Changed-code mode: the reference, and the coverage of the changed statements over every module. */
  readonly changedSince?: { readonly ref: string; readonly covered: number; readonly total: number };
  /** With `existingTests`: the folder, and the coverage those tests alone give over every module. */
  readonly existingTests?: { readonly path: string; readonly coverage: CoverageSummary };
  /** Why the target was not met, one reason per entry (absent when it was met). */
  readonly targetMissedBecause?: readonly string[];
  /** With several modules: the ones that took longest, slowest first (at most five). */
  readonly slowest?: readonly { readonly module: string; readonly durationMs: number }[];
  /** Suspected defects were written into the test files as strict-xfail tests (`pinDefects`). */
  readonly pinnedDefects?: boolean;
  /** LLM strategies: which endpoint served the run, the fallbacks and why, each endpoint's context window. */
  readonly llm?: LlmRunReport;
  /** With `mutation`: mutants killed and run over every module, and the score. */
  readonly mutation?: MutationTotals;
}

/** A suspected defect found by the offline search (see `ModuleGenerationReport.suspectedDefects`). */
export interface OfflineSuspectedDefect {
  /** The callable that raised. */
  readonly subject: string;
  /** `ZeroDivisionError: division by zero`. */
  readonly error: string;
  /** The module's line that raised it. */
  readonly line?: number;
  /** The strict-xfail test that shows it. */
  readonly test: string;
}
