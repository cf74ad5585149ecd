import {
  CoverageReport,
  InvalidInputError,
  isNodeOf,
  noopMetrics,
  silentLogger,
  type ChatMessage,
  type ChatResult,
  type CheckpointStore,
  type CodeChunk,
  type CodeSummarizer,
  type CoverageSummary,
  type FileCoverageData,
  type LlmClient,
  type Logger,
  type Metrics,
  type ModuleOutline,
  type ModuleTarget,
  type TestCase,
  type TestExecutor,
  type TokenCounter,
} from '@test-agent/domain';
import { ContextBuilder, countMessages } from '../services/context-builder/context-builder.service';
import { moduleSkeleton } from '../services/context-builder/module-skeleton';
import { FlakinessChecker, caseOutcome } from '../services/flakiness-checker/flakiness-checker.service';
import type { MachinePerturbation } from '../services/flakiness-checker/machine-perturbations';
import { parseLlmTests } from '../services/llm-test-parser/llm-test-parser.service';
import { PromptBuilder } from '../services/prompt-builder/prompt-builder.service';
import { pruneImports } from '../services/test-file-assembler/python-imports';
import { tokenizePython } from '../services/test-file-assembler/python-tokens';
import { TestFileAssembler, digest } from '../services/test-file-assembler/test-file-assembler.service';
import { perCaseCoverage } from '../services/test-deduplicator/test-deduplicator.service';

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
  /** Repair attempts per failing test. */
  readonly repairAttempts: number;
  /** Runs each passing candidate must pass again (flakiness). */
  readonly flakyRuns: number;
  /** Machines every accepted test must also pass on (see `MACHINE_PERTURBATIONS`); none when absent. */
  readonly perturbations?: readonly MachinePerturbation[];
  /** Tokens the model may answer with (the reserved completion of its profile). */
  readonly maxCompletionTokens: number;
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

interface Checkpoint {
  readonly version: 1;
  readonly key: string;
  readonly unit: TestCase[];
  readonly integration: TestCase[];
  readonly coverage: FileCoverageData;
  readonly funnel: GenerationFunnel;
  readonly llmCalls: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly suspectedDefects: SuspectedDefect[];
}

type Stage = 'syntax' | 'import' | 'run' | 'passed';

/** A budget (tokens, time) or the target ended the run: not a failure, a returned reason. */
interface Stopped {
  readonly stop: LlmStopReason;
}

const isStopped = (value: object): value is Stopped => 'stop' in value;

/** Where checkpoints live, for messages (the composition puts them under `<out>/.test-agent/checkpoints`). */
const CHECKPOINT_HINT = '<out>/.test-agent/checkpoints';

/** Whether a loaded checkpoint has the shape this version writes, for this module content. */
function isCheckpoint(value: unknown, key: string): value is Checkpoint {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Partial<Checkpoint>;
  const cases = (x: unknown) =>
    Array.isArray(x) &&
    x.every(
      (t) =>
        typeof t === 'object' &&
        t !== null &&
        typeof (t as TestCase).name === 'string' &&
        typeof (t as TestCase).code === 'string' &&
        Array.isArray((t as TestCase).imports),
    );
  const data = c.coverage;
  return (
    c.version === 1 &&
    c.key === key &&
    cases(c.unit) &&
    cases(c.integration) &&
    typeof data === 'object' &&
    data !== null &&
    ['executedLines', 'missingLines', 'executedBranches', 'missingBranches'].every((k) =>
      Array.isArray((data as unknown as Record<string, unknown>)[k]),
    ) &&
    typeof c.funnel === 'object' &&
    Array.isArray(c.suspectedDefects) &&
    [c.llmCalls, c.promptTokens, c.completionTokens].every((n) => typeof n === 'number')
  );
}

interface Judged {
  readonly testCase: TestCase;
  readonly stage: Stage;
  readonly error?: string;
  readonly coverage?: CoverageReport;
}

const SUSPECTED = /#\s*SUSPECTED BUG/i;

/** Conversations of one chunk: the fitted first prompt and the answer, kept for repair turns. */
interface ChunkConversation {
  readonly chunk: CodeChunk;
  readonly request: Parameters<ContextBuilder['unitTestPrompt']>[0];
}

