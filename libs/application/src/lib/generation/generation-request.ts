import type { CoverageReport } from '@test-agent/domain';
import type { LlmProgressEvent } from '../orchestrators/llm-test-generation.orchestrator';
import { MACHINE_PERTURBATIONS, type MachinePerturbation } from '../services/flakiness-checker/machine-perturbations';
import type { TestFilePlace } from '../use-cases/test-file-layout';
import type { MutationBudget } from './mutation/mutation-tester.service';
import type { ModuleGenerationReport } from './report/generation-report';

/** Where tests come from: the offline search engine, an LLM, or both (offline first, the LLM on the gaps). */
export type GenerationStrategy = 'offline' | 'llm' | 'hybrid';

export interface GenerateTestsRequest {
  /** A Python file, or a folder searched for modules. */
  readonly path: string;
  /** Folder the test files and reports are written to. */
  readonly outDir: string;
  /** Search budget per module, in seconds. */
  readonly timeBudgetSeconds: number;
  /** Offline search: limit of one call of the code under test, ms (default 1,000). */
  readonly callTimeoutMs?: number;
  /** Line+branch coverage target, percent (0-100). */
  readonly targetCoverage: number;
  readonly strategy?: GenerationStrategy;
  /** Overwrite existing test files that Test Agent did not write. */
  readonly force?: boolean;
  /** Passing runs in a row every kept test must survive (flakiness check); at least 1. */
  readonly flakyRuns?: number;
  /**
   * Offline tests must also pass on perturbed machines (another time zone, locale, proxies, the clock a day on):
   * one more run on each (`MACHINE_PERTURBATIONS`). On by default.
   */
  readonly perturbMachine?: boolean;
  /** Suspected defects go into the test file as strict-xfail tests (they are always reported). */
  readonly pinDefects?: boolean;
  readonly seed?: number;
  /** LLM strategies: rounds over the chunks with gaps (default 3). */
  readonly maxIterations?: number;
  /** LLM strategies: prompt + completion tokens one module may spend (default 200,000). */
  readonly maxTokens?: number;
  /** LLM strategies: wall-time budget of one module's LLM phase, in seconds (default 600). */
  readonly timeoutSeconds?: number;
  /** LLM strategies: repair attempts per failing test (default 3). */
  readonly repairAttempts?: number;
  /** LLM strategies: continue an interrupted run from its checkpoint. */
  readonly resume?: boolean;
  /** Live progress of the LLM phase (chunk by chunk). */
  readonly onProgress?: (module: string, event: LlmProgressEvent) => void;
  /** Live progress over the modules: each one as it starts and as it is done. */
  readonly onModule?: (event: ModuleProgressEvent) => void;
  /** Limit per test of every pytest run, ms (the `testTimeoutMs` setting; default 10,000). */
  readonly perTestTimeoutMs?: number;
  /** Limit of one pytest run, ms (the `testRunTimeoutMs` setting; default 300,000). */
  readonly runTimeoutMs?: number;
  /** Modules generated at once (default 1). */
  readonly jobs?: number;
  /** Changed-code mode: only modules changed since this version-control reference (e.g. `HEAD~1`, `main`). */
  readonly changedSince?: string;
  /** Set by `execute` in changed-code mode: file → its changed lines. */
  readonly changedLines?: ReadonlyMap<string, readonly number[]>;
  /**
   * The project's own tests (a folder or file): their coverage is the baseline, and the search aims only at what
   * they leave uncovered. Test files under `outDir` are left out of it (they are about to be replaced).
   */
  readonly existingTests?: string;
  /** Set per module: the coverage `existingTests` give the module being generated. */
  readonly existingCoverage?: CoverageReport;
  /**
   * Mutation testing of each module's written suite (`ModuleGenerationReport.mutation`): at most `maxMutants`
   * mutants on the covered lines, run in the sandbox within the module's time budget once more.
   */
  readonly mutation?: boolean;
  /** Mutants run per module at most with `mutation` (default 60). */
  readonly maxMutants?: number;
  /** Set by `execute`: file → where its tests go in the output folder (a tree mirroring the packages). */
  readonly testPlaces?: ReadonlyMap<string, TestFilePlace>;
}

/** A module of a run starting, or done (`done` of `of` are done then). */
export type ModuleProgressEvent =
  | { readonly type: 'start'; readonly module: string; readonly of: number }
  | {
      readonly type: 'done';
      readonly module: string;
      readonly done: number;
      readonly of: number;
      readonly report: ModuleGenerationReport;
    };

/** Per-test and per-run limits of pytest runs, from the request or the defaults. */
export function pytestLimits(request: GenerateTestsRequest): { perTestTimeoutMs: number; overallTimeoutMs: number } {
  return { perTestTimeoutMs: request.perTestTimeoutMs ?? 10_000, overallTimeoutMs: request.runTimeoutMs ?? 300_000 };
}

/** Mutants run per module at most, unless the request says otherwise. */
export const DEFAULT_MAX_MUTANTS = 60;

/** The suite finaliser's limits: the pytest limits and, with `mutation`, mutation testing's budget. */
export function finaliseLimits(request: GenerateTestsRequest): {
  perTestTimeoutMs: number;
  overallTimeoutMs: number;
  mutation?: MutationBudget;
} {
  if (!request.mutation) return pytestLimits(request);
  const mutation = {
    maxMutants: request.maxMutants ?? DEFAULT_MAX_MUTANTS,
    budgetMs: request.timeBudgetSeconds * 1000,
  };
  return { ...pytestLimits(request), mutation };
}

/** The perturbed machines a request's tests must also pass on. */
export function perturbationsOf(request: GenerateTestsRequest): readonly MachinePerturbation[] {
  return request.perturbMachine === false ? [] : MACHINE_PERTURBATIONS;
}

/** Passing runs in a row every kept test must survive (at least 1). */
export function flakyRunsOf(request: GenerateTestsRequest): number {
  return Math.max(1, request.flakyRuns ?? 5);
}

/** `coverage` with what the project's own tests cover added (with `existingTests`). */
export function withExistingCoverage(request: GenerateTestsRequest, coverage: CoverageReport): CoverageReport {
  return request.existingCoverage ? coverage.union(request.existingCoverage) : coverage;
}
