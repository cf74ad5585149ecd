import {
  LlmError,
  silentLogger,
  type CheckpointStore,
  type CodeParser,
  type CoverageReport,
  type Logger,
  type ModuleTarget,
  type PythonSourceReader,
  type TestCase,
} from '@test-agent/domain';
import type {
  LlmGenerationResult,
  LlmProgressEvent,
  LlmTestGeneration,
} from '../../orchestrators/llm-test-generation.orchestrator';
import type { ChunkModule } from '../../use-cases/chunk-module.use-case';
import { perturbationsOf, type GenerateTestsRequest } from '../generation-request';
import type { ModuleLlmReport } from '../report/generation-report';

/** The context window prompts are fitted to and the answer's reserve in it (see `LlmParts.fit`). */
export interface LlmFitting {
  readonly contextWindow: number;
  readonly reservedCompletionTokens: number;
  /** Where the window came from (`Ollama GET /api/ps context_length`, `LLM_CONTEXT_WINDOW`, ...) and whose it is. */
  readonly source: string;
  readonly endpoint?: string;
}

/** The LLM strategies' parts, built by composition when an LLM is configured. */
export interface LlmParts {
  readonly generation: LlmTestGeneration;
  readonly chunker: ChunkModule;
  readonly parser: CodeParser;
  readonly reader: PythonSourceReader;
  /** Tokens the model may answer with (its profile's reserved completion). */
  readonly maxCompletionTokens: number;
  /**
   * The window every prompt is fitted to, once known: the smallest context window of the endpoint chain as the
   * servers tell it (else as configured), and the answer's reserve in it. Asked once per module (answered once).
   */
  readonly fit?: () => Promise<LlmFitting>;
  /** Where a run under `outDir` keeps its checkpoints (for resuming). */
  readonly checkpointsFor?: (outDir: string) => CheckpointStore;
  /** Chunks of a round prompted at once (the endpoints' concurrent requests; default 1). */
  readonly chunkConcurrency?: number;
}

/** What the prompts were fitted to, for the module's report. */
export type LlmFittingFacts = Pick<
  ModuleLlmReport,
  'contextWindow' | 'reservedCompletionTokens' | 'chunkBudgetTokens' | 'tokenCounts' | 'refitsAfterTruncation'
>;

/** Times a module is chunked smaller after silent truncations before the failure stands. */
const MAX_REFITS = 2;

/**
 * The LLM coverage loop (`LlmTestGeneration`, a black box here) on one module: the module read, parsed and chunked
 * to the chain's window, the loop run from `baseline`. A prompt the server silently truncated (its context window is
 * smaller than configured) is refitted: the module is chunked smaller and the loop resumes from its checkpoint, at
 * most twice. Throws what reading, chunking (token counting may call the endpoint) and the loop throw.
 */