/**
 * The LLM coverage loop for one module: for each chunk with uncovered lines or branches, a prompt fitted to the
 * budget (chunk with gaps marked, skeleton, dependency summaries) → tolerant parsing → each test judged on its
 * own (parses → imports → passes → passes re-runs → adds coverage) → failing ones repaired in the same
 * conversation with the cleaned error → union of coverage → re-target the gaps, until the target or a budget
 * (iterations, tokens, time) stops it. Integration tests across the public API are asked for once. Every
 * accepted test is checkpointed. LLM failures propagate: nothing is fabricated.
 */
export class LlmTestGeneration {
  private readonly logger: Logger;
  private readonly metrics: Metrics;
  private readonly now: () => number;
  private readonly assembler: TestFileAssembler;
  private readonly prompts = new PromptBuilder();
  private context: ContextBuilder;
  private promptBudgetTokens: number;

  constructor(private readonly deps: LlmTestGenerationDeps) {
    this.logger = (deps.logger ?? silentLogger).child('llm_generation');
    this.metrics = deps.metrics ?? noopMetrics;
    this.now = deps.now ?? (() => Date.now());
    this.assembler = deps.assembler ?? new TestFileAssembler();
    this.promptBudgetTokens = deps.promptBudgetTokens;
    this.context = new ContextBuilder(deps.counter, deps.promptBudgetTokens, this.prompts);
  }

  /**
   * Fits every later prompt to `promptBudgetTokens` (the chain's detected context window, known only once the
   * endpoints were asked). Same value for every module of a run, so concurrent modules agree.
   */
  fitPrompts(promptBudgetTokens: number): void {
    if (promptBudgetTokens === this.promptBudgetTokens) return;
    this.promptBudgetTokens = promptBudgetTokens;
    this.context = new ContextBuilder(this.deps.counter, promptBudgetTokens, this.prompts);
  }

  async generate(request: LlmGenerationRequest): Promise<LlmGenerationResult> {
    const run = new LlmGenerationRun(request, {
      ...this.deps,
      logger: this.logger,
      metrics: this.metrics,
      now: this.now,
      assembler: this.assembler,
      prompts: this.prompts,
      fitting: () => ({ context: this.context, promptBudgetTokens: this.promptBudgetTokens }),
    });
    return run.execute();
  }
}

/** Prompts fitted to the budget: read at each use, so `fitPrompts()` applies to the prompts that follow it. */
interface PromptFitting {
  readonly context: ContextBuilder;
  readonly promptBudgetTokens: number;
}

/** What one run uses: the generation's ports, its prompt builder and its current prompt fitting. */
type RunDeps = Omit<LlmTestGenerationDeps, 'logger' | 'metrics' | 'now' | 'assembler' | 'promptBudgetTokens'> & {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly now: () => number;
  readonly assembler: TestFileAssembler;
  readonly prompts: PromptBuilder;
  readonly fitting: () => PromptFitting;
};

/** Counts and accepted tests of a run: what its result and its checkpoints carry. */
interface RunTally {
  unit: TestCase[];
  integration: TestCase[];
  funnel: GenerationFunnel;
  repairs: { attempted: number; succeeded: number };
  suspectedDefects: SuspectedDefect[];
  llmCalls: number;
  summaryCalls: number;
  promptTokens: number;
  completionTokens: number;
}

/**
 * One `generate()` call: its state lives in fields (tally, coverage, chunk stats, summaries) and every step is a
 * method. A step that meets a budget or the target returns `{ stop }`; the loop then ends with that reason.
 */
class LlmGenerationRun {
  private readonly key: string;
  private readonly target: ModuleTarget;
  private readonly tally: RunTally = {
    unit: [],
    integration: [],
    funnel: { generated: 0, parsed: 0, imported: 0, passed: 0, stable: 0, addedCoverage: 0 },
    repairs: { attempted: 0, succeeded: 0 },
    suspectedDefects: [],
    llmCalls: 0,
    summaryCalls: 0,
    promptTokens: 0,
    completionTokens: 0,
  };
  /** Coverage of the module by the baseline and every accepted test. */
  private coverage!: CoverageReport;
  /** What the accepted LLM tests cover on their own: checkpointed, so a resume never trusts an old baseline. */
  private acceptedCoverage!: CoverageReport;
  private resumed = false;
  private stats: ChunkGenerationStats[] = [];
  private readonly summaries = new Map<number, string>();

