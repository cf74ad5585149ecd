import axios, { isAxiosError } from 'axios';
import type { Agent as HttpsAgent } from 'node:https';
import type { Readable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import {
  LlmAuthError,
  LlmContextOverflowError,
  LlmError,
  LlmHttpError,
  LlmNetworkError,
  LlmResponseError,
  LlmTimeoutError,
} from '@test-agent/domain';
import {
  headerOf,
  readEventStream,
  readWholeBody,
  StreamWatchdog,
  type StreamProgress,
  type StreamTimeout,
} from './llm-http-stream';
import { parseRetryAfter, secretFreeExcerpt, tlsHint } from './llm-http-text';

export {
  endpointLabel,
  parseRetryAfter,
  pick,
  redact,
  secretFreeExcerpt,
  SECRET_PREFIX_MIN_LENGTH,
} from './llm-http-text';

/** A finished HTTP exchange, whatever its status. */
export interface HttpExchange {
  readonly status: number;
  readonly contentType: string;
  readonly retryAfter?: string;
  /** The raw body text. */
  readonly text: string;
  /** Wall time of the exchange, in milliseconds. */
  readonly latencyMs: number;
}

export interface HttpRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  /** What this request is, for messages: `POST /chat`, `OAuth token request`. */
  readonly what: string;
  readonly headers?: Record<string, string>;
  /** JSON body (serialised here) ... */
  readonly json?: unknown;
  /** ... or a form body, already encoded. */
  readonly form?: string;
  readonly signal?: AbortSignal;
  /** Overrides the transport's per-request timeout, in milliseconds. */
  readonly timeoutMs?: number;
}

/** How a streamed (SSE) exchange ended, when the server streamed at all. */
export interface StreamExchange {
  readonly kind: 'stream';
  readonly status: number;
  /** `data: [DONE]` was received. */
  readonly done: boolean;
  /** Events received (excluding `[DONE]`). */
  readonly events: number;
  readonly latencyMs: number;
}

export interface LlmHttpOptions {
  /**
   * Per-request limit, in milliseconds: from the first byte sent to the last byte received; for a streamed
   * answer, until the first byte of the body (the prompt's processing and a model's loading happen before it).
   */
  readonly timeoutMs: number;
  /** Streamed answers: the longest silence between two pieces of the body, in milliseconds (default 60 000). */
  readonly idleTimeoutMs?: number;
  /** TLS agent for https URLs (the GigaChat CA bundle); resolved lazily so a bad file fails the call, not the boot. */
  readonly httpsAgent?: () => HttpsAgent | undefined;
  /** Values that must never appear in an error message (keys, tokens): replaced by `[REDACTED]`. */
  readonly secrets?: () => readonly string[];
}

/** Default longest silence inside a streamed answer, in milliseconds. */
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

/**
 * The HTTP layer every LLM adapter shares (axios underneath): per-request timeout, no exception for HTTP error
 * statuses (the adapter decides: 404 fallback, 401 refresh), and the mapping of every failure to a typed
 * `LlmError` whose message names the endpoint and never carries a header, key or token. Vendor errors are not
 * attached as `cause` (axios errors hold the request headers); a secret-free summary is.
 */
export class LlmHttp {
  constructor(
    readonly endpoint: string,
    private readonly options: LlmHttpOptions,
  ) {}

  get timeoutMs(): number {
    return this.options.timeoutMs;
  }

  private secrets(): readonly string[] {
    return this.options.secrets?.() ?? [];
  }

  /** Sends one request. Resolves for every HTTP status; throws `LlmTimeoutError` or `LlmNetworkError` otherwise. */
  async send(request: HttpRequest): Promise<HttpExchange> {
    const timeoutMs = request.timeoutMs ?? this.options.timeoutMs;
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = request.signal ? AbortSignal.any([deadline, request.signal]) : deadline;
    const headers: Record<string, string> = { Accept: 'application/json', ...request.headers };
    let data: string | undefined;
    if (request.json !== undefined) {
      data = JSON.stringify(request.json);
      headers['Content-Type'] = 'application/json';
    } else if (request.form !== undefined) {
      data = request.form;
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
    }
    // Resolved outside the try: a bad CA bundle is a configuration error, not a network failure.
    const httpsAgent = request.url.startsWith('https:') ? this.options.httpsAgent?.() : undefined;
    const started = performance.now();
    try {
      const response = await axios.request<string>({
        method: request.method,
        url: request.url,
        headers,
        data,
        signal,
        httpsAgent,
        responseType: 'text',
        transformResponse: [(body: unknown) => body],
        validateStatus: () => true,
        maxRedirects: 0,
      });
      const header = (name: string) => headerOf(response.headers, name);
      return {
        status: response.status,
        contentType: header('content-type') ?? '',
        retryAfter: header('retry-after'),
        text: typeof response.data === 'string' ? response.data : String(response.data ?? ''),
        latencyMs: Math.round(performance.now() - started),
      };
    } catch (error) {
      const elapsed = Math.round(performance.now() - started);
      if (deadline.aborted) {
        throw new LlmTimeoutError(
          this.endpoint,
          timeoutMs,
          `${this.endpoint}: ${request.what} got no complete answer within ${timeoutMs} ms`,
          { retryable: true },
        );
      }
      if (request.signal?.aborted) {
        throw new LlmTimeoutError(
          this.endpoint,
          timeoutMs,
          `${this.endpoint}: ${request.what} was cancelled by the caller after ${elapsed} ms`,
        );
      }
      const code = isAxiosError(error) ? (error.code ?? '') : '';
      throw this.networkFailure(request, code, error as Error);
    }
  }

