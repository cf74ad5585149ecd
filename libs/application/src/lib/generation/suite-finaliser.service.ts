import {
  isNodeOf,
  silentLogger,
  TestAgentError,
  type CoverageReport,
  type Logger,
  type ModuleTarget,
  type TestCase,
  type TestRunResult,
} from '@test-agent/domain';
import {
  caseOutcome,
  type FlakinessChecker,
  type PollutionCheckOptions,
} from '../services/flakiness-checker/flakiness-checker.service';
import { perCaseCoverage, type TestDeduplicator } from '../services/test-deduplicator/test-deduplicator.service';
import type { AssembledTestFile, TestFileAssembler } from '../services/test-file-assembler/test-file-assembler.service';
import { integrationFileName } from './module-test-writer.service';
import type { MutationBudget, MutationTester } from './mutation/mutation-tester.service';
import type { ModuleMutationReport } from './mutation/mutation-report';

/** A module's suite as it is written: what passed together, minimised, and what coverage.py measured on it. */
export interface FinalSuite {
  readonly unit: readonly TestCase[];
  readonly integration: readonly TestCase[];
  /** Coverage of exactly these files run together; absent when nothing was kept. */
  readonly coverage?: CoverageReport;
  /** Tests that passed alone but failed when the suite ran together (dropped). */
  readonly polluted: number;
  /** Unit tests removed as duplicates or because others cover their lines and branches. */
  readonly minimised: number;
  /** Mutation testing of exactly these files, when it was asked for and something was kept. */
  readonly mutation?: ModuleMutationReport;
}

/**
 * A run the caller already made of exactly the unit cases, assembled alone into `file`, with per-test coverage,
 * in which every case passed (and passed again in the caller's reruns): the suite's first run together.
 */
export interface PassedRun {
  readonly run: TestRunResult;
  readonly file: AssembledTestFile;
}

/** The limits of the finaliser's pytest runs, and mutation testing's budget when it is asked for. */
export interface FinaliseLimits {
  readonly perTestTimeoutMs: number;
  readonly overallTimeoutMs: number;
  readonly mutation?: MutationBudget;
}

/**
 * The last step of every strategy: the unit and integration files run together (again and again, dropping what
 * fails there: test pollution, `FlakinessChecker.checkPollution`), then the unit tests that are duplicates or whose
 * lines and branches others cover are removed (`TestDeduplicator`), and the final files run once more: the coverage
 * returned is what coverage.py measured on exactly the files written. With a mutation budget (and a
 * `MutationTester`), those files are then run against mutants of the module (`ModuleMutationReport`).
 */
export class SuiteFinaliser {
  constructor(
    private readonly checker: FlakinessChecker,
    private readonly deduplicator: TestDeduplicator,
    private readonly assembler: TestFileAssembler,
    private readonly logger: Logger = silentLogger,
    private readonly mutation?: MutationTester,
  ) {}