  constructor(
    private readonly request: LlmGenerationRequest,
    private readonly deps: RunDeps,
  ) {
    this.target = request.target;
    this.key = `${request.target.file}#${digest(request.source)}`;
  }

  async execute(): Promise<LlmGenerationResult> {
    const started = this.deps.now();
    this.coverage = this.request.baseline?.coverage ?? (await this.importCoverage());
    this.acceptedCoverage = CoverageReport.empty(this.coverage);
    if (this.request.resume && this.request.checkpoints) await this.resume(this.request.checkpoints);
    this.stats = this.request.chunks.map((c) => ({
      index: c.index,
      startLine: c.startLine,
      endLine: c.endLine,
      symbols: c.symbols,
      before: this.coverage.project(c.startLine, c.endLine).summary(),
      after: this.coverage.project(c.startLine, c.endLine).summary(),
      llmCalls: 0,
      promptTokens: 0,
      completionTokens: 0,
      accepted: 0,
    }));
    const ended = await this.rounds();
    const stoppedBy: LlmStopReason = this.budgetStop() === 'target' ? 'target' : ended;
    return this.finish(started, stoppedBy);
  }

  /** Rounds over the chunks with gaps, the integration prompt after the first; why they ended. */
  private async rounds(): Promise<LlmStopReason> {
    let integrationAsked = false;
    for (let iteration = 1; iteration <= this.request.maxIterations; iteration++) {
      const gaps = this.request.chunks.filter((c) => {
        const span = this.coverage.project(c.startLine, c.endLine);
        return span.missingLines.length + span.missingBranches.length > 0;
      });
      if (gaps.length === 0) return 'complete';
      for (const chunk of gaps) {
        const stop = this.budgetStop() ?? (await this.chunkRound(chunk, iteration))?.stop;
        if (stop) return stop;
      }
      if (!integrationAsked && !this.budgetStop()) {
        integrationAsked = true;
        const stopped = await this.integrationRound();
        if (stopped) return stopped.stop;
      }
    }
    return 'iterations';
  }

  private finish(started: number, stoppedBy: LlmStopReason): LlmGenerationResult {
    const { coverage, tally } = this;
    for (const s of this.stats) s.after = coverage.project(s.startLine, s.endLine).summary();
    this.deps.metrics.observe('test_agent_test_generation_duration_seconds', (this.deps.now() - started) / 1000, {
      generator: 'llm',
    });
    this.request.onProgress?.({ type: 'stopped', reason: stoppedBy, combinedPercent: coverage.combinedPercent });
    this.deps.logger.info('LLM generation finished', {
      module: this.target.moduleName,
      stoppedBy,
      combined: Number(coverage.combinedPercent.toFixed(1)),
      accepted: tally.unit.length + tally.integration.length,
      llmCalls: tally.llmCalls,
      tokens: this.spent(),
    });
    return { ...tally, coverage, chunks: this.stats, stoppedBy, resumed: this.resumed };
  }

  private async resume(store: CheckpointStore): Promise<void> {
    const saved = await store.load(this.key);
    const moduleName = this.target.moduleName;
    if (saved === undefined) {
      this.deps.logger.warn(
        'Nothing to resume: no checkpoint for this module content in this output folder; starting afresh',
        { module: moduleName },
      );
      return;
    }
    if (!isCheckpoint(saved, this.key)) {
      throw new InvalidInputError(
        'TA_CHECKPOINT_INVALID',
        `The checkpoint of ${moduleName} is not one this version wrote; delete ${CHECKPOINT_HINT} or run without --resume`,
      );
    }
    Object.assign(this.tally, {
      unit: saved.unit,
      integration: saved.integration,
      funnel: saved.funnel,
      suspectedDefects: saved.suspectedDefects,
      llmCalls: saved.llmCalls,
      promptTokens: saved.promptTokens,
      completionTokens: saved.completionTokens,
    });
    this.acceptedCoverage = CoverageReport.fromData(this.target.file, saved.coverage);
    this.coverage = this.coverage.union(this.acceptedCoverage);
    this.resumed = true;
    this.deps.logger.info('Resuming from checkpoint', {
      module: moduleName,
      accepted: saved.unit.length + saved.integration.length,
    });
  }