  get idleTimeoutMs(): number {
    return this.options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  }

  /**
   * Sends a request whose answer may be a server-sent event stream (`stream: true`). A `text/event-stream`
   * answer with status 200 is parsed as it arrives: `onData` gets each event's `data` (the `[DONE]` marker is
   * recorded, not passed on). The per-request timeout applies until the first byte of the body; after that each
   * silence between two pieces of the body may last at most `idleTimeoutMs`, however long the whole answer takes.
   * Any other answer (an HTTP error, or a server that ignored `stream` and answered JSON) is read whole and
   * returned as an `HttpExchange` for the adapter to judge as usual.
   * @throws LlmTimeoutError (retryable) when the first byte or the next piece does not come in time, or the
   *   caller cancelled (not retryable); LlmNetworkError when the connection fails or breaks mid-stream.
   */
  async stream(request: HttpRequest, onData: (data: string) => void): Promise<StreamExchange | HttpExchange> {
    const firstByteMs = request.timeoutMs ?? this.options.timeoutMs;
    const idleMs = this.idleTimeoutMs;
    const controller = new AbortController();
    const signal = request.signal ? AbortSignal.any([controller.signal, request.signal]) : controller.signal;
    const watchdog = new StreamWatchdog(controller);
    const idle = () => watchdog.arm('idle', idleMs);
    const headers: Record<string, string> = {
      Accept: 'text/event-stream, application/json',
      'Content-Type': 'application/json',
      ...request.headers,
    };
    const httpsAgent = request.url.startsWith('https:') ? this.options.httpsAgent?.() : undefined;
    const started = performance.now();
    const progress: StreamProgress = { events: 0, chars: 0, done: false };
    watchdog.arm('first-byte', firstByteMs);
    try {
      const response = await axios.request<Readable>({
        method: request.method,
        url: request.url,
        headers,
        data: JSON.stringify(request.json),
        signal,
        httpsAgent,
        responseType: 'stream',
        validateStatus: () => true,
        maxRedirects: 0,
      });
      const contentType = headerOf(response.headers, 'content-type') ?? '';
      if (response.status !== 200 || !/text\/event-stream/i.test(contentType)) {
        const text = await readWholeBody(response.data, idle);
        return {
          status: response.status,
          contentType,
          retryAfter: headerOf(response.headers, 'retry-after'),
          text,
          latencyMs: Math.round(performance.now() - started),
        };
      }
      await readEventStream(response.data, onData, progress, idle);
      const { done, events } = progress;
      return {
        kind: 'stream',
        status: response.status,
        done,
        events,
        latencyMs: Math.round(performance.now() - started),
      };
    } catch (error) {
      const elapsed = Math.round(performance.now() - started);
      throw this.streamFailure(request, error, watchdog.timedOut, { firstByteMs, idleMs, elapsed, progress });
    } finally {
      watchdog.stop();
    }
  }

