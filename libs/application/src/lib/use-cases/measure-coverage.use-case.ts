import {
  TestAgentError,
  type Branch,
  type CoverageReport,
  type CoverageSummary,
  type ModuleLocator,
  type TestExecutor,
  type TestOutcome,
  type TestOutcomeStatus,
} from '@test-agent/domain';
import {
  CoverageAggregator,
  type ChunkCoverageRow,
  type ChunkSpan,
} from '../services/coverage-aggregator/coverage-aggregator.service';

/** Where the per-chunk table gets its chunks (the `ChunkModule` use case, adapted by the composition). */
export interface ModuleChunkSource {
  /** The chunks of the module file, in order; they partition its lines. */
  chunksOf(file: string): Promise<readonly ChunkSpan[]>;
}

export interface MeasureCoverageRequest {
  /** The Python module to measure. */
  readonly modulePath: string;
  /** Existing test files or folders to run against it. */
  readonly testPaths: readonly string[];
  /** Per-test limit, in milliseconds (the configured default when absent). */
  readonly perTestTimeoutMs?: number;
  /** Limit for the whole run, in milliseconds (the configured default when absent). */
  readonly overallTimeoutMs?: number;
}

/** Coverage of one module by existing tests, as coverage.py counts it (`lines`, `branches`, `percent` as in `--json`). */
export interface MeasureCoverageResult extends CoverageSummary {
  /** Dotted module name. */
  readonly module: string;
  /** Absolute path of the module file. */
  readonly file: string;
  readonly missingLines: readonly number[];
  readonly missingBranches: readonly Branch[];
  /** How many tests ended in each status. */
  readonly tests: Readonly<Partial<Record<TestOutcomeStatus, number>>> & { readonly total: number };
  /** Tests that did not pass or skip, with their cleaned error text. */
  readonly problems: readonly TestOutcome[];
  readonly collectionErrors: readonly string[];
  /** Coverage per chunk of the module; absent when no chunker is configured or the module could not be chunked. */
  readonly chunks?: readonly ChunkCoverageRow[];
  /** Why there is no per-chunk table although a chunker is configured (e.g. the module is empty). */
  readonly chunksError?: string;
  readonly timedOut: boolean;
  readonly durationMs: number;
}

export interface MeasureCoverageDeps {
  readonly executor: TestExecutor;
  readonly locator: ModuleLocator;
  readonly aggregator?: CoverageAggregator;
  /** Enables the per-chunk table. */
  readonly chunks?: ModuleChunkSource;
}

/**
 * Runs existing tests against a module under coverage.py and reports line, branch and combined coverage of
 * exactly that module, with a per-chunk table when a chunk source is configured. Throws `InvalidInputError`
 * for a missing or non-Python module or a missing test path, `EnvironmentError` when Python is unusable.
 */
export class MeasureCoverage {
  private readonly aggregator: CoverageAggregator;

  constructor(private readonly deps: MeasureCoverageDeps) {
    this.aggregator = deps.aggregator ?? new CoverageAggregator();
  }

  async execute(request: MeasureCoverageRequest): Promise<MeasureCoverageResult> {
    const target = await this.deps.locator.locate(request.modulePath);
    const run = await this.deps.executor.run({
      target,
      testPaths: request.testPaths,
      ...(request.perTestTimeoutMs ? { perTestTimeoutMs: request.perTestTimeoutMs } : {}),
      ...(request.overallTimeoutMs ? { overallTimeoutMs: request.overallTimeoutMs } : {}),
    });
    const counts: Partial<Record<TestOutcomeStatus, number>> = {};
    for (const o of run.outcomes) counts[o.status] = (counts[o.status] ?? 0) + 1;
    const { chunks, chunksError } = await this.chunkTable(target.file, run.coverage);
    return {
      module: target.moduleName,
      file: target.file,
      ...run.coverage.summary(),
      missingLines: run.coverage.missingLines,
      missingBranches: run.coverage.missingBranches,
      tests: { total: run.outcomes.length, ...counts },
      problems: run.outcomes.filter((o) => o.status !== 'passed' && o.status !== 'skipped' && o.status !== 'xfail'),
      collectionErrors: run.collectionErrors,
      ...(chunks ? { chunks } : {}),
      ...(chunksError ? { chunksError } : {}),
      timedOut: run.timedOut,
      durationMs: run.durationMs,
    };
  }

  /** The per-chunk table; a module the chunker rejects (empty, unparsable) gets the reason instead of failing the run. */
  private async chunkTable(
    file: string,
    coverage: CoverageReport,
  ): Promise<{ chunks?: ChunkCoverageRow[]; chunksError?: string }> {
    if (!this.deps.chunks) return {};
    try {
      return { chunks: this.aggregator.perChunk(coverage, await this.deps.chunks.chunksOf(file)) };
    } catch (e) {
      if (e instanceof TestAgentError && e.kind === 'invalid-input') return { chunksError: e.message };
      throw e;
    }
  }
}
