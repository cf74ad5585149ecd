import {
  CoverageReport,
  InvalidInputError,
  LlmError,
  noopMetrics,
  silentLogger,
  TestAgentError,
  type Logger,
  type Metrics,
  type ModuleTarget,
  type TestCase,
  type TestExecutor,
} from '@test-agent/domain';
import {
  failureHeadline,
  measureImportCoverage,
  type LlmGenerationResult,
} from '../../orchestrators/llm-test-generation.orchestrator';
import type { TestFileAssembler } from '../../services/test-file-assembler/test-file-assembler.service';
import { finaliseLimits, pytestLimits, withExistingCoverage, type GenerateTestsRequest } from '../generation-request';
import type { ModuleTestWriter } from '../module-test-writer.service';
import type { ModuleGenerationReport, ModuleLlmReport } from '../report/generation-report';
import { emptyReport } from '../report/report-facts';
import type { FinalSuite, SuiteFinaliser } from '../suite-finaliser.service';
import type { TestGenerationStrategy } from './generation-strategy';
import type { LlmFittingFacts, LlmLoopRunner } from './llm-loop-runner.service';
import { covered, recordCoverage } from './offline.strategy';
import { offlineFacts, sandboxFacts, uncoveredFacts, type OfflineValidation } from './offline-validation.service';

export interface LlmStrategyDependencies {
  readonly loop: LlmLoopRunner;
  /** `hybrid`: the offline engine runs first and its tests are the loop's baseline. */
  readonly offline?: OfflineValidation;
  readonly finaliser: SuiteFinaliser;
  readonly writer: ModuleTestWriter;
  /** Runs the import probe (`llm`: a module that cannot be imported gets no LLM call). */
  readonly executor: TestExecutor;
  readonly assembler: TestFileAssembler;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly now?: () => number;
}

/** What comes before the LLM loop: the offline engine's validated tests (hybrid) or nothing (llm). */
interface Baseline {
  readonly cases: readonly TestCase[];
  readonly coverage?: CoverageReport;
  readonly report: Pick<ModuleGenerationReport, 'dropped' | 'executions'> & Partial<ModuleGenerationReport>;
  /** `hybrid`: why the final suite's uncovered code is not covered, from the offline search (see `uncoveredFacts`). */
  readonly explain?: (coverage: CoverageReport, testsKept: boolean) => Pick<ModuleGenerationReport, 'uncovered'>;
}

/**
 * The LLM strategies on one module. `hybrid`: the offline engine first, its tests the baseline; `llm`: the model
 * alone (after an import probe). Then the coverage loop over the module's chunks, the final suite (together,
 * pollution dropped, minimised) and the unit and integration files written. An LLM failure propagates; under
 * `hybrid` the offline tests are written first and the error says so.
 */
export class LlmStrategy implements TestGenerationStrategy {
  private readonly logger: Logger;
  private readonly metrics: Metrics;
  private readonly now: () => number;

  constructor(
    readonly name: 'llm' | 'hybrid',
    private readonly deps: LlmStrategyDependencies,
  ) {
    this.logger = deps.logger ?? silentLogger;
    this.metrics = deps.metrics ?? noopMetrics;
    this.now = deps.now ?? (() => Date.now());
  }

  async generate(target: ModuleTarget, request: GenerateTestsRequest, many: boolean): Promise<ModuleGenerationReport> {
    const started = this.now();
    const baseline = await this.baseline(target, request, many, started);
    if ('module' in baseline) return baseline;
    const { result, fitting } = await this.loop(target, request, baseline);
    const suite = await this.deps.finaliser.finalise(
      target,
      [...baseline.cases, ...result.unit],
      result.integration,
      finaliseLimits(request),
    );
    const base = {
      ...baseline.report,
      module: target.moduleName,
      file: target.file,
      importRoot: target.importRoot,
      stoppedBy: result.stoppedBy,
      llm: llmReport(result, suite, baseline.cases.length, fitting),
    };
    if (!suite.coverage || suite.unit.length + suite.integration.length === 0) {
      const nothing = suite.coverage ?? CoverageReport.empty(result.coverage);
      return {
        ...base,
        tests: 0,
        ...covered(nothing),
        ...baseline.explain?.(nothing, false),
        durationMs: this.now() - started,
      };
    }
    const { writer } = this.deps;
    const testFile =
      suite.unit.length > 0 ? await writer.write(target, request, suite.unit, { coverage: suite.coverage }) : undefined;
    const integrationTestFile =
      suite.integration.length > 0
        ? (await writer.write(target, request, suite.integration, { integration: true })).path
        : undefined;
    const counted = withExistingCoverage(request, suite.coverage);
    recordCoverage(this.metrics, counted);
    this.logger.info('Tests written', {
      module: target.moduleName,
      file: testFile?.path,
      integration: integrationTestFile,
      tests: suite.unit.length + suite.integration.length,
      combined: Number(suite.coverage.combinedPercent.toFixed(1)),
    });
    return {
      ...base,
      ...(testFile ? { testFile: testFile.path, writeAction: testFile.action } : {}),
      ...(integrationTestFile ? { integrationTestFile } : {}),
      tests: suite.unit.length + suite.integration.length,
      ...covered(counted),
      ...baseline.explain?.(counted, true),
      durationMs: this.now() - started,
      ...(suite.mutation ? { mutation: suite.mutation } : {}),
    };
  }

