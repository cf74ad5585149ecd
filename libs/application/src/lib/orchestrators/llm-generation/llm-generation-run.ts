import {
  CoverageReport,
  type ChatMessage,
  type ChatResult,
  type CheckpointStore,
  type CodeChunk,
  type TestCase,
} from '@test-agent/domain';
import { FlakinessChecker } from '../../services/flakiness-checker/flakiness-checker.service';
import {
  candidatesOf,
  judgeCandidates,
  repairedCandidate,
  withUniqueName,
  type JudgeContext,
  type Judged,
} from './candidates';
import { checkpointKey, loadCheckpoint, saveCheckpoint } from './checkpoints';
import { measureImportCoverage } from './coverage-probes';
import type {
  ChunkGenerationStats,
  LlmGenerationRequest,
  LlmGenerationResult,
  LlmStopReason,
} from './llm-generation.types';
import { chunkConversation, integrationPrompt, repairTurn, type ChunkConversation } from './prompting';
import { countStages, emptyTally, initialChunkStats, type RunDeps, type RunTally } from './run-state';
import { isStopped, stopReason, type Stopped } from './stop-rules';
import { suspectedDefect } from './suspected-defects';

type TestKind = 'unit' | 'integration';

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
  private readonly summaries = new Map<number, string>();

  constructor(
    private readonly request: LlmGenerationRequest,
    private readonly deps: RunDeps,
  ) {
    this.key = checkpointKey(request.target, request.source);
    this.judging = {
      executor: deps.executor,
      assembler: deps.assembler,
      target: request.target,
      ...(deps.perTestTimeoutMs ? { perTestTimeoutMs: deps.perTestTimeoutMs } : {}),
    };
  }

  async execute(): Promise<LlmGenerationResult> {
    const started = this.deps.now();
    this.coverage = this.request.baseline?.coverage ?? (await this.importCoverage());
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
    Object.assign(this.tally, {
      unit: saved.unit,
      integration: saved.integration,
      funnel: saved.funnel,
      suspectedDefects: saved.suspectedDefects,
      llmCalls: saved.llmCalls,
      promptTokens: saved.promptTokens,
      completionTokens: saved.completionTokens,
    });
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

  /** Why no further call may start (see `stopReason`); `nextPromptTokens` is the prompt about to be sent. */
  private budgetStop(nextPromptTokens = 0): LlmStopReason | undefined {
    const position = {
      combinedPercent: this.coverage.combinedPercent,
      spentTokens: this.spent(),
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
    const { request, deps } = this;
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
    const conversation = chunkConversation(request, chunk, this.coverage, this.summaries);
    const { context, promptBudgetTokens } = deps.fitting();
    const fitted = await context.unitTestPrompt(conversation.request);
    if (fitted.overBudget) {
      chunkStats.skipped = `prompt of ${fitted.tokens} tokens cannot fit the budget of ${promptBudgetTokens}`;
      deps.logger.warn('Chunk skipped: its prompt cannot fit the budget', {
        module: request.target.moduleName,
        chunk: chunk.index,
        tokens: fitted.tokens,
        budget: promptBudgetTokens,
      });
      return undefined;
    }
    const reply = await this.chat(fitted.messages, fitted.tokens, chunkStats);
    if (isStopped(reply)) return reply;
    const stopped = await this.process(this.candidatesOf(reply.answer), conversation, chunkStats, 'unit');
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
   * Judges each candidate on its own, accepts the passing ones first (so an LLM outage during repairs loses
   * nothing), then repairs the failing ones in the chunk's conversation and accepts what the repairs fixed.
   * A stop during a repair ends the answer there (what its repairs fixed so far is not accepted).
   */
  private async process(
    candidates: TestCase[],
    conversation: ChunkConversation | undefined,
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
    await this.accept(passing, chunkStats, kind);
    const repaired: Judged[] = [];
    for (const failing of judged.filter((j) => j.stage !== 'passed')) {
      const outcome =
        conversation && this.request.repairAttempts > 0
          ? await this.repair(failing, conversation, chunkStats)
          : { final: failing, attempts: 0 };
      if (isStopped(outcome)) return outcome;
      const { final, attempts } = outcome;
      countStages(this.tally.funnel, final);
      if (final.stage === 'passed') repaired.push(final);
      else {
        const defect = suspectedDefect(final, attempts, conversation?.chunk.symbols ?? []);
        if (defect) this.tally.suspectedDefects.push(defect);
      }
    }
    await this.accept(repaired, chunkStats, kind);
    return undefined;
  }

  /** Flakiness re-runs, then keeps each stable test that adds a line or a branch; checkpoints each one. */
  private async accept(
    passing: readonly Judged[],
    chunkStats: ChunkGenerationStats | undefined,
    kind: TestKind,
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
            request.target,
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
      const accepted = withUniqueName(passing[i].testCase, [...baselineCases, ...tally.unit, ...tally.integration]);
      (kind === 'unit' ? tally.unit : tally.integration).push(accepted);
      if (chunkStats) chunkStats.accepted++;
      await saveCheckpoint(request.checkpoints, this.key, tally, this.acceptedCoverage);
    }
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
      const turn = await repairTurn(deps.prompts, deps.counter, current);
      const fitted = await deps
        .fitting()
        .context.unitTestPrompt({ ...conversation.request, reserveTokens: turn.reserveTokens });
      if (fitted.overBudget) return { final: current, attempts };
      attempts++;
      tally.repairs.attempted++;
      const reply = await this.chat(
        [...fitted.messages, ...turn.messages],
        fitted.tokens + turn.reserveTokens,
        chunkStats,
      );
      if (isStopped(reply)) return reply;
      const candidate = repairedCandidate(current.testCase, reply.answer);
      if (!candidate) continue;
      [current] = await judgeCandidates(this.judging, [candidate]);
      if (current.stage === 'passed') {
        tally.repairs.succeeded++;
        return { final: current, attempts };
      }
    }
    return { final: current, attempts };
  }

  /** Coverage of importing the module (module-level lines), the start when nothing was accepted yet. */
  private async importCoverage(): Promise<CoverageReport> {
    const { deps, request } = this;
    const { coverage, error } = await measureImportCoverage(deps.executor, deps.assembler, request.target);
    if (error)
      deps.logger.warn('The module under test does not import cleanly', { module: request.target.moduleName, error });
    return coverage;
  }
}
