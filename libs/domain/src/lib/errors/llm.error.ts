import { TestAgentError } from './test-agent.error';

/**
 * Why an LLM call failed, as a short stable word (also the `reason` label of `test_agent_llm_errors_total`).
 */
export type LlmFailureReason =
  | 'rate-limited'
  | 'server-error'
  | 'quota'
  | 'rejected'
  | 'network'
  | 'timeout'
  | 'auth'
  | 'bad-response'
  | 'context-overflow'
  | 'circuit-open'
  | 'cassette-miss'
  | 'replayed'
  | 'all-failed';

interface LlmErrorOptions {
  readonly status?: number;
  readonly retryable?: boolean;
  /** Server-requested wait before retrying (`Retry-After`), in milliseconds. */
  readonly retryAfterMs?: number;
  readonly cause?: unknown;
  readonly details?: Record<string, unknown>;
}

/**
 * Base of every LLM failure. `endpoint` names the endpoint (`<provider> <url>`), never a key or token; `retryable`
 * says whether the same request may succeed later (429, 5xx, network, truncated body).
 */
export abstract class LlmError extends TestAgentError {
  readonly status?: number;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;

  protected constructor(
    code: string,
    kind: 'external' | 'timeout',
    readonly endpoint: string,
    readonly reason: LlmFailureReason,
    message: string,
    options: LlmErrorOptions = {},
  ) {
    super(code, kind, message, {
      cause: options.cause,
      details: {
        endpoint,
        reason,
        ...(options.status === undefined ? {} : { status: options.status }),
        ...options.details,
      },
    });
    this.status = options.status;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** The endpoint answered with an HTTP error status (429, 402, 413, 422, 5xx, ...). */
export class LlmHttpError extends LlmError {
  constructor(
    endpoint: string,
    status: number,
    message: string,
    options: Omit<LlmErrorOptions, 'status' | 'retryable'> = {},
  ) {
    const reason: LlmFailureReason =
      status === 429 ? 'rate-limited' : status >= 500 ? 'server-error' : status === 402 ? 'quota' : 'rejected';
    super('TA_LLM_HTTP_ERROR', 'external', endpoint, reason, message, {
      ...options,
      status,
      retryable: status === 429 || status >= 500,
    });
  }
}

/** The endpoint could not be reached (refused, reset, DNS, TLS). Retryable. */
export class LlmNetworkError extends LlmError {
  constructor(endpoint: string, message: string, options: Omit<LlmErrorOptions, 'retryable'> = {}) {
    super('TA_LLM_NETWORK', 'external', endpoint, 'network', message, { ...options, retryable: true });
  }
}

/**
 * No answer in time: no first byte within the per-request timeout, a stream silent past its idle timeout, a whole
 * answer too slow (retryable: the retry asks for a shorter answer), or the caller cancelled (not retryable).
 */
export class LlmTimeoutError extends LlmError {
  constructor(
    endpoint: string,
    readonly timeoutMs: number,
    message: string,
    options: LlmErrorOptions = {},
  ) {
    super('TA_LLM_TIMEOUT', 'timeout', endpoint, 'timeout', message, {
      ...options,
      details: { timeoutMs, ...options.details },
    });
  }
}

/** Credentials were rejected (GigaChat OAuth, an API key). Not retryable. */
export class LlmAuthError extends LlmError {
  constructor(endpoint: string, message: string, options: Omit<LlmErrorOptions, 'retryable'> = {}) {
    super('TA_LLM_AUTH', 'external', endpoint, 'auth', message, { ...options, retryable: false });
  }
}

/** The body was not what the protocol promises: truncated JSON, wrong content type, missing fields. */
export class LlmResponseError extends LlmError {
  constructor(endpoint: string, message: string, options: LlmErrorOptions = {}) {
    super('TA_LLM_BAD_RESPONSE', 'external', endpoint, 'bad-response', message, options);
  }
}

/**
 * The prompt did not fit the model's context: the server said so (413, 400 "maximum context length"), or it
 * silently truncated it (Ollama: reported prompt tokens far below the local estimate).
 */
export class LlmContextOverflowError extends LlmError {
  constructor(
    endpoint: string,
    message: string,
    options: LlmErrorOptions & { estimatedTokens?: number; reportedTokens?: number } = {},
  ) {
    super('TA_LLM_CONTEXT_OVERFLOW', 'external', endpoint, 'context-overflow', message, {
      ...options,
      details: {
        ...(options.estimatedTokens === undefined ? {} : { estimatedTokens: options.estimatedTokens }),
        ...(options.reportedTokens === undefined ? {} : { reportedTokens: options.reportedTokens }),
        ...options.details,
      },
    });
  }
}

/** The endpoint's circuit breaker is open after repeated failures: the call was not attempted. */
export class LlmCircuitOpenError extends LlmError {
  constructor(endpoint: string, message: string, options: LlmErrorOptions = {}) {
    super('TA_LLM_CIRCUIT_OPEN', 'external', endpoint, 'circuit-open', message, options);
  }
}

/** Replay mode met a request the cassette does not hold. */
export class LlmCassetteMissError extends LlmError {
  constructor(endpoint: string, message: string, options: LlmErrorOptions = {}) {
    super('TA_LLM_CASSETTE_MISS', 'external', endpoint, 'cassette-miss', message, options);
  }
}

/** A failure recorded in a cassette, thrown again on replay with the recorded code and reason. */
export class LlmReplayedError extends LlmError {
  constructor(
    endpoint: string,
    recorded: {
      code: string;
      reason: LlmFailureReason;
      message: string;
      status?: number;
      kind?: 'external' | 'timeout';
    },
  ) {
    super(recorded.code, recorded.kind ?? 'external', endpoint, recorded.reason, recorded.message, {
      status: recorded.status,
    });
  }
}

/** One endpoint's failure inside `LlmUnavailableError`. */
export interface LlmEndpointFailure {
  readonly endpoint: string;
  readonly code: string;
  readonly reason: LlmFailureReason;
  readonly message: string;
}

/**
 * Every endpoint of the chain failed. The message names each endpoint and why; `failures` holds them in order.
 * Its kind is `timeout` only when every endpoint timed out.
 */
export class LlmUnavailableError extends LlmError {
  constructor(
    readonly failures: readonly LlmEndpointFailure[],
    options: { cause?: unknown } = {},
  ) {
    const allTimeouts = failures.length > 0 && failures.every((f) => f.reason === 'timeout');
    super(
      'TA_LLM_UNAVAILABLE',
      allTimeouts ? 'timeout' : 'external',
      failures.map((f) => f.endpoint).join(', '),
      'all-failed',
      `Every LLM endpoint failed: ${failures.map((f) => (f.message.startsWith(f.endpoint) ? f.message : `${f.endpoint}: ${f.message}`)).join('; ')}`,
      { details: { failures }, cause: options.cause },
    );
  }
}
