import { LlmResponseError, type ChatMessage, type ChatOptions, type ChatResult, type FinishReason, type TokenUsage } from '@test-agent/domain';
import { pick } from './llm-http.transport';

/** OpenAI-style `finish_reason` (GigaChat's too) in Test Agent's words. */
export function finishReasonOf(raw: unknown): FinishReason {
  switch (raw) {
    case 'stop':
      return 'stop';
    case 'length':
      return 'length';
    case 'content_filter':
    case 'blacklist':
      return 'content-filter';
    case 'tool_calls':
    case 'function_call':
      return 'tool-call';
    case 'error':
      return 'error';
    default:
      return 'unknown';
  }
}

/** `usage` of an OpenAI-style body, when the three counts are numbers. */
export function usageOf(prompt: unknown, completion: unknown, total?: unknown): TokenUsage | undefined {
  if (typeof prompt !== 'number' || typeof completion !== 'number') return undefined;
  return { promptTokens: prompt, completionTokens: completion, totalTokens: typeof total === 'number' ? total : prompt + completion };
}

/** The request body of an OpenAI-style chat completion. */
export function chatCompletionBody(model: string | undefined, messages: readonly ChatMessage[], options: ChatOptions, withStop = true): Record<string, unknown> {
  return {
    ...(model === undefined ? {} : { model }),
    messages: messages.map((m) => ({ role: m.role, content: m.content })),
    ...(options.maxTokens === undefined ? {} : { max_tokens: options.maxTokens }),
    ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
    ...(options.topP === undefined ? {} : { top_p: options.topP }),
    ...(withStop && options.stop?.length ? { stop: [...options.stop] } : {}),
    stream: false,
  };
}

/**
 * Reads an OpenAI-style chat completion (`choices[0].message.content`, `finish_reason`, `usage`).
 * @throws LlmResponseError when the answer text is missing.
 */
export function parseChatCompletion(body: unknown, endpoint: string, what: string, fallbackModel: string, latencyMs: number): ChatResult {
  const text = pick(body, 'choices', 0, 'message', 'content');
  if (typeof text !== 'string') {
    throw new LlmResponseError(endpoint, `${endpoint}: ${what} answered JSON without choices[0].message.content`, { retryable: false });
  }
  const model = pick(body, 'model');
  return {
    text,
    usage: usageOf(pick(body, 'usage', 'prompt_tokens'), pick(body, 'usage', 'completion_tokens'), pick(body, 'usage', 'total_tokens')),
    model: typeof model === 'string' && model !== '' ? model : fallbackModel,
    finishReason: finishReasonOf(pick(body, 'choices', 0, 'finish_reason')),
    latencyMs,
    endpoint,
  };
}
