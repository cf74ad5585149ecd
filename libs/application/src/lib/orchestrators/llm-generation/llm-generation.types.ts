import type {
  CheckpointStore,
  CodeChunk,
  CodeSummarizer,
  CoverageReport,
  CoverageSummary,
  LlmClient,
  Logger,
  Metrics,
  ModuleOutline,
  ModuleTarget,
  TestCase,
  TestExecutor,
  TokenCounter,
} from '@test-agent/domain';
import type { MachinePerturbation } from '../../services/flakiness-checker/machine-perturbations';
import type { TestFileAssembler } from '../../services/test-file-assembler/test-file-assembler.service';

/** Counts of the validation funnel (TestGen-LLM): each stage keeps what passed the previous one. */
export interface GenerationFunnel {
  /** Test functions found in the model's answers (including ones cut off by truncation). */
  generated: number;
  /** ... that are syntactically valid Python. */
  parsed: number;
  /** ... whose file imports (collection succeeds). */
  imported: number;
  /** ... that pass. */
  passed: number;
  /** ... that pass every re-run (not flaky). */
  stable: number;
  /** ... that add a line or a branch: accepted. */
  addedCoverage: number;
}

/** A test that keeps failing on an assertion after repair, which the model flagged as a bug in the code. */
export interface SuspectedDefect {
  readonly test: string;
  /** Definitions of the chunk it tests. */
  readonly symbols: readonly string[];
  /** The test code: the failing input and the expected behaviour. */
  readonly code: string;
  /** The cleaned assertion error. */
  readonly error: string;
  /** Its line that says what failed (pytest's first `E` line). */
  readonly message: string;
}

export interface ChunkGenerationStats {
  readonly index: number;
  readonly startLine: number;
  readonly endLine: number;
  readonly symbols: readonly string[];
  before: CoverageSummary;
  after: CoverageSummary;
  llmCalls: number;
  promptTokens: number;
  completionTokens: number;
  accepted: number;
  /** Why the chunk got no prompt, when it did not (e.g. the prompt cannot fit the budget). */
  skipped?: string;
}

export type LlmStopReason = 'target' | 'complete' | 'iterations' | 'token-budget' | 'time-budget';

export interface LlmGenerationResult {
  /** Accepted unit tests and integration tests, in acceptance order. */
  readonly unit: readonly TestCase[];
  readonly integration: readonly TestCase[];
  /** Coverage of the module by every accepted test (and the baseline), a union. */
  readonly coverage: CoverageReport;
  readonly funnel: GenerationFunnel;
  readonly repairs: { readonly attempted: number; readonly succeeded: number };
  readonly suspectedDefects: readonly SuspectedDefect[];
  readonly chunks: readonly ChunkGenerationStats[];
  /** Chat calls that generated or repaired tests. */
  readonly llmCalls: number;
  /** Chat calls that summarised chunks for other chunks' prompts (each content once). */
  readonly summaryCalls: number;
  /** Tokens of every call, summaries included (reported by the server, else counted locally). */
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly stoppedBy: LlmStopReason;
  readonly resumed: boolean;
}

/** Progress of a run, for live displays. */
export type LlmProgressEvent =
  | {
      readonly type: 'chunk-start';
      readonly chunk: number;
      readonly of: number;
      readonly symbols: readonly string[];
      readonly iteration: number;
    }
  | {
      readonly type: 'chunk-done';
      readonly chunk: number;
      readonly accepted: number;
      readonly combinedPercent: number;
      readonly tokens: number;
    }
  | { readonly type: 'stopped'; readonly reason: LlmStopReason; readonly combinedPercent: number };

export interface LlmGenerationRequest {
  readonly target: ModuleTarget;
  /** Source and outline of the module, and its chunks (one chunk for a small module). */
  readonly source: string;
  readonly outline: ModuleOutline;
  readonly chunks: readonly CodeChunk[];
  /** Tests already accepted (hybrid: the offline engine's) and what they cover. */
  readonly baseline?: { readonly cases: readonly TestCase[]; readonly coverage?: CoverageReport };
  /** Line+branch coverage target, percent. */
  readonly targetCoverage: number;
  /** Rounds over the chunks with gaps. */
  readonly maxIterations: number;
  /** LLM tokens (prompt + completion) the run may spend. */
  readonly maxTokens: number;
  /** Epoch ms after which no new LLM call starts. */
  readonly deadline: number;
  /** Repair turns per answer (each with all its failing tests). */
  readonly repairAttempts: number;
  /** Runs each passing candidate must pass again (flakiness). */
  readonly flakyRuns: number;
  /** Machines every accepted test must also pass on (see `MACHINE_PERTURBATIONS`); none when absent. */
  readonly perturbations?: readonly MachinePerturbation[];
  /** Tokens the model may answer with (the reserved completion of its profile). */
  readonly maxCompletionTokens: number;
  /**
   * Chunks of a round prompted at once (default 1): up to the endpoint's concurrent requests. Tokens of calls in
   * flight (their prompt and reserved answer) count against `maxTokens` before the next one starts.
   */
  readonly concurrency?: number;
  /** Where every accepted test is checkpointed (absent: no checkpoints). */
  readonly checkpoints?: CheckpointStore;
  /** Continue from the checkpoint of an interrupted run of the same module content. */
  readonly resume?: boolean;
  readonly onProgress?: (event: LlmProgressEvent) => void;
}

export interface LlmTestGenerationDeps {
  readonly llm: LlmClient;
  readonly executor: TestExecutor;
  readonly counter: TokenCounter;
  /** floor(0.9 × context) − reserved completion: the most one prompt (a whole conversation) may have. */
  readonly promptBudgetTokens: number;
  readonly summarizer: CodeSummarizer;
  readonly assembler?: TestFileAssembler;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly now?: () => number;
  /** Python processes in flight for flakiness re-runs. */
  readonly concurrency?: number;
  /** Per-test limit of validation runs, ms. */
  readonly perTestTimeoutMs?: number;
}