  /** `hybrid`: the offline engine's validated tests; `llm`: none, after a probe that the module imports. */
  private async baseline(
    target: ModuleTarget,
    request: GenerateTestsRequest,
    many: boolean,
    started: number,
  ): Promise<Baseline | ModuleGenerationReport> {
    const nothing = { dropped: { failing: 0, flaky: 0, unstable: 0 }, executions: 0 };
    if (this.deps.offline) {
      const phase = await this.deps.offline.run(target, request, many);
      if (phase.kind === 'skipped') return phase.report;
      const { generation } = phase;
      return {
        cases: phase.cases,
        ...(phase.lastRun ? { coverage: phase.lastRun.run.coverage } : {}),
        explain: (coverage, testsKept) => uncoveredFacts(generation, coverage, testsKept),
        report: {
          ...sandboxFacts(generation),
          ...offlineFacts(phase, request),
          dropped: {
            failing: phase.failing,
            flaky: phase.flaky,
            unstable: generation.unstable,
            machine: phase.machine,
          },
          executions: generation.search.executions,
        },
      };
    }
    // A module that cannot be imported gets no LLM call: the same report as the offline engine gives it.
    const probe = await measureImportCoverage(this.deps.executor, this.deps.assembler, target, pytestLimits(request));
    if (!probe.error) return { cases: [], report: nothing };
    const failure = new InvalidInputError(
      'TA_IMPORT_FAILED',
      `Cannot import ${target.moduleName} from ${target.file}: ${failureHeadline(probe.error)}`,
    );
    if (!many) throw failure;
    this.logger.warn('Skipping a module', { module: target.moduleName, error: failure.message });
    return emptyReport(target, this.now() - started, { code: failure.code, message: failure.message });
  }

  /**
   * The LLM loop from `baseline`. Whatever fails there (reading, chunking, any LLM call), the offline engine's tests
   * are written first; the error says what was kept and, for an LLM failure, that the run can be resumed.
   */
  private async loop(
    target: ModuleTarget,
    request: GenerateTestsRequest,
    baseline: Baseline,
  ): Promise<{ result: LlmGenerationResult; fitting: LlmFittingFacts }> {
    const known = knownCoverage(baseline.coverage, request.existingCoverage);
    try {
      return await this.deps.loop.run(target, request, { cases: baseline.cases, ...known });
    } catch (e) {
      if (!(e instanceof TestAgentError)) throw e;
      const llm = e instanceof LlmError;
      const again = llm ? '; resume the run when the LLM is back' : '';
      const resumable = llm ? { option: 'resume' as const } : {};
      if (baseline.cases.length > 0 && baseline.coverage) {
        // The offline engine's tests are sound whatever happened to the LLM phase: write them before failing.
        const written = await this.deps.writer.write(target, request, baseline.cases, { coverage: baseline.coverage });
        throw new TestAgentError(
          llm ? 'TA_LLM_GENERATION_FAILED' : e.code,
          e.kind,
          `${e.message} — the offline engine's ${baseline.cases.length} tests were written to ${written.path}${again}`,
          { cause: e, details: { ...e.details, written: written.path }, ...resumable },
        );
      }
      if (llm && this.deps.loop.checkpointed) {
        throw new TestAgentError(e.code, e.kind, `${e.message} — the tests accepted so far are checkpointed${again}`, {
          cause: e,
          details: e.details,
          ...resumable,
        });
      }
      throw e;
    }
  }
}

/** The LLM part of a module's report: the loop's figures, with the final suite's coverage per chunk. */
function llmReport(
  result: LlmGenerationResult,
  suite: FinalSuite,
  offline: number,
  fitting: LlmFittingFacts,
): ModuleLlmReport {
  return {
    funnel: result.funnel,
    repairs: result.repairs,
    // "After" as coverage.py measured the files written (minimised, pollution removed), chunk by chunk.
    chunks: result.chunks.map((c) =>
      suite.coverage ? { ...c, after: suite.coverage.project(c.startLine, c.endLine).summary() } : c,
    ),
    suspectedDefects: result.suspectedDefects,
    llmCalls: result.llmCalls,
    summaryCalls: result.summaryCalls,
    promptTokens: result.promptTokens,
    completionTokens: result.completionTokens,
    stoppedBy: result.stoppedBy,
    resumed: result.resumed,
    accepted: { offline, unit: result.unit.length, integration: result.integration.length },
    minimised: suite.minimised,
    polluted: suite.polluted,
    ...fitting,
  };
}

/** The LLM phase's baseline coverage: the offline tests' and the project's own tests', either or both. */
function knownCoverage(
  offline: CoverageReport | undefined,
  existing: CoverageReport | undefined,
): { coverage?: CoverageReport } {
  const known = offline && existing ? offline.union(existing) : (offline ?? existing);
  return known ? { coverage: known } : {};
}