  private spent(): number {
    return this.tally.promptTokens + this.tally.completionTokens;
  }

  /** Why no further call may start; `nextPromptTokens` is the prompt about to be sent (its answer may take the reserve). */
  private budgetStop(nextPromptTokens = 0): LlmStopReason | undefined {
    const { request } = this;
    if (this.coverage.combinedPercent >= request.targetCoverage) return 'target';
    const next = nextPromptTokens > 0 ? nextPromptTokens + request.maxCompletionTokens : 0;
    if (this.spent() >= request.maxTokens || this.spent() + next > request.maxTokens) return 'token-budget';
    if (this.deps.now() >= request.deadline) return 'time-budget';
    return undefined;
  }

  /** One chat call, unless a budget forbids it; its tokens go to the tally and to the chunk's stats. */
  private async chat(
    messages: ChatMessage[],
    promptTokens: number,
    chunkStats?: ChunkGenerationStats,
  ): Promise<{ readonly answer: ChatResult } | Stopped> {
    const stop = this.budgetStop(promptTokens);
    if (stop) return { stop };
    const { request, deps } = this;
    // A call in flight ends at the deadline too: the run then stops as out of time, not as an LLM failure.
    let result: ChatResult;
    try {
      result = await deps.llm.chat(messages, {
        maxTokens: request.maxCompletionTokens,
        temperature: 0.2,
        signal: AbortSignal.timeout(Math.max(1, request.deadline - deps.now())),
      });
    } catch (e) {
      if (deps.now() >= request.deadline) return { stop: 'time-budget' };
      throw e;
    }
    const p = result.usage?.promptTokens ?? promptTokens;
    const c = result.usage?.completionTokens ?? (await deps.counter.count(result.text));
    this.tally.llmCalls++;
    this.tally.promptTokens += p;
    this.tally.completionTokens += c;
    if (chunkStats) {
      chunkStats.llmCalls++;
      chunkStats.promptTokens += p;
      chunkStats.completionTokens += c;
    }
    return { answer: result };
  }

  /** Summaries of the chunks `chunk` depends on (each once per run), the chunk's prompt, its answer judged. */
  private async chunkRound(chunk: CodeChunk, iteration: number): Promise<Stopped | undefined> {
    const { request, deps, target } = this;
    const chunkStats = this.stats[chunk.index] ?? this.stats.find((s) => s.index === chunk.index);
    request.onProgress?.({
      type: 'chunk-start',
      chunk: chunk.index,
      of: request.chunks.length,
      symbols: chunk.symbols,
      iteration,
    });
    const summaryStop = await this.summariseDependencies(chunk);
    if (summaryStop) return summaryStop;
    const conversationRequest = {
      source: request.source,
      outline: request.outline,
      chunks: request.chunks,
      chunk,
      coverage: this.coverage,
      moduleName: target.moduleName,
      importStatement: importStatementFor(target),
      summaries: this.summaries,
    };
    const fitted = await deps.fitting().context.unitTestPrompt(conversationRequest);
    if (fitted.overBudget) {
      chunkStats.skipped = `prompt of ${fitted.tokens} tokens cannot fit the budget of ${deps.fitting().promptBudgetTokens}`;
      deps.logger.warn('Chunk skipped: its prompt cannot fit the budget', {
        module: target.moduleName,
        chunk: chunk.index,
        tokens: fitted.tokens,
        budget: deps.fitting().promptBudgetTokens,
      });
      return undefined;
    }
    const reply = await this.chat(fitted.messages, fitted.tokens, chunkStats);
    if (isStopped(reply)) return reply;
    const candidates = this.candidatesOf(reply.answer);
    const stopped = await this.process(candidates, { chunk, request: conversationRequest }, chunkStats, 'unit');
    if (stopped) return stopped;
    request.onProgress?.({
      type: 'chunk-done',
      chunk: chunk.index,
      accepted: chunkStats.accepted,
      combinedPercent: this.coverage.combinedPercent,
      tokens: this.spent(),
    });
    return undefined;
  }

