import {
  CoverageReport,
  TestAgentError,
  noopMetrics,
  silentLogger,
  type Logger,
  type Metrics,
  type ModuleTarget,
  type TestCase,
  type TestExecutor,
} from '@test-agent/domain';
import type { TestFileAssembler } from '../../services/test-file-assembler/test-file-assembler.service';
import { finaliseLimits, pytestLimits, withExistingCoverage, type GenerateTestsRequest } from '../generation-request';
import type { ModuleTestWriter } from '../module-test-writer.service';
import type { ModuleGenerationReport } from '../report/generation-report';
import { changedCoverage, emptyReport } from '../report/report-facts';
import type { FinalSuite, SuiteFinaliser } from '../suite-finaliser.service';
import type { TestGenerationStrategy } from './generation-strategy';
import {
  offlineFacts,
  sandboxFacts,
  uncoveredFacts,
  type OfflineValidation,
  type ValidatedOfflineTests,
} from './offline-validation.service';

export interface OfflineStrategyDependencies {
  readonly validation: OfflineValidation;
  readonly finaliser: SuiteFinaliser;
  readonly writer: ModuleTestWriter;
  /** Runs the suite without the doctest wrappers (the coverage that is ours alone). */
  readonly executor: TestExecutor;
  readonly assembler: TestFileAssembler;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly now?: () => number;
}

/** The offline search engine alone: search, validation runs, the final suite, one test file per module. */
export class OfflineStrategy implements TestGenerationStrategy {
  readonly name = 'offline' as const;
  private readonly logger: Logger;
  private readonly metrics: Metrics;
  private readonly now: () => number;

  constructor(private readonly deps: OfflineStrategyDependencies) {
    this.logger = deps.logger ?? silentLogger;
    this.metrics = deps.metrics ?? noopMetrics;
    this.now = deps.now ?? (() => Date.now());
  }

  async generate(target: ModuleTarget, request: GenerateTestsRequest, many: boolean): Promise<ModuleGenerationReport> {
    const started = this.now();
    const phase = await this.deps.validation.run(target, request, many);
    if (phase.kind === 'skipped') return phase.report;
    const { cases, lastRun, failing, flaky, machine, generation } = phase;
    const base = {
      ...emptyReport(target, 0),
      ...sandboxFacts(generation),
      ...offlineFacts(phase, request),
      executions: generation.search.executions,
      stoppedBy: generation.search.stoppedBy,
    };
    const dropped = (polluted: number) => ({
      failing: failing + polluted,
      flaky,
      unstable: generation.unstable,
      machine,
    });
    if (cases.length === 0 || !lastRun) {
      const nothing = CoverageReport.empty(generation.search.coverage);
      return {
        ...base,
        ...covered(nothing),
        ...uncoveredFacts(generation, nothing, false),
        dropped: dropped(0),
        durationMs: this.now() - started,
      };
    }
    // The same last step as the LLM strategies: the suite together once more, then coverage-preserving minimisation.
    const suite = await this.finalSuite(target, request, many, phase);
    if (suite instanceof TestAgentError)
      return emptyReport(target, this.now() - started, { code: suite.code, message: suite.message });
    const coverage = suite.coverage ?? CoverageReport.empty(lastRun.run.coverage);
    if (suite.unit.length === 0)
      return {
        ...base,
        ...covered(coverage),
        ...uncoveredFacts(generation, coverage, false),
        dropped: dropped(suite.polluted),
        durationMs: this.now() - started,
      };
    const written = await this.deps.writer.write(target, request, suite.unit, { coverage });
    const withoutDoctests = await this.coverageWithoutDoctests(target, request, suite.unit, coverage);
    this.logger.info('Tests written', {
      module: target.moduleName,
      file: written.path,
      action: written.action,
      tests: suite.unit.length,
      minimised: suite.minimised,
      combined: Number(coverage.combinedPercent.toFixed(1)),
    });
    const counted = withExistingCoverage(request, coverage);
    recordCoverage(this.metrics, counted);
    this.metrics.observe('test_agent_test_generation_duration_seconds', (this.now() - started) / 1000, {
      generator: 'offline',
    });
    return {
      ...base,
      testFile: written.path,
      writeAction: written.action,
      tests: suite.unit.length,
      ...covered(counted),
      ...uncoveredFacts(generation, counted, true),
      dropped: dropped(suite.polluted),
      durationMs: this.now() - started,
      // Like the module's figure, with what the project's own tests cover (`existingTests`).
      ...(withoutDoctests ? { withoutDoctests: withExistingCoverage(request, withoutDoctests).summary() } : {}),
      ...changedCoverage(counted, request.changedLines?.get(target.file)),
      ...(suite.mutation ? { mutation: suite.mutation } : {}),
    };
  }

  /**
   * The suite as written (the validation's passing run of exactly these cases is its first run together). A defect
   * of ours in it is returned in a folder, where the other modules still run (this one says why it has no tests).
   */
  private async finalSuite(
    target: ModuleTarget,
    request: GenerateTestsRequest,
    many: boolean,
    { cases, lastRun }: ValidatedOfflineTests,
  ): Promise<FinalSuite | TestAgentError> {
    try {
      return await this.deps.finaliser.finalise(target, cases, [], finaliseLimits(request), lastRun);
    } catch (e) {
      if (!many || !(e instanceof TestAgentError) || e.kind !== 'internal') throw e;
      this.logger.error('The final suite failed; skipping the module', { module: target.moduleName, error: e.message });
      return e;
    }
  }

  /**
   * The written suite's coverage without the wrappers of the module's own doctest examples (those are the
   * author's tests, not ours): one more pytest run, only when the suite has such wrappers.
   */
  private async coverageWithoutDoctests(
    target: ModuleTarget,
    request: GenerateTestsRequest,
    cases: readonly TestCase[],
    coverage: CoverageReport,
  ): Promise<CoverageReport | undefined> {
    const ours = cases.filter((c) => !c.doctest);
    if (ours.length === cases.length) return undefined;
    if (ours.length === 0) return CoverageReport.empty(coverage);
    const file = this.deps.assembler.assemble(target, ours);
    const result = await this.deps.executor.run({
      target,
      testFiles: [{ name: file.name, content: file.content }],
      ...pytestLimits(request),
    });
    return result.coverage;
  }
}

/** A report's coverage fields. */
export function covered(coverage: CoverageReport): Pick<ModuleGenerationReport, 'coverage' | 'missingLines'> {
  return { coverage: coverage.summary(), missingLines: coverage.missingLines };
}

/** The coverage gauges of a module's written tests. */
export function recordCoverage(metrics: Metrics, coverage: CoverageReport): void {
  const summary = coverage.summary();
  metrics.observe('test_agent_coverage_percentage', summary.percent.line, { kind: 'line' });
  metrics.observe('test_agent_coverage_percentage', summary.percent.branch, { kind: 'branch' });
  metrics.observe('test_agent_coverage_percentage', summary.percent.combined, { kind: 'combined' });
}
