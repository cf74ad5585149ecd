import type { CodeChunk, CoverageReport, Logger, Metrics, TestCase } from '@test-agent/domain';
import type { ContextBuilder } from '../../services/context-builder/context-builder.service';
import type { PromptBuilder } from '../../services/prompt-builder/prompt-builder.service';
import type { TestFileAssembler } from '../../services/test-file-assembler/test-file-assembler.service';
import type { Judged } from './candidates';
import type {
  ChunkGenerationStats,
  GenerationFunnel,
  LlmTestGenerationDeps,
  SuspectedDefect,
} from './llm-generation.types';

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
