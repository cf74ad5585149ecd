import type { ChatMessage, ChatOptions, ChatResult, LlmError } from '@test-agent/domain';
import { cassetteOptions, type CassetteWriter } from '../../clients/llm-client/llm-cassette';

/** How one chat of the chain ended: the answer, or the error every endpoint failing gave. */
export interface ChatOutcome {
  readonly response?: ChatResult;
  readonly error?: LlmError;
  /** The endpoint that answered, or the chain's label. */
  readonly endpoint: string;
}

/** Appends one chat (its request and final outcome) to the cassette, in the cassette's format (v1). */
export function recordChat(
  cassette: CassetteWriter,
  messages: readonly ChatMessage[],
  options: ChatOptions,
  outcome: ChatOutcome,
): void {
  const r = outcome.response;
  const e = outcome.error;
  cassette.append({
    v: 1,
    at: new Date().toISOString(),
    endpoint: outcome.endpoint,
    request: {
      messages: messages.map((m) => ({ role: m.role, content: m.content })),
      options: cassetteOptions(options),
    },
    ...(r
      ? {
          response: {
            text: r.text,
            usage: r.usage,
            model: r.model,
            finishReason: r.finishReason,
            latencyMs: r.latencyMs,
          },
        }
      : {}),
    ...(e
      ? {
          error: {
            code: e.code,
            kind: e.kind === 'timeout' ? 'timeout' : 'external',
            reason: e.reason,
            status: e.status,
            message: e.message,
          },
        }
      : {}),
  });
}
