/** Who speaks in a chat message. */
export type ChatRole = 'system' | 'user' | 'assistant';

/** One message of a chat prompt. */
export interface ChatMessage {
  readonly role: ChatRole;
  readonly content: string;
}

/** Generation parameters. Absent values leave the server's defaults in place. */
export interface ChatOptions {
  /** Upper bound of generated tokens. */
  readonly maxTokens?: number;
  /** Sampling temperature, 0 (deterministic) to 2. */
  readonly temperature?: number;
  /** Nucleus sampling, 0 to 1. */
  readonly topP?: number;
  /** Sequences that end generation. */
  readonly stop?: readonly string[];
  /** Cancels the request (the caller's own deadline); the adapter's per-request timeout applies regardless. */
  readonly signal?: AbortSignal;
}

/**
 * Why generation stopped, normalised across protocols: `stop` (natural end or a stop sequence), `length`
 * (hit `maxTokens`), `content-filter` (GigaChat `blacklist`, OpenAI `content_filter`), `error`, `tool-call`,
 * `unknown` (the server did not say, e.g. llm-api `/chat`).
 */
export type FinishReason = 'stop' | 'length' | 'content-filter' | 'tool-call' | 'error' | 'unknown';

/** Token counts as reported by the server (never estimated). */
export interface TokenUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly totalTokens: number;
}

/** One completed chat exchange. */
export interface ChatResult {
  /** The assistant's text, exactly as returned. */
  readonly text: string;
  /** Present only when the server reported token counts. */
  readonly usage?: TokenUsage;
  /** The model that answered (from the response, else the configured model). */
  readonly model: string;
  readonly finishReason: FinishReason;
  /** Wall time of the successful HTTP exchange, in milliseconds (excludes retries and queueing). */
  readonly latencyMs: number;
  /** Label of the endpoint that answered (`<provider> <url>`; never a secret). */
  readonly endpoint: string;
}

/** Reachability of one endpoint. */
export interface LlmHealth {
  readonly endpoint: string;
  readonly ok: boolean;
  /** The model the endpoint serves or is configured for, when known. */
  readonly model?: string;
  /** Round-trip time of the check, in milliseconds. */
  readonly latencyMs: number;
  /** One line: what was found (or why it failed). No secrets. */
  readonly detail: string;
}

/**
 * A chat model behind some protocol (llm-api, OpenAI-compatible, GigaChat, a replayed cassette, or a resilient
 * chain of those). Failures are thrown as `LlmError` subclasses naming `endpoint`; nothing ever fabricates output.
 */
export interface LlmClient {
  /** Secret-free label used in logs, errors and metrics: `<provider> <base url>`. */
  readonly endpoint: string;
  /**
   * Sends the messages and resolves to the model's answer.
   * @throws LlmError (`kind` `external` or `timeout`) when the endpoint fails, answers garbage or overflows.
   */
  chat(messages: readonly ChatMessage[], options?: ChatOptions): Promise<ChatResult>;
  /** Checks reachability and the served model. Never throws: failures are `ok: false`. */
  health(): Promise<LlmHealth>;
  /**
   * Exact token counts of each text for the endpoint's model, when the server offers a counter (GigaChat
   * `/tokens/count`). One count per input, in order. @throws LlmError
   */
  countTokens?(texts: readonly string[]): Promise<number[]>;
}

/** What one endpoint of the chain did since the service was built (for reports: which endpoint answered). */
export interface LlmEndpointUsage {
  readonly role: string;
  readonly provider: string;
  readonly endpoint: string;
  /** Chats this endpoint answered. */
  readonly answered: number;
  /** Chats that failed on this endpoint (after its retries) and moved on to the next one, or failed the call. */
  readonly failed: number;
  /** Token counts meant to come from this endpoint (GigaChat's `/tokens/count`) were estimated locally. */
  readonly countsEstimated: boolean;
}

/** A move of calls from one endpoint of the chain to the next (the runbook's rollback), with the first reason. */
export interface LlmFallbackSwitch {
  readonly from: string;
  readonly to: string;
  readonly reason: string;
  /** The first failure's message (secret-free, as every LlmError message). */
  readonly message: string;
  /** Calls that moved this way for this reason. */
  readonly calls: number;
}

/** What the chain did in a run, for the report: which endpoint served, whether and why the fallback took over. */
export interface LlmRunSummary {
  readonly endpoints: readonly (LlmEndpointUsage & {
    readonly contextWindow?: number;
    readonly contextWindowSource?: string;
  })[];
  /** Endpoints that answered at least one chat, in chain order. */
  readonly servedBy: readonly string[];
  readonly fallbackUsed: boolean;
  readonly fallbacks: readonly LlmFallbackSwitch[];
  /** The smallest context window of the chain (every prompt is fitted to it), when detection ran. */
  readonly contextWindow?: number;
}
