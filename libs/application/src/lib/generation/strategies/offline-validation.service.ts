import {
  InvalidInputError,
  silentLogger,
  TestAgentError,
  type CoverageReport,
  type Logger,
  type ModuleTarget,
  type TestCase,
  type TestExecutor,
  type TestRunResult,
} from '@test-agent/domain';
import type {
  OfflineGeneration,
  OfflineTestGenerator,
} from '../../services/offline-search/offline-test-generator.service';
import { caseOutcome, inPool } from '../../services/flakiness-checker/flakiness-checker.service';
import { onMachine, type MachinePerturbation } from '../../services/flakiness-checker/machine-perturbations';
import type {
  AssembledTestFile,
  TestFileAssembler,
} from '../../services/test-file-assembler/test-file-assembler.service';
import { flakyRunsOf, perturbationsOf, pytestLimits, type GenerateTestsRequest } from '../generation-request';
import type { ModuleGenerationReport } from '../report/generation-report';
import type { PassedRun } from '../suite-finaliser.service';
import { emptyReport } from '../report/report-facts';
import { whyNotCovered } from '../report/why-not-covered';

/** The offline engine's validated result for one module, or the report of a module that was skipped. */
export type OfflinePhase =
  { readonly kind: 'skipped'; readonly report: ModuleGenerationReport } | ValidatedOfflineTests;

export interface ValidatedOfflineTests {
  readonly kind: 'done';
  readonly cases: readonly TestCase[];
  /**
   * The passing first run of the last round (per-test coverage on), with its file: `cases` assembled alone, every
   * one passed there and in every later run (its coverage is the validated tests'). Absent when none passed.
   */
  readonly lastRun?: PassedRun;
  readonly failing: number;
  readonly flaky: number;
  /** Tests that passed here but failed on a perturbed machine (`MACHINE_PERTURBATIONS`). */
  readonly machine: number;
  /** The perturbations the kept tests passed under. */
  readonly perturbations: readonly string[];
  /** Suspected defects, as the last rendered file describes them. */
  readonly defects: ReturnType<OfflineGeneration['render']>['defects'];
  readonly generation: OfflineGeneration;
}

/** pytest runs of one module's validation in flight at once (each is one Python process). */
const VALIDATION_RUNS_AT_ONCE = 2;
/** A pytest run of one module's tests before any was measured (2-core machine, bubblewrap, coverage.py). */
const DEFAULT_PYTEST_RUN_MS = 1500;
/** The search's least share of a module's budget, in ms. */
const MIN_SEARCH_MS = 5000;
/** Tests a validation run of `DEFAULT_PYTEST_RUN_MS` holds; each test beyond adds `pytestTestMs` to every run. */
const SMALL_SUITE_TESTS = 80;
/** What one more test adds to a pytest run before any large suite was measured (coverage.py on), in ms. */
const DEFAULT_PYTEST_TEST_MS = 10;
/** The most one test is taken to add to a run, in ms. */
const MAX_PYTEST_TEST_MS = 50;
/** Rounds of "run, drop what failed" before the validation gives up stabilising. */
const MAX_VALIDATION_ROUNDS = 6;

/** One validation run of the rendered file: the result, the cases that did not pass, the machine it ran on. */
interface ValidationRun {
  readonly result: TestRunResult;
  readonly failed: readonly string[];
  readonly perturbation?: MachinePerturbation;
}

/**
 * The offline engine on one module (used by the offline and hybrid strategies): search, then run the rendered file,
 * dropping tests that fail, until a full streak of `flakyRuns` passing runs and one passing run on each perturbed
 * machine. In a folder, a module that cannot be imported is skipped.
 */
export class OfflineValidation {
  /** How long one pytest run of a module's tests takes here (moving average of the runs so far). */
  private pytestRunMs = DEFAULT_PYTEST_RUN_MS;
  /** What each test beyond `SMALL_SUITE_TESTS` adds to a run (moving average over the large suites run so far). */
  private pytestTestMs = DEFAULT_PYTEST_TEST_MS;

  constructor(
    private readonly offline: OfflineTestGenerator,
    private readonly executor: TestExecutor,
    private readonly assembler: TestFileAssembler,
    private readonly logger: Logger = silentLogger,
    private readonly now: () => number = () => Date.now(),
  ) {}