  /** The typed error of a streamed exchange that failed: which limit ran out, a cancellation, or the network. */
  private streamFailure(
    request: HttpRequest,
    error: unknown,
    timedOut: StreamTimeout | undefined,
    at: { firstByteMs: number; idleMs: number; elapsed: number; progress: StreamProgress },
  ): Error {
    const { firstByteMs, idleMs, elapsed } = at;
    const { events, chars } = at.progress;
    if (timedOut === 'first-byte') {
      return new LlmTimeoutError(
        this.endpoint,
        firstByteMs,
        `${this.endpoint}: ${request.what} sent no answer within ${firstByteMs} ms`,
        { retryable: true },
      );
    }
    if (timedOut === 'idle') {
      return new LlmTimeoutError(
        this.endpoint,
        idleMs,
        `${this.endpoint}: ${request.what} stream went silent for ${idleMs} ms (after ${events} events, ${chars} characters in ${elapsed} ms)`,
        { retryable: true, details: { idle: true, events } },
      );
    }
    if (request.signal?.aborted) {
      return new LlmTimeoutError(
        this.endpoint,
        firstByteMs,
        `${this.endpoint}: ${request.what} was cancelled by the caller after ${elapsed} ms`,
      );
    }
    if (error instanceof LlmError) return error;
    const code = isAxiosError(error) ? (error.code ?? '') : ((error as NodeJS.ErrnoException).code ?? '');
    return this.networkFailure(request, code, error as Error, events > 0 ? ` mid-stream (after ${events} events)` : '');
  }

  /** A connection that failed (or broke, `where` saying when): a secret-free summary, with a hint for TLS. */
  private networkFailure(request: HttpRequest, code: string, error: Error, where = ''): LlmNetworkError {
    const summary = this.scrub(`${code ? `${code}: ` : ''}${error.message}`, 500);
    return new LlmNetworkError(
      this.endpoint,
      `${this.endpoint}: ${request.what} failed${where}: ${summary}${tlsHint(code, summary)}`,
      { cause: new Error(summary) },
    );
  }

  /**
   * Parses a successful exchange's JSON body.
   * @throws LlmResponseError on a non-JSON content type (not retryable) or truncated/invalid JSON (retryable).
   */
  json(exchange: HttpExchange, what: string): unknown {
    if (!/[/+]json\b/i.test(exchange.contentType)) {
      throw new LlmResponseError(
        this.endpoint,
        `${this.endpoint}: ${what} answered ${exchange.contentType || 'no content type'} instead of JSON (HTTP ${exchange.status}, ${exchange.text.length} bytes; a proxy or login page?)`,
        { status: exchange.status, retryable: false },
      );
    }
    try {
      return JSON.parse(exchange.text) as unknown;
    } catch (e) {
      throw new LlmResponseError(
        this.endpoint,
        `${this.endpoint}: ${what} answered truncated or invalid JSON (${exchange.text.length} bytes: ${this.scrub(withoutQuotedSource((e as Error).message))})`,
        { status: exchange.status, retryable: true },
      );
    }
  }

  /** The typed error for a non-2xx exchange: auth, context overflow, or a plain HTTP error with `Retry-After`. */
  httpError(exchange: HttpExchange, what: string): LlmError {
    const said = this.serverMessage(exchange);
    const message = `${this.endpoint}: ${what} failed with HTTP ${exchange.status}${said ? `: ${said}` : ''}`;
    const status = exchange.status;
    if (status === 401 || status === 403) return new LlmAuthError(this.endpoint, message, { status });
    if (
      status === 413 ||
      (status === 400 &&
        /maximum context length|context length|context window|too many tokens|prompt is too long/i.test(said))
    ) {
      return new LlmContextOverflowError(this.endpoint, message, { status });
    }
    return new LlmHttpError(this.endpoint, status, message, { retryAfterMs: parseRetryAfter(exchange.retryAfter) });
  }

  /** A short, secret-free excerpt of what the server said about an error. */
  private serverMessage(exchange: HttpExchange): string {
    let said = '';
    if (/json/i.test(exchange.contentType)) {
      try {
        const body = JSON.parse(exchange.text) as Record<string, unknown>;
        const error = body['error'];
        const candidates = [
          body['message'],
          typeof error === 'object' && error !== null ? (error as Record<string, unknown>)['message'] : error,
          body['detail'],
        ];
        const found = candidates.find((c) => typeof c === 'string' && c.trim() !== '');
        said = typeof found === 'string' ? found : '';
      } catch {
        said = 'unparseable error body';
      }
    } else if (/text\/plain/i.test(exchange.contentType)) {
      said = exchange.text;
    }
    return secretFreeExcerpt(said, this.secrets(), 300);
  }

  /**
   * Endpoint-supplied text (a model id, a device name, a parser message quoting the body) made fit for a message:
   * secrets redacted, then cut to `maxChars`.
   */
  scrub(text: string, maxChars = 300): string {
    return secretFreeExcerpt(text, this.secrets(), maxChars);
  }
}

/** V8's JSON.parse messages quote a slice of the body (`"abc"... is not valid JSON`): the slice is dropped. */
function withoutQuotedSource(message: string): string {
  return message.replace(/,? ?(?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, ' is not valid JSON');
}
