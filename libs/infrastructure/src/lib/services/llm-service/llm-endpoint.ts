import type { LlmClient } from '@test-agent/domain';

/** One endpoint of the fallback chain. */
export interface LlmEndpoint {
  /** `primary`, `fallback`, `replay`, ... (logs and `llm ping`). */
  readonly role: string;
  /** `gigachat`, `llm-api`, `openai`, `cassette`. */
  readonly provider: string;
  readonly client: LlmClient;
  /** Requests in flight at once; more wait in a queue (GigaChat personal accounts allow 1). */
  readonly maxConcurrency: number;
  /** Local token estimator for this endpoint's model (its tokenizer); the service's default when absent. */
  readonly estimateTokens?: (text: string) => number | Promise<number>;
  /** Context window of this endpoint's model by its profile, in tokens (used when nothing else tells it). */
  readonly profileContextWindow?: number;
  /** The configured window (`LLM_CONTEXT_WINDOW`), in tokens: used when the server does not tell it. */
  readonly configuredContextWindow?: number;
}