  async run(target: ModuleTarget, request: GenerateTestsRequest, many: boolean): Promise<OfflinePhase> {
    const started = this.now();
    const skipped = (e: TestAgentError): OfflinePhase => ({
      kind: 'skipped',
      report: emptyReport(target, this.now() - started, { code: e.code, message: e.message }),
    });
    let generation: OfflineGeneration;
    try {
      generation = await this.offline.generate(target, {
        ...this.budgets(request, perturbationsOf(request).length),
        seed: request.seed,
        callTimeoutMs: request.callTimeoutMs,
        pinDefects: request.pinDefects,
        focusLines: request.changedLines?.get(target.file),
        coveredBefore: coveredBy(request.existingCoverage),
      });
    } catch (e) {
      // In a folder, one module that cannot be imported must not stop the others.
      if (!many || !(e instanceof InvalidInputError)) throw e;
      // Reported in the module's row and the summary; a warning line would say it a third time.
      this.logger.info('Skipping a module', { module: target.moduleName, error: e.message });
      return skipped(e);
    }
    if (generation.search.coverage.lines.total === 0) {
      const empty = new InvalidInputError('TA_EMPTY_MODULE', `${target.file} has no statements to test`);
      if (!many) throw empty;
      return skipped(empty);
    }
    const validated = await this.validate(target, request, generation);
    if (!(validated instanceof TestAgentError)) return validated;
    // A defect of ours for this module: in a folder the others still run, and this one says why it has no tests.
    if (!many) throw validated;
    this.logger.error('The generated test file could not be collected; skipping the module', {
      module: target.moduleName,
      error: validated.message,
    });
    return skipped(validated);
  }

  /**
   * Runs the file once; drops what fails and runs again. Then the repeated runs and one run on each perturbed
   * machine, side by side: what fails in any of them is dropped and the whole check starts again. Returns the
   * error of a rendered file that cannot be collected.
   */
  private async validate(
    target: ModuleTarget,
    request: GenerateTestsRequest,
    generation: OfflineGeneration,
  ): Promise<ValidatedOfflineTests | TestAgentError> {
    const exclude = new Set<string>();
    const counts = { failing: 0, flaky: 0, machine: 0 };
    const perturbed = new Set<string>();
    let lastRun: PassedRun | undefined;
    let cases: readonly TestCase[] = [];
    let lastFile: ReturnType<OfflineGeneration['render']> | undefined;
    for (let round = 0; round < MAX_VALIDATION_ROUNDS; round++) {
      const file = generation.render(exclude);
      cases = file.cases;
      if (cases.length === 0) break;
      lastFile = file;
      const assembled = this.assembler.assemble(target, cases);
      const runOnce = (perturbation: MachinePerturbation | undefined, measureCoverage: boolean) =>
        this.runOnce(target, request, assembled, cases, perturbed, { perturbation, measureCoverage });
      // The first run measures each test's coverage: when the later runs pass too, the suite's finalisation
      // starts from it (the minimisation reads it) instead of running the same file once more.
      const first = await this.runOnce(target, request, assembled, cases, perturbed, {
        measureCoverage: true,
        perTestCoverage: true,
      });
      if (first.result.collectionErrors.length > 0) return brokenFile(target, first.result);
      lastRun = undefined;
      if (first.failed.length) {
        for (const name of first.failed) exclude.add(name);
        counts.failing += first.failed.length;
        this.logger.debug('Dropping tests that did not pass', {
          module: target.moduleName,
          tests: first.failed,
          run: 0,
        });
        continue;
      }
      lastRun = { run: first.result, file: assembled };
      const later = await this.laterRuns(request, runOnce);
      if (later.flaky.size === 0 && later.machine.size === 0) break;
      for (const name of [...later.flaky, ...later.machine]) exclude.add(name);
      counts.flaky += later.flaky.size;
      counts.machine += later.machine.size;
      this.logger.debug('Dropping tests that did not pass every run', {
        module: target.moduleName,
        flaky: [...later.flaky],
        otherMachine: [...later.machine],
      });
      lastRun = undefined;
    }
    return {
      kind: 'done',
      cases,
      ...(lastRun ? { lastRun } : {}),
      ...counts,
      perturbations: [...perturbed],
      defects: lastFile?.defects ?? [],
      generation,
    };
  }

