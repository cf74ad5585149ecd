import type { ChatMessage, CodeChunk, CoverageReport, Logger, TestCase, TokenCounter } from '@test-agent/domain';
import { countMessages, type ChunkPromptRequest } from '../../services/context-builder/context-builder.service';
import { moduleSkeleton } from '../../services/context-builder/module-skeleton';
import type { PromptBuilder } from '../../services/prompt-builder/prompt-builder.service';
import { importStatementFor } from './coverage-probes';
import type { LlmGenerationRequest } from './llm-generation.types';

/** Conversations of one chunk: the chunk and the request of its first prompt, kept for repair turns. */
export interface ChunkConversation {
  readonly chunk: CodeChunk;
  readonly request: ChunkPromptRequest;
}

/** The first prompt's request for `chunk`, marking what `coverage` still misses. */
export function chunkConversation(
  request: LlmGenerationRequest,
  chunk: CodeChunk,
  coverage: CoverageReport,
  summaries: ReadonlyMap<number, string>,
): ChunkConversation {
  return {
    chunk,
    request: {
      source: request.source,
      outline: request.outline,
      chunks: request.chunks,
      chunk,
      coverage,
      moduleName: request.target.moduleName,
      importStatement: importStatementFor(request.target),
      summaries,
    },
  };
}

/**
 * The turn that follows the chunk's prompt in a repair: the failing test as the model's answer, then the request
 * to fix it with its cleaned error (at most 40 lines); `reserveTokens` is what both take of the prompt budget.
 */
export async function repairTurn(
  prompts: PromptBuilder,
  counter: TokenCounter,
  failing: { readonly testCase: TestCase; readonly error?: string },
): Promise<{ readonly messages: ChatMessage[]; readonly reserveTokens: number }> {
  const test = failing.testCase;
  const assistant: ChatMessage = {
    role: 'assistant',
    content: `\`\`\`python\n${[...test.imports, '', ...(test.support ?? []), '', test.code].join('\n').trim()}\n\`\`\``,
  };
  const repairMessage = prompts.repair(
    test.name,
    test.code,
    truncateLines(failing.error ?? 'the test did not run', 40),
  );
  const messages = [assistant, repairMessage];
  return { messages, reserveTokens: await countMessages(counter, messages) };
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

function truncateLines(text: string, max: number): string {
  const lines = text.split('\n');
  return lines.length <= max ? text : [...lines.slice(0, max), `... (${lines.length - max} more lines)`].join('\n');
}