  private async summariseDependencies(chunk: CodeChunk): Promise<Stopped | undefined> {
    const { request, deps } = this;
    for (const dep of deps.fitting().context.dependencyChunks(request.chunks, chunk)) {
      if (this.summaries.has(dep.index)) continue;
      const stop = this.budgetStop(dep.tokens);
      if (stop) return { stop };
      const summary = await deps.summarizer.summarize({ chunk: dep, source: request.source, outline: request.outline });
      this.summaries.set(dep.index, summary.text);
      if (summary.usage) {
        this.tally.summaryCalls++;
        this.tally.promptTokens += summary.usage.promptTokens;
        this.tally.completionTokens += summary.usage.completionTokens;
      }
    }
    return undefined;
  }

  private candidatesOf(answer: ChatResult): TestCase[] {
    const parsed = parseLlmTests(answer.text, { truncated: answer.finishReason === 'length' });
    this.tally.funnel.generated += parsed.tests.length + parsed.dropped.filter((d) => d.endsWith('cut off')).length;
    return parsed.tests.map((t) => ({
      name: t.name,
      code: t.code,
      ...(t.className ? { className: t.className } : {}),
      // Each test keeps only the imported names it (or the shared fixtures) uses: one test's bad import
      // never fails the others.
      imports: pruneImports(parsed.imports, namesIn([t.code, ...parsed.support])),
      support: parsed.support,
    }));
  }

  /**
   * Judges each candidate on its own, accepts the passing ones first (so an LLM outage during repairs loses
   * nothing), then repairs the failing ones in the chunk's conversation and accepts what the repairs fixed.
   * A stop during a repair ends the answer there (what its repairs fixed so far is not accepted).
   */
  private async process(
    candidates: TestCase[],
    conversation: ChunkConversation | undefined,
    chunkStats: ChunkGenerationStats | undefined,
    kind: 'unit' | 'integration',
  ): Promise<Stopped | undefined> {
    let judged = await this.judge(candidates);
    // Candidates share one pytest process: a test that fails only there (another candidate patched the module)
    // is judged again alone before it may be repaired or suspected.
    if (candidates.length > 1) {
      const alone: Judged[] = [];
      for (const j of judged) alone.push(j.stage === 'run' ? (await this.judge([j.testCase]))[0] : j);
      judged = alone;
    }
    const passing = judged.filter((j) => j.stage === 'passed');
    passing.forEach((j) => this.count(j));
    await this.accept(passing, chunkStats, kind);
    const repaired: Judged[] = [];
    for (const failing of judged.filter((j) => j.stage !== 'passed')) {
      const outcome =
        conversation && this.request.repairAttempts > 0
          ? await this.repair(failing, conversation, chunkStats)
          : { final: failing, attempts: 0 };
      if (isStopped(outcome)) return outcome;
      const { final, attempts } = outcome;
      this.count(final);
      if (final.stage === 'passed') repaired.push(final);
      else this.suspect(final, attempts, conversation);
    }
    await this.accept(repaired, chunkStats, kind);
    return undefined;
  }

  /** The funnel stages a judged test reached. */
  private count(j: Judged): void {
    const { funnel } = this.tally;
    if (j.stage !== 'syntax') funnel.parsed++;
    if (j.stage === 'run' || j.stage === 'passed') funnel.imported++;
    if (j.stage === 'passed') funnel.passed++;
  }

  /** A defect is suspected only when the model, shown the failure, still asserts the behaviour and says why. */
  private suspect(final: Judged, attempts: number, conversation: ChunkConversation | undefined): void {
    if (
      attempts > 0 &&
      final.stage === 'run' &&
      final.error &&
      /assert/i.test(final.error) &&
      SUSPECTED.test(final.testCase.code)
    ) {
      this.tally.suspectedDefects.push({
        test: final.testCase.name,
        symbols: conversation?.chunk.symbols ?? [],
        code: final.testCase.code,
        error: final.error,
        message: failureHeadline(final.error),
      });
    }
  }