  /**
   * The repeated runs and one run on each perturbed machine, two at a time: the names that failed in each kind.
   * Only their outcomes count (the coverage is the first run's), so coverage.py does not run in them.
   */
  private async laterRuns(
    request: GenerateTestsRequest,
    runOnce: (perturbation: MachinePerturbation | undefined, measureCoverage: boolean) => Promise<ValidationRun>,
  ): Promise<{ flaky: Set<string>; machine: Set<string> }> {
    const plans: (MachinePerturbation | undefined)[] = [
      ...Array.from({ length: flakyRunsOf(request) - 1 }, () => undefined),
      ...perturbationsOf(request),
    ];
    const later = await inPool(plans, VALIDATION_RUNS_AT_ONCE, (perturbation) => runOnce(perturbation, false));
    const flaky = new Set(later.filter((r) => !r.perturbation).flatMap((r) => r.failed));
    const machine = new Set(
      later
        .filter((r) => r.perturbation)
        .flatMap((r) => r.failed)
        .filter((n) => !flaky.has(n)),
    );
    return { flaky, machine };
  }

  /**
   * One pytest run of the assembled file (on a perturbed machine when given; without coverage.py when
   * `measureCoverage` is false, with each test's coverage with `perTestCoverage`), the perturbation noted.
   */
  private async runOnce(
    target: ModuleTarget,
    request: GenerateTestsRequest,
    assembled: AssembledTestFile,
    cases: readonly TestCase[],
    perturbed: Set<string>,
    {
      perturbation,
      measureCoverage,
      perTestCoverage,
    }: { perturbation?: MachinePerturbation; measureCoverage: boolean; perTestCoverage?: boolean },
  ): Promise<ValidationRun> {
    const result = await this.executor.run({
      target,
      testFiles: [{ name: assembled.name, content: assembled.content }],
      ...pytestLimits(request),
      ...onMachine(perturbation),
      ...(measureCoverage ? {} : { measureCoverage: false }),
      ...(perTestCoverage ? { perTestCoverage } : {}),
    });
    this.pytestRunMs = 0.5 * this.pytestRunMs + 0.5 * result.durationMs;
    // What a test costs in a large suite's run: its share of the whole run (which overstates it by the run's fixed
    // part), within bounds, so one slow run on a loaded machine cannot starve the next module's search.
    if (cases.length > SMALL_SUITE_TESTS) {
      const perTest = Math.min(MAX_PYTEST_TEST_MS, Math.max(1, result.durationMs / cases.length));
      this.pytestTestMs = 0.5 * this.pytestTestMs + 0.5 * perTest;
    }
    if (perturbation)
      perturbed.add(
        perturbation.clockShiftSeconds && !result.clockShifted
          ? `${perturbation.name} (clock not moved: libfaketime not found)`
          : perturbation.name,
      );
    // A case that failed, did not run, or (a pinned defect) did not fail as its strict xfail mark says; the
    // assembler may rename cases, so they map back by position.
    const failed = assembled.cases
      .filter(
        (c) => caseOutcome(result, assembled.nodeIds.get(c.name) as string, c.expectedFailure).status !== 'passed',
      )
      .map((c) => cases[assembled.cases.indexOf(c)].name);
    if (perturbation && result.collectionErrors.length > 0) {
      // The file does not even import on that machine: every test fails there, and the report says why.
      this.logger.warn('The generated tests do not import on a perturbed machine; dropping them', {
        module: target.moduleName,
        machine: perturbation.name,
        error: result.collectionErrors[0],
      });
    }
    return { result, failed, ...(perturbation ? { perturbation } : {}) };
  }

