import type { CoverageReport } from '../value-objects/coverage-report.value-object';
import type { ModuleTarget } from '../value-objects/module-target.value-object';

/** How one test ended. `timeout` is a test killed for exceeding its time limit. */
export type TestOutcomeStatus = 'passed' | 'failed' | 'error' | 'skipped' | 'xfail' | 'xpass' | 'timeout';

export interface TestOutcome {
  /** pytest node id relative to the run directory, e.g. `test_cart.py::test_total_of_empty_cart`. */
  readonly nodeId: string;
  readonly status: TestOutcomeStatus;
  /** Cleaned failure text (no temp paths, no pytest chrome); absent when the test passed. */
  readonly error?: string;
  readonly durationMs: number;
}

/** A test file to run: written into the run's private temp directory under `name`. */
export interface TestFile {
  /** File name relative to the run directory, e.g. `test_cart.py`. */
  readonly name: string;
  readonly content: string;
}

export interface TestRunRequest {
  readonly target: ModuleTarget;
  /** Test files given as content (written to a private temp dir) ... */
  readonly testFiles?: readonly TestFile[];
  /** ... or as existing paths (files or folders) on disk. */
  readonly testPaths?: readonly string[];
  /** Files or folders under `testPaths` not to collect (pytest's `--ignore`), e.g. earlier generated tests. */
  readonly ignorePaths?: readonly string[];
  /** Limit per test, in milliseconds. */
  readonly perTestTimeoutMs?: number;
  /** Limit for the whole run, in milliseconds; the process group is killed past it. */
  readonly overallTimeoutMs?: number;
  /** Record which lines and branches each test covered (coverage.py dynamic contexts). */
  readonly perTestCoverage?: boolean;
  /**
   * Run only these node ids (others are deselected). An id also selects what it contains:
   * `test_cart.py::TestCart` selects its methods, `test_cart.py::test_total` its parametrized cases.
   */
  readonly select?: readonly string[];
  /**
   * Variables set for this run on top of the usual environment: a perturbed machine (another `TZ`, locale,
   * proxies), to find tests that pass only on this one.
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * The clock the tests see moved by this many seconds (libfaketime, when the machine has it; `clockShifted` in
   * the result says whether it was).
   */
  readonly clockShiftSeconds?: number;
  /**
   * Run the tests against this source of `target.file` instead of the file on disk (a mutant): the executor writes
   * it into a mirror of the import root inside the run's private folder (the module's siblings and packages linked
   * there, so imports of the rest of the project still work) and imports the module from there; the user's file is
   * never touched. The result's coverage is of that copy, reported under `target.file`.
   */
  readonly moduleSource?: string;
  /**
   * `false`: run pytest without coverage.py (quicker, when only the outcomes matter, e.g. a mutant's run); the
   * result's coverage then has no statement.
   */
  readonly measureCoverage?: boolean;
}

export interface TestRunResult {
  /**
   * One outcome per test that ran, in collection order. A test module that could not be imported appears as an
   * `error` outcome of its file node id (and in `collectionErrors`); a test that killed its process is `error`
   * (`timeout` when a time limit killed it) and the rest still ran. Tests that never started because the
   * overall limit was reached are absent (`timedOut` is then true).
   */
  readonly outcomes: readonly TestOutcome[];
  /** Coverage of exactly `target.file`, over the whole run. */
  readonly coverage: CoverageReport;
  /** Coverage of `target.file` per test node id, when `perTestCoverage` was asked for. */
  readonly perTest?: ReadonlyMap<string, CoverageReport>;
  /** Errors that stopped collection (syntax errors, import errors), cleaned. */
  readonly collectionErrors: readonly string[];
  /** True when the overall time limit killed the run. */
  readonly timedOut: boolean;
  readonly durationMs: number;
  /** Whether `clockShiftSeconds` was applied (absent when it was not asked for). */
  readonly clockShifted?: boolean;
}

/**
 * Runs pytest under coverage.py (branch coverage on) against the user's real module, in a subprocess of the
 * project's Python venv, contained (temp dir, scrubbed env, limits). Hostile tests are classified, never fatal.
 * Throws `EnvironmentError` when Python or its packages are unusable.
 */
export interface TestExecutor {
  run(request: TestRunRequest): Promise<TestRunResult>;
}

/**
 * Whether pytest node `id` belongs to the test whose node id is `caseNodeId`: the node itself, one of its
 * parametrized instances (`[...]`), or a node under it (`::` — methods of a class).
 */
export function isNodeOf(id: string, caseNodeId: string): boolean {
  return id === caseNodeId || id.startsWith(`${caseNodeId}[`) || id.startsWith(`${caseNodeId}::`);
}
