import type { ChatMessage, CodeChunk, CoverageReport, Logger, TokenCounter } from '@test-agent/domain';
import { countMessages, type ChunkPromptRequest } from '../../services/context-builder/context-builder.service';
import { moduleSkeleton } from '../../services/context-builder/module-skeleton';
import type { PromptBuilder } from '../../services/prompt-builder/prompt-builder.service';
import { importStatementFor } from './coverage-probes';
import type { LlmGenerationRequest } from './llm-generation.types';

/** The chunks with gaps under `coverage`, the largest gap (missing lines and branches) first; ties in module order. */
export function chunksByGap(chunks: readonly CodeChunk[], coverage: CoverageReport): CodeChunk[] {
  const gapOf = (c: CodeChunk) => {
    const span = coverage.project(c.startLine, c.endLine);
    return span.missingLines.length + span.missingBranches.length;
  };
  return chunks
    .map((chunk) => ({ chunk, gap: gapOf(chunk) }))
    .filter((c) => c.gap > 0)
    .sort((a, b) => b.gap - a.gap || a.chunk.index - b.chunk.index)
    .map((c) => c.chunk);
}

/** The opening prompt's request for `chunk`, marking what `coverage` still misses. */
export function openingRequest(
  request: LlmGenerationRequest,
  chunk: CodeChunk,
  coverage: CoverageReport,
  summaries: ReadonlyMap<number, string>,
): ChunkPromptRequest {
  return {
    source: request.source,
    outline: request.outline,
    chunks: request.chunks,
    chunk,
    coverage,
    moduleName: request.target.moduleName,
    importStatement: importStatementFor(request.target),
    summaries,
  };
}

/**
 * The prompt for integration tests across the module's public API (its public functions and classes, when there
 * are two or more), with the whole skeleton, else the public API's only; undefined (with a warning) when neither
 * fits `budgetTokens`.
 */
export async function integrationPrompt(
  request: LlmGenerationRequest,
  prompts: PromptBuilder,
  counter: TokenCounter,
  budgetTokens: number,
  logger: Logger,
): Promise<{ readonly messages: ChatMessage[]; readonly tokens: number } | undefined> {
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
  let messages = prompts.integrationTests({ ...base, skeleton: moduleSkeleton(request.source, request.outline) });
  let tokens = await countMessages(counter, messages);
  if (tokens > budgetTokens) {
    messages = prompts.integrationTests({
      ...base,
      skeleton: moduleSkeleton(request.source, request.outline, new Set(publicApi)),
    });
    tokens = await countMessages(counter, messages);
  }
  if (tokens > budgetTokens) {
    logger.warn('Integration prompt skipped: the public API skeleton cannot fit the budget', {
      tokens,
      budget: budgetTokens,
    });
    return undefined;
  }
  return { messages, tokens };
}