  /** Flakiness re-runs, then keeps each stable test that adds a line or a branch; checkpoints each one. */
  private async accept(
    passing: readonly Judged[],
    chunkStats: ChunkGenerationStats | undefined,
    kind: 'unit' | 'integration',
  ): Promise<void> {
    if (passing.length === 0) return;
    const { request, deps, tally } = this;
    const checker = new FlakinessChecker(deps.executor, deps.assembler, {
      reruns: request.flakyRuns,
      concurrency: deps.concurrency ?? 2,
      ...(request.perturbations ? { perturbations: request.perturbations } : {}),
      ...(deps.perTestTimeoutMs ? { perTestTimeoutMs: deps.perTestTimeoutMs } : {}),
    });
    const verdicts =
      request.flakyRuns > 0
        ? await checker.check(
            this.target,
            passing.map((j) => j.testCase),
          )
        : passing.map(() => ({ passing: true, flaky: false }));
    const baselineCases = request.baseline?.cases ?? [];
    for (let i = 0; i < passing.length; i++) {
      if (!verdicts[i].passing || verdicts[i].flaky) continue;
      tally.funnel.stable++;
      const own = passing[i].coverage;
      if (!own || !own.addsTo(this.coverage)) continue;
      this.coverage = this.coverage.union(own);
      this.acceptedCoverage = this.acceptedCoverage.union(own);
      tally.funnel.addedCoverage++;
      const accepted = uniqueName(passing[i].testCase, [...baselineCases, ...tally.unit, ...tally.integration]);
      (kind === 'unit' ? tally.unit : tally.integration).push(accepted);
      if (chunkStats) chunkStats.accepted++;
      await this.checkpoint();
    }
  }

  /** Runs each candidate in its own file (one broken file never hides the others) with per-test coverage. */
  private async judge(candidates: readonly TestCase[]): Promise<Judged[]> {
    if (candidates.length === 0) return [];
    const { deps, target } = this;
    const files = candidates.map((c, i) =>
      deps.assembler.assemble(target, [c], { fileName: `test_ta_candidate_${i}.py` }),
    );
    const result = await deps.executor.run({
      target,
      testFiles: files,
      perTestCoverage: true,
      ...(deps.perTestTimeoutMs ? { perTestTimeoutMs: deps.perTestTimeoutMs } : {}),
    });
    return candidates.map((testCase, i) => {
      const nodeId = files[i].nodeIds.get(files[i].cases[0].name) as string;
      const outcome = caseOutcome(result, nodeId);
      const own = (id: string) => isNodeOf(id, nodeId);
      const collected = result.outcomes.some((o) => own(o.nodeId));
      // Anything else pytest collected from this file (a test class hidden in the shared code) would be written
      // unchecked: such a candidate is refused.
      const stray = result.outcomes.filter((o) => o.nodeId.startsWith(`${files[i].name}::`) && !own(o.nodeId));
      if (stray.length > 0) {
        return {
          testCase,
          stage: 'import',
          error: `its code also defines other tests (${stray.map((o) => o.nodeId.split('::').slice(1).join('::')).join(', ')}); keep one test per function`,
        };
      }
      if (outcome.status === 'passed') {
        return {
          testCase,
          stage: 'passed',
          coverage: perCaseCoverage(result, files[i].nodeIds).get(files[i].cases[0].name),
        };
      }
      if (!collected) {
        const syntax = /SyntaxError|IndentationError|TabError/.test(outcome.error ?? '');
        return { testCase, stage: syntax ? 'syntax' : 'import', error: outcome.error };
      }
      return { testCase, stage: 'run', error: outcome.error };
    });
  }

