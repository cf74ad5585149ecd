import type { CodeChunk } from '@test-agent/domain';
import type { LlmGenerationRequest, LlmStopReason } from './llm-generation.types';
import type { RunDeps, RunTally } from './run-state';
import type { Stopped } from './stop-rules';

/**
 * Summaries of the chunks other chunks depend on, each asked for once per run (chunks prompted at once share a
 * summary in flight); their calls and tokens go to the run's tally.
 */
export class DependencySummaries {
  private readonly done = new Map<number, string>();
  private readonly pending = new Map<number, Promise<unknown>>();

  constructor(
    private readonly request: LlmGenerationRequest,
    private readonly deps: RunDeps,
    private readonly tally: RunTally,
  ) {}

  /** Summary text by chunk index, for the prompts. */
  get texts(): ReadonlyMap<number, string> {
    return this.done;
  }

  /**
   * Summarises what `chunk` depends on that is not summarised yet, unless `budgetStop` forbids a summary of that
   * many tokens: then the stop is returned.
   */
  async ensure(
    chunk: CodeChunk,
    budgetStop: (tokens: number) => LlmStopReason | undefined,
  ): Promise<Stopped | undefined> {
    const { request, deps, tally } = this;
    for (const dep of deps.fitting().context.dependencyChunks(request.chunks, chunk)) {
      if (this.done.has(dep.index)) continue;
      const stop = budgetStop(dep.tokens);
      if (stop) return { stop };
      const inFlight = this.pending.get(dep.index);
      if (inFlight) {
        await inFlight;
        continue;
      }
      const asked = deps.summarizer.summarize({ chunk: dep, source: request.source, outline: request.outline });
      this.pending.set(dep.index, asked);
      const summary = await asked.finally(() => this.pending.delete(dep.index));
      this.done.set(dep.index, summary.text);
      if (summary.usage) {
        tally.summaryCalls++;
        tally.promptTokens += summary.usage.promptTokens;
        tally.completionTokens += summary.usage.completionTokens;
      }
    }
    return undefined;
  }
}
