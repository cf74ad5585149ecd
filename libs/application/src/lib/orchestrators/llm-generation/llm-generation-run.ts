import {
  CoverageReport,
  type ChatMessage,
  type ChatResult,
  type CheckpointStore,
  type CodeChunk,
  type TestCase,
} from '@test-agent/domain';
import {
  candidatesOf,
  judgeCandidates,
  repairedCandidates,
  stabilityOf,
  withUniqueName,
  type JudgeContext,
  type Judged,
} from './candidates';
import { ChunkDialogue, type DialoguePrompt } from './chunk-dialogue';
import { DependencySummaries } from './dependency-summaries';
import { checkpointKey, loadCheckpoint, restoreTally, saveCheckpoint } from './checkpoints';
import { importCoverage } from './coverage-probes';
import type {
  ChunkGenerationStats,
  LlmGenerationRequest,
  LlmGenerationResult,
  LlmStopReason,
} from './llm-generation.types';
import { chunksByGap, integrationPrompt, openingRequest } from './prompting';
import { countStages, emptyTally, initialChunkStats, meteredChat, type RunDeps, type RunTally } from './run-state';
import { inParallel, isStopped, stopReason, type Stopped } from './stop-rules';
import { suspectedDefect } from './suspected-defects';

type TestKind = 'unit' | 'integration';

const ignore = () => undefined;

/**
 * One `generate()` call: its state lives in fields (tally, coverage, chunk stats, summaries) and every step is a
 * method. A step that meets a budget or the target returns `{ stop }`; the loop then ends with that reason.
 */
export class LlmGenerationRun {
  private readonly key: string;
  private readonly judging: JudgeContext;
  private readonly tally: RunTally = emptyTally();
  /** Coverage of the module by the baseline and every accepted test. */
  private coverage!: CoverageReport;
  /** What the accepted LLM tests cover on their own: checkpointed, so a resume never trusts an old baseline. */
  private acceptedCoverage!: CoverageReport;
  private resumed = false;
  private stats: ChunkGenerationStats[] = [];
  private readonly summaries: DependencySummaries;
  /** Each chunk's conversation, continued by later rounds. */
  private readonly dialogues = new Map<number, ChunkDialogue>();

  constructor(
    private readonly request: LlmGenerationRequest,
    private readonly deps: RunDeps,
  ) {
    this.key = checkpointKey(request.target, request.source);
    this.summaries = new DependencySummaries(request, deps, this.tally);
    this.judging = {
      executor: deps.executor,
      assembler: deps.assembler,
      target: request.target,
      ...(deps.perTestTimeoutMs ? { perTestTimeoutMs: deps.perTestTimeoutMs } : {}),
    };
  }

  async execute(): Promise<LlmGenerationResult> {
    const started = this.deps.now();
    this.coverage = this.request.baseline?.coverage ?? (await importCoverage(this.deps, this.request.target));
    this.acceptedCoverage = CoverageReport.empty(this.coverage);
    if (this.request.resume && this.request.checkpoints) await this.resume(this.request.checkpoints);
    this.stats = initialChunkStats(this.request.chunks, this.coverage);
    const ended = await this.rounds();
    return this.finish(started, this.budgetStop() === 'target' ? 'target' : ended);
  }

  /** Rounds over the chunks with gaps, the integration prompt after the first; why they ended. */
  private async rounds(): Promise<LlmStopReason> {
    let integrationAsked = false;
    for (let iteration = 1; iteration <= this.request.maxIterations; iteration++) {
      const gaps = chunksByGap(this.request.chunks, this.coverage);
      if (gaps.length === 0) return 'complete';
      const stop = await inParallel(gaps, this.request.concurrency ?? 1, async (chunk) => {
        return this.budgetStop() ?? (await this.chunkRound(chunk, iteration))?.stop;
      });
      if (stop) return stop;
      if (!integrationAsked && !this.budgetStop()) {
        integrationAsked = true;
        const stopped = await this.integrationRound();
        if (stopped) return stopped.stop;
      }
    }
    return 'iterations';
  }