  /** Up to `repairAttempts` turns: the failing test and its cleaned error go back to the model. */
  private async repair(
    failing: Judged,
    conversation: ChunkConversation,
    chunkStats: ChunkGenerationStats | undefined,
  ): Promise<{ final: Judged; attempts: number } | Stopped> {
    const { request, deps, tally } = this;
    let current = failing;
    let attempts = 0;
    for (let attempt = 1; attempt <= request.repairAttempts; attempt++) {
      if (this.budgetStop()) return { final: current, attempts };
      const assistant: ChatMessage = {
        role: 'assistant',
        content: `\`\`\`python\n${[...current.testCase.imports, '', ...(current.testCase.support ?? []), '', current.testCase.code].join('\n').trim()}\n\`\`\``,
      };
      const repairMessage = deps.prompts.repair(
        current.testCase.name,
        current.testCase.code,
        truncateLines(current.error ?? 'the test did not run', 40),
      );
      const reserve = await countMessages(deps.counter, [assistant, repairMessage]);
      const fitted = await deps.fitting().context.unitTestPrompt({ ...conversation.request, reserveTokens: reserve });
      if (fitted.overBudget) return { final: current, attempts };
      attempts++;
      tally.repairs.attempted++;
      const reply = await this.chat(
        [...fitted.messages, assistant, repairMessage],
        fitted.tokens + reserve,
        chunkStats,
      );
      if (isStopped(reply)) return reply;
      const candidate = repairedCandidate(current.testCase, reply.answer);
      if (!candidate) continue;
      const [judged] = await this.judge([candidate]);
      current = judged;
      if (current.stage === 'passed') {
        tally.repairs.succeeded++;
        return { final: current, attempts };
      }
    }
    return { final: current, attempts };
  }

  /** One prompt for integration tests across the module's public API. */
  private async integrationRound(): Promise<Stopped | undefined> {
    const { request, deps } = this;
    const publicApi = request.outline.items
      .filter((i) => (i.kind === 'function' || i.kind === 'class') && !i.name.startsWith('_'))
      .map((i) => (i.kind === 'function' || i.kind === 'class' ? i.name : ''));
    if (publicApi.length < 2) return undefined;
    const base = {
      moduleName: request.target.moduleName,
      importStatement: importStatementFor(request.target),
      summaries: [],
      publicApi,
    };
    let messages = deps.prompts.integrationTests({
      ...base,
      skeleton: moduleSkeleton(request.source, request.outline),
    });
    let tokens = await countMessages(deps.counter, messages);
    if (tokens > deps.fitting().promptBudgetTokens) {
      messages = deps.prompts.integrationTests({
        ...base,
        skeleton: moduleSkeleton(request.source, request.outline, new Set(publicApi)),
      });
      tokens = await countMessages(deps.counter, messages);
    }
    if (tokens > deps.fitting().promptBudgetTokens) {
      deps.logger.warn('Integration prompt skipped: the public API skeleton cannot fit the budget', {
        tokens,
        budget: deps.fitting().promptBudgetTokens,
      });
      return undefined;
    }
    const reply = await this.chat(messages, tokens);
    if (isStopped(reply)) return reply;
    return this.process(this.candidatesOf(reply.answer), undefined, undefined, 'integration');
  }

  /** Coverage of importing the module (module-level lines), the start when nothing was accepted yet. */
  private async importCoverage(): Promise<CoverageReport> {
    const { deps, target } = this;
    const { coverage, error } = await measureImportCoverage(deps.executor, deps.assembler, target);
    if (error) deps.logger.warn('The module under test does not import cleanly', { module: target.moduleName, error });
    return coverage;
  }

  private async checkpoint(): Promise<void> {
    const store = this.request.checkpoints;
    if (!store) return;
    const { tally } = this;
    const value: Checkpoint = {
      version: 1,
      key: this.key,
      unit: tally.unit,
      integration: tally.integration,
      coverage: this.acceptedCoverage.toData(),
      funnel: tally.funnel,
      llmCalls: tally.llmCalls,
      promptTokens: tally.promptTokens,
      completionTokens: tally.completionTokens,
      suspectedDefects: tally.suspectedDefects,
    };
    await store.save(this.key, value);
  }
}

/** The repair answer's test under the failing test's name, with the imports and shared code it needs. */
function repairedCandidate(failing: TestCase, answer: ChatResult): TestCase | undefined {
  const parsed = parseLlmTests(answer.text, { truncated: answer.finishReason === 'length' });
  const fixed = parsed.tests.find((t) => t.name === failing.name) ?? parsed.tests[0];
  if (!fixed) return undefined;
  const code =
    fixed.name === failing.name ? fixed.code : fixed.code.replace(`def ${fixed.name}(`, `def ${failing.name}(`);
  const support = parsed.support.length > 0 ? parsed.support : (failing.support ?? []);
  return {
    name: failing.name,
    code,
    ...(fixed.className ? { className: fixed.className } : {}),
    // The answer's imports first; the earlier ones only for names the new code still uses.
    imports: pruneImports([...new Set([...parsed.imports, ...failing.imports])], namesIn([code, ...support])),
    support,
  };
}

