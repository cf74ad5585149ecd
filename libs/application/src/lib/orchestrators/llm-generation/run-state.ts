import type { ChatMessage, ChatResult, CodeChunk, CoverageReport, Logger, Metrics, TestCase } from '@test-agent/domain';
import type { ContextBuilder } from '../../services/context-builder/context-builder.service';
import type { PromptBuilder } from '../../services/prompt-builder/prompt-builder.service';
import type { TestFileAssembler } from '../../services/test-file-assembler/test-file-assembler.service';
import type { Judged } from './candidates';
import type {
  ChunkGenerationStats,
  GenerationFunnel,
  LlmGenerationRequest,
  LlmTestGenerationDeps,
  SuspectedDefect,
} from './llm-generation.types';
import type { Stopped } from './stop-rules';

/** Prompts fitted to the budget: read at each use, so `fitPrompts()` applies to the prompts that follow it. */
export interface PromptFitting {
  readonly context: ContextBuilder;
  readonly promptBudgetTokens: number;
}

/** What one run uses: the generation's ports, its prompt builder and its current prompt fitting. */
export type RunDeps = Omit<LlmTestGenerationDeps, 'logger' | 'metrics' | 'now' | 'assembler' | 'promptBudgetTokens'> & {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly now: () => number;
  readonly assembler: TestFileAssembler;
  readonly prompts: PromptBuilder;
  readonly fitting: () => PromptFitting;
};

/** Counts and accepted tests of a run: what its result and its checkpoints carry. */
export interface RunTally {
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

export function emptyTally(): RunTally {
  return {
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
}

/** The funnel stages a judged test reached (each candidate is counted once, after its repairs). */
export function countStages(funnel: GenerationFunnel, judged: Judged): void {
  if (judged.stage !== 'syntax') funnel.parsed++;
  if (judged.stage === 'run' || judged.stage === 'passed') funnel.imported++;
  if (judged.stage === 'passed') funnel.passed++;
}

/** Stats of each chunk before any call: its coverage now, as `before` and (until the run ends) `after`. */
export function initialChunkStats(chunks: readonly CodeChunk[], coverage: CoverageReport): ChunkGenerationStats[] {
  return chunks.map((c) => ({
    index: c.index,
    startLine: c.startLine,
    endLine: c.endLine,
    symbols: c.symbols,
    before: coverage.project(c.startLine, c.endLine).summary(),
    after: coverage.project(c.startLine, c.endLine).summary(),
    llmCalls: 0,
    promptTokens: 0,
    completionTokens: 0,
    accepted: 0,
  }));
}

/**
 * One chat call, its tokens counted into `tally` and `chunkStats` (the server's usage, else the fitted prompt and
 * the answer counted locally). A call in flight ends at the deadline too: the run then stops as out of time, not
 * as an LLM failure; any other failure propagates.
 */
export async function meteredChat(
  deps: RunDeps,
  request: LlmGenerationRequest,
  tally: RunTally,
  messages: ChatMessage[],
  promptTokens: number,
  chunkStats?: ChunkGenerationStats,
): Promise<{ readonly answer: ChatResult } | Stopped> {
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
  tally.llmCalls++;
  tally.promptTokens += p;
  tally.completionTokens += c;
  if (chunkStats) {
    chunkStats.llmCalls++;
    chunkStats.promptTokens += p;
    chunkStats.completionTokens += c;
  }
  return { answer: result };
}