  private finish(started: number, stoppedBy: LlmStopReason): LlmGenerationResult {
    const { coverage, tally, deps } = this;
    for (const s of this.stats) s.after = coverage.project(s.startLine, s.endLine).summary();
    deps.metrics.observe('test_agent_test_generation_duration_seconds', (deps.now() - started) / 1000, {
      generator: 'llm',
    });
    this.request.onProgress?.({ type: 'stopped', reason: stoppedBy, combinedPercent: coverage.combinedPercent });
    deps.logger.info('LLM generation finished', {
      module: this.request.target.moduleName,
      stoppedBy,
      combined: Number(coverage.combinedPercent.toFixed(1)),
      accepted: tally.unit.length + tally.integration.length,
      llmCalls: tally.llmCalls,
      tokens: this.spent(),
    });
    return { ...tally, coverage, chunks: this.stats, stoppedBy, resumed: this.resumed };
  }

  /** The tests, counts and coverage of the checkpoint of an interrupted run of this module content. */
  private async resume(store: CheckpointStore): Promise<void> {
    const moduleName = this.request.target.moduleName;
    const saved = await loadCheckpoint(store, this.key, moduleName, this.deps.logger);
    if (!saved) return;
    restoreTally(this.tally, saved);
    this.acceptedCoverage = CoverageReport.fromData(this.request.target.file, saved.coverage);
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

  /** Prompt and reserved answer tokens of the calls in flight (concurrent chunks), and those calls. */
  private inFlightTokens = 0;
  private readonly inFlight = new Set<Promise<void>>();

  /** Why no further call may start (see `stopReason`); `nextPromptTokens` is the prompt about to be sent. */
  private budgetStop(nextPromptTokens = 0): LlmStopReason | undefined {
    const position = {
      combinedPercent: this.coverage.combinedPercent,
      spentTokens: this.spent() + this.inFlightTokens,
      now: this.deps.now(),
    };
    return stopReason(this.request, position, nextPromptTokens);
  }

  /** One chat call, unless a budget forbids it; its tokens go to the tally and to the chunk's stats. */
  private async chat(
    messages: ChatMessage[],
    promptTokens: number,
    chunkStats?: ChunkGenerationStats,
  ): Promise<{ readonly answer: ChatResult } | Stopped> {
    // Tokens reserved by calls in flight may free up: wait for one to end before giving up on the budget.
    for (let stop = this.budgetStop(promptTokens); stop; stop = this.budgetStop(promptTokens)) {
      if (stop !== 'token-budget' || this.inFlight.size === 0) return { stop };
      await Promise.race(this.inFlight);
    }
    const reserved = promptTokens + this.request.maxCompletionTokens;
    this.inFlightTokens += reserved;
    const call = meteredChat(this.deps, this.request, this.tally, messages, promptTokens, chunkStats);
    const settled = call.then(ignore, ignore);
    this.inFlight.add(settled);
    try {
      return await call;
    } finally {
      this.inFlightTokens -= reserved;
      this.inFlight.delete(settled);
    }
  }

  /** Summaries of the chunks `chunk` depends on (each once per run), the chunk's prompt, its answer judged. */
  private async chunkRound(chunk: CodeChunk, iteration: number): Promise<Stopped | undefined> {
    const { request } = this;
    const chunkStats = this.stats[chunk.index] ?? this.stats.find((s) => s.index === chunk.index);
    request.onProgress?.({
      type: 'chunk-start',
      chunk: chunk.index,
      of: request.chunks.length,
      symbols: chunk.symbols,
      iteration,
    });
    const summaryStop = await this.summaries.ensure(chunk, (tokens) => this.budgetStop(tokens));
    if (summaryStop) return summaryStop;
    const opened = await this.prompt(chunk, chunkStats);
    if (!opened) return undefined;
    const { dialogue, prompt } = opened;
    const reply = await this.chat(prompt.messages, prompt.tokens, chunkStats);
    if (isStopped(reply)) return reply;
    dialogue.answered(prompt, reply.answer.text);
    const stopped = await this.process(this.candidatesOf(reply.answer), dialogue, chunkStats, 'unit');
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

  /** A feedback turn in the chunk's conversation if it fits, else an opening prompt; undefined: chunk skipped. */
  private async prompt(
    chunk: CodeChunk,
    chunkStats: ChunkGenerationStats,
  ): Promise<{ dialogue: ChunkDialogue; prompt: DialoguePrompt } | undefined> {
    const { request, deps } = this;
    const earlier = this.dialogues.get(chunk.index);
    if (earlier) {
      const turn = earlier.feedbackTurn(deps.prompts, this.coverage, this.defectNames());
      const prompt = await earlier.followUp(deps.fitting(), deps.counter, turn);
      if (prompt) return { dialogue: earlier, prompt };
    }
    const dialogue = new ChunkDialogue(chunk, openingRequest(request, chunk, this.coverage, this.summaries.texts));
    const opened = await dialogue.open(deps.fitting());
    if ('overBudget' in opened) {
      const budget = deps.fitting().promptBudgetTokens;
      chunkStats.skipped = `prompt of ${opened.overBudget} tokens cannot fit the budget of ${budget}`;
      deps.logger.warn('Chunk skipped: its prompt cannot fit the budget', {
        module: request.target.moduleName,
        chunk: chunk.index,
        tokens: opened.overBudget,
        budget,
      });
      return undefined;
    }
    this.dialogues.set(chunk.index, dialogue);
    return { dialogue, prompt: opened };
  }

  private defectNames(): string[] {
    return this.tally.suspectedDefects.map((d) => d.test);
  }

  /** One prompt for integration tests across the module's public API; no repair turns (no chunk conversation). */
  private async integrationRound(): Promise<Stopped | undefined> {
    const { deps } = this;
    const budget = deps.fitting().promptBudgetTokens;
    const prompt = await integrationPrompt(this.request, deps.prompts, deps.counter, budget, deps.logger);
    if (!prompt) return undefined;
    const reply = await this.chat(prompt.messages, prompt.tokens);
    if (isStopped(reply)) return reply;
    return this.process(this.candidatesOf(reply.answer), undefined, undefined, 'integration');
  }

  private candidatesOf(answer: ChatResult): TestCase[] {
    const { cases, generated } = candidatesOf(answer);
    this.tally.funnel.generated += generated;
    return cases;
  }

  /**
   * Judges each candidate on its own and accepts the passing ones, then repairs the failing ones in the chunk's
   * conversation: one turn per answer with all its failing tests and their cleaned errors, up to
   * `repairAttempts` turns; what a turn fixes is accepted at once. A test the model flags as a bug and that still
   * fails on an assertion is reported as a suspected defect and not repaired again (nor in later rounds).
   */
  private async process(
    candidates: TestCase[],
    dialogue: ChunkDialogue | undefined,
    chunkStats: ChunkGenerationStats | undefined,
    kind: TestKind,
  ): Promise<Stopped | undefined> {
    let judged = await judgeCandidates(this.judging, candidates);
    // Candidates share one pytest process: a test that fails only there (another candidate patched the module)
    // is judged again alone before it may be repaired or suspected.
    if (candidates.length > 1) {
      const alone: Judged[] = [];
      for (const j of judged)
        alone.push(j.stage === 'run' ? (await judgeCandidates(this.judging, [j.testCase]))[0] : j);
      judged = alone;
    }
    const passing = judged.filter((j) => j.stage === 'passed');
    passing.forEach((j) => countStages(this.tally.funnel, j));
    const accepted = await this.accept(passing, chunkStats, kind);
    dialogue?.note(accepted);
    const known = new Set(this.defectNames());
    let failing = judged.filter((j) => j.stage !== 'passed' && !known.has(j.testCase.name));
    judged
      .filter((j) => j.stage !== 'passed' && known.has(j.testCase.name))
      .forEach((j) => countStages(this.tally.funnel, j));
    let turns = 0;
    while (failing.length > 0 && dialogue && turns < this.request.repairAttempts && !this.budgetStop()) {
      const outcome = await this.repairTurn(failing, dialogue, chunkStats, kind);
      if (!outcome) break;
      if (isStopped(outcome)) return outcome;
      turns++;
      failing = [];
      for (const j of outcome.failing) {
        if (await this.suspect(j, turns, dialogue)) countStages(this.tally.funnel, j);
        else failing.push(j);
      }
    }
    for (const j of failing) {
      countStages(this.tally.funnel, j);
      await this.suspect(j, turns, dialogue);
    }
    dialogue?.note({ failed: failing.map((j) => j.testCase.name) });
    return undefined;
  }

  /**
   * One repair turn for `failing`: the fixed tests are judged together, the passing ones accepted; the rest
   * (those the answer left out included) come back. Undefined when the turn cannot fit the budget.
   */
  private async repairTurn(
    failing: readonly Judged[],
    dialogue: ChunkDialogue,
    chunkStats: ChunkGenerationStats | undefined,
    kind: TestKind,
  ): Promise<{ readonly failing: Judged[] } | Stopped | undefined> {
    const { deps, tally } = this;
    const turn = dialogue.repairTurn(
      deps.prompts,
      failing.map((j) => ({ name: j.testCase.name, error: j.error })),
    );
    const prompt = await dialogue.followUp(deps.fitting(), deps.counter, turn);
    if (!prompt) return undefined;
    const reply = await this.chat(prompt.messages, prompt.tokens, chunkStats);
    if (isStopped(reply)) return reply;
    tally.repairs.attempted += failing.length;
    dialogue.answered(prompt, reply.answer.text);
    const fixes = repairedCandidates(
      failing.map((j) => j.testCase),
      reply.answer,
    );
    const fixed = failing.map((j) => fixes.get(j.testCase.name)).filter((c): c is TestCase => c !== undefined);
    const rejudged = new Map((await judgeCandidates(this.judging, fixed)).map((j) => [j.testCase.name, j]));
    const next = failing.map((j) => rejudged.get(j.testCase.name) ?? j);
    const passed = next.filter((j) => j.stage === 'passed');
    tally.repairs.succeeded += passed.length;
    passed.forEach((j) => countStages(tally.funnel, j));
    dialogue.note(await this.accept(passed, chunkStats, kind));
    return { failing: next.filter((j) => j.stage !== 'passed') };
  }

  /** Reports `judged` as a suspected defect when it is one (see `suspectedDefect`), checkpointing it at once. */
  private async suspect(judged: Judged, repairTurns: number, dialogue: ChunkDialogue | undefined): Promise<boolean> {
    const defect = suspectedDefect(judged, repairTurns, dialogue?.chunk.symbols ?? []);
    if (!defect || this.defectNames().includes(defect.test)) return false;
    this.tally.suspectedDefects.push(defect);
    await saveCheckpoint(this.request.checkpoints, this.key, this.tally, this.acceptedCoverage);
    return true;
  }

  /**
   * Flakiness re-runs, then keeps each stable test that adds a line or a branch; checkpoints each one. Returns the
   * names of the tests kept and of the stable ones that added nothing.
   */
  private async accept(
    passing: readonly Judged[],
    chunkStats: ChunkGenerationStats | undefined,
    kind: TestKind,
  ): Promise<{ kept: string[]; useless: string[] }> {
    const kept: string[] = [];
    const useless: string[] = [];
    if (passing.length === 0) return { kept, useless };
    const { request, tally } = this;
    const verdicts = await stabilityOf(passing, request, this.deps);
    const baselineCases = request.baseline?.cases ?? [];
    for (let i = 0; i < passing.length; i++) {
      if (!verdicts[i].passing || verdicts[i].flaky) continue;
      tally.funnel.stable++;
      const own = passing[i].coverage;
      if (!own || !own.addsTo(this.coverage)) {
        useless.push(passing[i].testCase.name);
        continue;
      }
      this.coverage = this.coverage.union(own);
      this.acceptedCoverage = this.acceptedCoverage.union(own);
      tally.funnel.addedCoverage++;
      const accepted = withUniqueName(passing[i].testCase, [...baselineCases, ...tally.unit, ...tally.integration]);
      (kind === 'unit' ? tally.unit : tally.integration).push(accepted);
      kept.push(accepted.name);
      if (chunkStats) chunkStats.accepted++;
      await saveCheckpoint(request.checkpoints, this.key, tally, this.acceptedCoverage);
    }
    return { kept, useless };
  }
}