  /**
   * The time budget is the module's wall time: the search gets what is left after the simplification and the
   * validation runs it will need (first run, the repeated and perturbed runs two at a time, the minimised suite's
   * re-run), estimated from how long pytest runs took so far; at least 5 s (the whole budget when it is
   * smaller: a budget that small cannot cover the validation anyway). A large suite makes each of those runs longer:
   * the search stops early enough for that too (`reserveMs`, from what each test added to earlier runs).
   */
  private budgets(
    request: GenerateTestsRequest,
    perturbations: number,
  ): {
    timeBudgetMs: number;
    simplifyBudgetMs: number;
    importTimeoutMs: number;
    reserveMs: (tests: number) => number;
  } {
    const budgetMs = request.timeBudgetSeconds * 1000;
    const runs = flakyRunsOf(request);
    const slots = 1 + Math.ceil((runs - 1 + perturbations) / VALIDATION_RUNS_AT_ONCE) + 1;
    const validationMs = this.pytestRunMs * slots;
    const simplifyBudgetMs = Math.min(12_000, Math.max(1000, budgetMs * 0.15));
    const searchMs = Math.max(Math.min(budgetMs, MIN_SEARCH_MS), budgetMs - validationMs - simplifyBudgetMs);
    const testMs = this.pytestTestMs;
    return {
      timeBudgetMs: searchMs,
      simplifyBudgetMs,
      importTimeoutMs: Math.max(10_000, budgetMs / 2),
      reserveMs: (tests) => slots * Math.max(0, tests - SMALL_SUITE_TESTS) * testMs,
    };
  }
}

/** The error of a generated file pytest could not collect. */
function brokenFile(target: ModuleTarget, result: TestRunResult): TestAgentError {
  return new TestAgentError(
    'TA_GENERATED_FILE_BROKEN',
    'internal',
    `The generated test file for ${target.moduleName} could not be collected: ${result.collectionErrors[0]}`,
    { details: { module: target.moduleName } },
  );
}

/** The search's `coveredBefore`: what `existing` coverage reaches. */
function coveredBy(
  existing: CoverageReport | undefined,
): { lines: number[]; branches: CoverageReport['coveredBranches'] } | undefined {
  return existing ? { lines: existing.coveredLines, branches: existing.coveredBranches } : undefined;
}

/** What the offline phase adds to a module's report: the perturbed machines and the suspected defects. */
export function offlineFacts(
  phase: ValidatedOfflineTests,
  request: GenerateTestsRequest,
): Pick<ModuleGenerationReport, 'machinePerturbations' | 'suspectedDefects'> {
  // Pinned, a defect is reported when its strict-xfail test held (validation drops one that did not).
  const kept = new Set(phase.cases.map((c) => c.name));
  const defects = phase.defects
    .filter((d) => !request.pinDefects || kept.has(d.name))
    .map((d) => ({
      subject: d.subject,
      error: d.error,
      ...(d.line !== undefined ? { line: d.line } : {}),
      test: d.source,
    }));
  return {
    ...(phase.perturbations.length && phase.cases.length ? { machinePerturbations: phase.perturbations } : {}),
    ...(defects.length ? { suspectedDefects: defects } : {}),
  };
}

/** What the search was kept from doing outside the sandbox, for the module's report (omitted when nothing). */
export function sandboxFacts(
  generation: OfflineGeneration,
): Pick<ModuleGenerationReport, 'outsideEffects' | 'importEffects'> {
  return {
    ...(Object.keys(generation.outsideEffects).length ? { outsideEffects: generation.outsideEffects } : {}),
    ...(generation.importEffects.length ? { importEffects: generation.importEffects } : {}),
  };
}

/**
 * Why each line and branch `coverage` misses is not covered, from the module's structure and the search's calls
 * (`testsKept` false: no test was kept, so only importing the module ran it); nothing when the sandbox gave no
 * structure.
 */
export function uncoveredFacts(
  generation: OfflineGeneration,
  coverage: CoverageReport,
  testsKept: boolean,
): Pick<ModuleGenerationReport, 'uncovered'> {
  const { module, search, outsideEffects } = generation;
  if (!module.structure) return {};
  const uncovered = whyNotCovered(coverage, {
    structure: module.structure,
    callables: module.callables,
    imported: module.baseline,
    outsideEffects,
    calls: search.calls,
    callTimeoutMs: search.callTimeoutMs,
    testsKept,
  });
  return { uncovered };
}