/** The line of a pytest failure that says what failed: the first `E` line, else the first line. */
export function failureHeadline(error: string): string {
  const line = error.split('\n').find((l) => /^E\s/.test(l));
  return (line ? line.replace(/^E\s+/, '') : error.split('\n')[0]).trim();
}

/** Every identifier the blocks mention. */
function namesIn(blocks: readonly string[]): Set<string> {
  return new Set(
    blocks.flatMap((b) =>
      tokenizePython(b)
        .filter((t) => t.kind === 'name')
        .map((t) => t.text),
    ),
  );
}

/**
 * What coverage.py measures when a test only imports the module: its module-level lines (definitions,
 * constants). `error` is the cleaned failure when the import itself fails (coverage then shows nothing run).
 */
export async function measureImportCoverage(
  executor: TestExecutor,
  assembler: TestFileAssembler,
  target: ModuleTarget,
  limits: ProbeLimits = {},
): Promise<{ coverage: CoverageReport; error?: string }> {
  return probeCoverage(executor, assembler, target, limits, true);
}

/**
 * coverage.py's statements and branches of `target` from a test that never imports it: all uncovered, even for
 * a module that cannot be imported (its file is still parsed).
 */
export async function measureUnimportedCoverage(
  executor: TestExecutor,
  assembler: TestFileAssembler,
  target: ModuleTarget,
  limits: ProbeLimits = {},
): Promise<CoverageReport> {
  return (await probeCoverage(executor, assembler, target, limits, false)).coverage;
}

type ProbeLimits = { perTestTimeoutMs?: number; overallTimeoutMs?: number };

/** One empty test under coverage.py, importing `target` first or not; `error` when that test did not pass. */
async function probeCoverage(
  executor: TestExecutor,
  assembler: TestFileAssembler,
  target: ModuleTarget,
  limits: ProbeLimits,
  importing: boolean,
): Promise<{ coverage: CoverageReport; error?: string }> {
  const name = importing ? 'test_module_imports' : 'test_statements_only';
  const probe: TestCase = {
    name,
    code: `def ${name}():\n    pass`,
    imports: importing ? [importStatementFor(target)] : [],
  };
  const file = assembler.assemble(target, [probe], {
    fileName: importing ? 'test_ta_import_probe.py' : 'test_ta_statements_probe.py',
  });
  const result = await executor.run({ target, testFiles: [file], ...limits });
  const outcome = caseOutcome(result, file.nodeIds.get(file.cases[0].name) as string);
  return {
    coverage: result.coverage,
    ...(outcome.status === 'passed' ? {} : { error: outcome.error ?? outcome.status }),
  };
}

/** `import calc` for a top-level module, `from shop import cart` for `shop.cart`. */
export function importStatementFor(target: ModuleTarget): string {
  const dot = target.moduleName.lastIndexOf('.');
  return dot < 0
    ? `import ${target.moduleName}`
    : `from ${target.moduleName.slice(0, dot)} import ${target.moduleName.slice(dot + 1)}`;
}

/** A name not used by `others` (`test_x`, `test_x_2`, ...), renaming the definition in the code. */
function uniqueName(testCase: TestCase, others: readonly TestCase[]): TestCase {
  const taken = new Set(others.map((o) => o.name));
  if (!taken.has(testCase.name)) return testCase;
  let n = 2;
  while (taken.has(`${testCase.name}_${n}`)) n++;
  const name = `${testCase.name}_${n}`;
  return { ...testCase, name, code: testCase.code.replace(`def ${testCase.name}(`, `def ${name}(`) };
}

function truncateLines(text: string, max: number): string {
  const lines = text.split('\n');
  return lines.length <= max ? text : [...lines.slice(0, max), `... (${lines.length - max} more lines)`].join('\n');
}