export class LlmLoopRunner {
  constructor(
    private readonly parts: LlmParts,
    private readonly logger: Logger = silentLogger,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Whether accepted tests are checkpointed (then an interrupted run can be resumed). */
  get checkpointed(): boolean {
    return this.parts.checkpointsFor !== undefined;
  }

  async run(
    target: ModuleTarget,
    request: GenerateTestsRequest,
    baseline: { cases: readonly TestCase[]; coverage?: CoverageReport },
  ): Promise<{ result: LlmGenerationResult; fitting: LlmFittingFacts }> {
    const { parts } = this;
    const source = await parts.reader.read(target.file);
    const outline = parts.parser.parse(source);
    // The window of the whole chain (detection asks the servers once), so a call that moves on still fits.
    const fit = await parts.fit?.();
    const window = fit
      ? { contextWindow: fit.contextWindow, reservedCompletionTokens: fit.reservedCompletionTokens }
      : {};
    let chunked = await parts.chunker.execute({ path: target.file, ...window });
    const deadline = this.now() + (request.timeoutSeconds ?? 600) * 1000;
    for (let refits = 0; ; refits++) {
      try {
        const result = await parts.generation.generate({
          target,
          source,
          outline,
          chunks: chunked.chunks,
          baseline,
          targetCoverage: request.targetCoverage,
          maxIterations: request.maxIterations ?? 3,
          maxTokens: request.maxTokens ?? 200_000,
          deadline,
          repairAttempts: request.repairAttempts ?? 3,
          flakyRuns: Math.max(0, request.flakyRuns ?? 5),
          perturbations: perturbationsOf(request),
          maxCompletionTokens: fit?.reservedCompletionTokens ?? parts.maxCompletionTokens,
          ...(parts.chunkConcurrency ? { concurrency: parts.chunkConcurrency } : {}),
          resume: request.resume || (refits > 0 && parts.checkpointsFor !== undefined),
          ...(parts.checkpointsFor ? { checkpoints: parts.checkpointsFor(request.outDir) } : {}),
          ...(request.onProgress
            ? { onProgress: (event: LlmProgressEvent) => request.onProgress?.(target.moduleName, event) }
            : {}),
        });
        return { result, fitting: this.fitting(chunked, refits) };
      } catch (e) {
        const maxTokens = this.smallerChunks(e, chunked.chunks, refits, target);
        if (maxTokens === undefined) throw e;
        chunked = await parts.chunker.execute({ path: target.file, maxTokens, ...window });
      }
    }
  }

  /**
   * What the prompts were fitted to: the context window, the answer's reserve, the chunk budget and whether token
   * counts were the model's own or local estimates (its counter failed, e.g. GigaChat's /tokens/count answering
   * 503). The counter is the one chunking and the loop used, read after the loop.
   */
  private fitting(chunked: Awaited<ReturnType<ChunkModule['execute']>>, refits: number): LlmFittingFacts {
    return {
      contextWindow: chunked.model.contextWindow,
      reservedCompletionTokens: chunked.model.reservedCompletionTokens,
      chunkBudgetTokens: chunked.budget.maxTokens,
      tokenCounts: chunked.exactCounts && this.parts.chunker.plan({}).counter.exact ? 'exact' : 'estimated',
      ...(refits > 0 ? { refitsAfterTruncation: refits } : {}),
    };
  }

  /** The chunk budget to refit to after `e`, or undefined when `e` is no silent truncation or refitting is over. */
  private smallerChunks(
    e: unknown,
    chunks: readonly { tokens: number }[],
    refits: number,
    target: ModuleTarget,
  ): number | undefined {
    const overflow = silentTruncation(e);
    const largest = Math.max(1, ...chunks.map((c) => c.tokens));
    const estimated = Number(overflow?.details?.estimatedTokens);
    const reported = Number(overflow?.details?.reportedTokens);
    // The share of the prompt that got through, with a margin; at least halved.
    const share = estimated > 0 && reported > 0 ? Math.min(0.5, (0.8 * reported) / estimated) : 0.5;
    const maxTokens = Math.floor(largest * share);
    if (!overflow || refits >= MAX_REFITS || maxTokens < 64) return undefined;
    this.logger.warn('The LLM server truncated a prompt silently; chunking the module smaller and resuming', {
      module: target.moduleName,
      endpoint: overflow.endpoint,
      reportedTokens: Number.isFinite(reported) ? reported : undefined,
      estimatedTokens: Number.isFinite(estimated) ? estimated : undefined,
      maxChunkTokens: maxTokens,
      refit: refits + 1,
    });
    return maxTokens;
  }
}

/**
 * The truncation behind an LLM failure: an `LlmContextOverflowError`, or the cause of the chain's error when every
 * endpoint truncated; undefined for any other failure.
 */
function silentTruncation(e: unknown): LlmError | undefined {
  if (!(e instanceof LlmError)) return undefined;
  if (e.reason === 'context-overflow') return e;
  const failures = e.details?.failures;
  const allTruncated =
    Array.isArray(failures) && (failures as { reason?: string }[]).every((f) => f.reason === 'context-overflow');
  return e.reason === 'all-failed' &&
    e.cause instanceof LlmError &&
    e.cause.reason === 'context-overflow' &&
    allTruncated
    ? e.cause
    : undefined;
}