  /**
   * Throws `TA_MINIMISED_SUITE_FAILED` when the minimised suite fails, `TA_FINAL_SUITE_FAILED` when the final run
   * has an outcome no kept test explains (or a collection error), and what the executor throws. With `passed` (and
   * no integration cases) that run stands for the first run together, which is not made again.
   */
  async finalise(
    target: ModuleTarget,
    unitCases: readonly TestCase[],
    integrationCases: readonly TestCase[],
    { mutation: budget, ...limits }: FinaliseLimits,
    passed?: PassedRun,
  ): Promise<FinalSuite> {
    const fileName = integrationFileName(this.assembler, target);
    const options = (integration: readonly TestCase[], maxRounds: number): PollutionCheckOptions => ({
      ...limits,
      maxRounds,
      ...(integration.length ? { beside: { cases: integration, fileName } } : {}),
    });
    const together =
      passed && integrationCases.length === 0 && this.passedAlone(target, passed, unitCases)
        ? { kept: unitCases, keptBeside: [], polluted: [], finalRun: passed.run, finalFiles: [passed.file] }
        : await this.checker.checkPollution(target, unitCases, options(integrationCases, Infinity));
    const polluted = together.polluted.length;
    if (polluted > 0) {
      this.logger.warn('Tests that pass alone failed in the suite; dropped', {
        module: target.moduleName,
        tests: together.polluted.map((p) => p.testCase.name),
      });
    }
    if (!together.finalRun || !together.finalFiles) return { unit: [], integration: [], polluted, minimised: 0 };
    const integration = together.keptBeside;
    let unit = together.kept;
    let run = together.finalRun;
    let files = together.finalFiles;
    const smaller = unit.length > 1 ? this.minimise(unit, run, files[0]) : unit;
    const minimised = unit.length - smaller.length;
    if (minimised > 0) {
      unit = smaller;
      const again = await this.checker.checkPollution(target, unit, options(integration, 1));
      if (again.polluted.length > 0 || !again.finalRun || !again.finalFiles) {
        throw new TestAgentError(
          'TA_MINIMISED_SUITE_FAILED',
          'internal',
          `The minimised suite of ${target.moduleName} failed: ${again.polluted.map((p) => p.testCase.name).join(', ')}`,
        );
      }
      run = again.finalRun;
      files = again.finalFiles;
    }
    checkEveryOutcome(target, run, files);
    const mutation =
      budget && this.mutation
        ? await this.mutation.test(target, { files, coverage: run.coverage, run }, budget, limits)
        : undefined;
    return { unit, integration, coverage: run.coverage, polluted, minimised, ...(mutation ? { mutation } : {}) };
  }

  /** Whether `passed` is a passing run, with each test's coverage, of `cases` assembled alone: this very file. */
  private passedAlone(target: ModuleTarget, passed: PassedRun, cases: readonly TestCase[]): boolean {
    return passed.file.content === this.assembler.assemble(target, cases).content && everyCasePassed(passed, cases);
  }

  /**
   * The unit cases the minimisation keeps, by what each covered in `run` (`file` is their assembled file). A pinned
   * defect stays and counts for nothing here: it checks a behaviour the others do not, and a failing test's lines
   * must not stand in for a passing one's.
   */
  private minimise(unit: readonly TestCase[], run: TestRunResult, file: AssembledTestFile): readonly TestCase[] {
    const emitted = file.cases;
    const { kept } = this.deduplicator.minimise(
      emitted.filter((c) => !c.expectedFailure),
      perCaseCoverage(run, file.nodeIds),
    );
    const keptNames = new Set([
      ...kept.map((c) => c.name),
      ...emitted.filter((c) => c.expectedFailure).map((c) => c.name),
    ]);
    // The assembler renames duplicate names; emitted cases map back by position.
    return unit.filter((_, i) => keptNames.has(emitted[i].name));
  }
}

/** Whether `run` had each test's coverage and every case of `file` (`cases`, assembled) passed. */
function everyCasePassed({ run, file }: PassedRun, cases: readonly TestCase[]): boolean {
  return (
    run.perTest !== undefined &&
    run.collectionErrors.length === 0 &&
    file.cases.length === cases.length &&
    file.cases.every(
      (c, i) => caseOutcome(run, file.nodeIds.get(c.name) as string, cases[i].expectedFailure).status === 'passed',
    )
  );
}

/** Every outcome of the final run belongs to a kept test (which passed): anything else is a defect of ours. */
function checkEveryOutcome(target: ModuleTarget, run: TestRunResult, files: readonly AssembledTestFile[]): void {
  const nodeIds = files.flatMap((f) => [...f.nodeIds.values()]);
  const unexpected = run.outcomes.filter(
    (o) => !nodeIds.some((nodeId) => isNodeOf(o.nodeId, nodeId)) && o.status !== 'passed',
  );
  if (unexpected.length > 0 || run.collectionErrors.length > 0) {
    throw new TestAgentError(
      'TA_FINAL_SUITE_FAILED',
      'internal',
      `The final suite of ${target.moduleName} has failing tests: ${unexpected.map((o) => o.nodeId).join(', ') || run.collectionErrors[0]}`,
    );
  }
}
