import axios, { isAxiosError } from 'axios';
import { createParser } from 'eventsource-parser';
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

const TLS_CODES = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/;

/**
 * Secret-free label of an endpoint: `<provider> <url>` with any credentials, query and fragment removed.
 */
export function endpointLabel(provider: string, url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    return `${provider} ${u.toString().replace(/\/+$/, '')}`;
  } catch {
    return `${provider} (invalid url)`;
  }
}

/**
 * `Retry-After` in milliseconds: delta-seconds (fractions allowed) or an HTTP date; undefined when absent or
 * unparseable. Negative waits become 0.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Shortest run of a secret's leading characters that is redacted on its own (a secret cut by a truncation). */
export const SECRET_PREFIX_MIN_LENGTH = 8;

const REDACTED = '[REDACTED]';

/**
 * Replaces every secret (4+ characters) in `text` by `[REDACTED]` and, as a safety net, every run of
 * `SECRET_PREFIX_MIN_LENGTH` (8) or more characters that is a prefix of a secret: a secret that something cut short
 * (a length limit, a chunked log line) still leaves no readable part of itself. Longer secrets are handled first so
 * a secret that contains another is redacted whole.
 */
export function redact(text: string, secrets: readonly string[]): string {
  const known = [...new Set(secrets.filter((s) => s.length >= 4))].sort((a, b) => b.length - a.length);
  // Whole secrets first (so two secrets sharing a prefix are each redacted whole), then cut-short prefixes.
  let out = known.reduce((acc, secret) => acc.split(secret).join(REDACTED), text);
  for (const secret of known.filter((s) => s.length > SECRET_PREFIX_MIN_LENGTH)) {
    const head = secret.slice(0, SECRET_PREFIX_MIN_LENGTH);
    let result = '';
    let from = 0;
    for (let at = out.indexOf(head); at !== -1; at = out.indexOf(head, from)) {
      let length = head.length;
      while (length < secret.length && out[at + length] === secret[length]) length += 1;
      result += `${out.slice(from, at)}${REDACTED}`;
      from = at + length;
    }
    out = result + out.slice(from);
  }
  return out;
}

/**
 * A secret-free excerpt of endpoint text for a message: secrets are redacted *before* the text is cut to
 * `maxChars` (cutting first would leave a secret's prefix behind), whitespace runs become one space, and a
 * `[REDACTED]` marker that straddles the limit is kept whole.
 */
export function secretFreeExcerpt(text: string, secrets: readonly string[], maxChars = 300): string {
  const clean = redact(text, secrets).replace(/\s+/g, ' ').trim();
  if (clean.length <= maxChars) return clean;
  let cut = maxChars;
  const marker = clean.lastIndexOf(REDACTED, cut);
  if (marker !== -1 && marker + REDACTED.length > cut) cut = marker + REDACTED.length;
  return cut >= clean.length ? clean : `${clean.slice(0, cut)}...`;
}

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
      const header = (name: string): string | undefined => {
        const v: unknown = response.headers[name];
        return v === undefined || v === null ? undefined : String(v);
      };
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
      const summary = this.scrub(`${code ? `${code}: ` : ''}${(error as Error).message}`, 500);
      const hint =
        TLS_CODES.test(code) || TLS_CODES.test(summary)
          ? ' (TLS: configure the CA bundle, e.g. GIGACHAT_CA_BUNDLE with the Russian Trusted Root CA)'
          : '';
      throw new LlmNetworkError(this.endpoint, `${this.endpoint}: ${request.what} failed: ${summary}${hint}`, {
        cause: new Error(summary),
      });
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
    let timedOut: 'first-byte' | 'idle' | undefined;
    let timer: NodeJS.Timeout | undefined;
    const arm = (phase: 'first-byte' | 'idle', ms: number) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = phase;
        controller.abort();
      }, ms);
    };
    const headers: Record<string, string> = {
      Accept: 'text/event-stream, application/json',
      'Content-Type': 'application/json',
      ...request.headers,
    };
    const httpsAgent = request.url.startsWith('https:') ? this.options.httpsAgent?.() : undefined;
    const started = performance.now();
    let events = 0;
    let chars = 0;
    let done = false;
    arm('first-byte', firstByteMs);
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
      const header = (name: string): string | undefined => {
        const v: unknown = response.headers[name];
        return v === undefined || v === null ? undefined : String(v);
      };
      const contentType = header('content-type') ?? '';
      const body = response.data;
      if (response.status !== 200 || !/text\/event-stream/i.test(contentType)) {
        const parts: Buffer[] = [];
        for await (const part of body) {
          parts.push(Buffer.isBuffer(part) ? part : Buffer.from(String(part)));
          arm('idle', idleMs);
        }
        return {
          status: response.status,
          contentType,
          retryAfter: header('retry-after'),
          text: Buffer.concat(parts).toString('utf8'),
          latencyMs: Math.round(performance.now() - started),
        };
      }
      const parser = createParser({
        onEvent: (event) => {
          if (event.data.trim() === '[DONE]') {
            done = true;
            return;
          }
          events += 1;
          onData(event.data);
        },
      });
      const decoder = new TextDecoder('utf-8');
      for await (const part of body) {
        arm('idle', idleMs);
        const text = typeof part === 'string' ? part : decoder.decode(part as Buffer, { stream: true });
        chars += text.length;
        parser.feed(text);
        if (done) break;
      }
      parser.feed(decoder.decode());
      if (done) body.destroy();
      return {
        kind: 'stream',
        status: response.status,
        done,
        events,
        latencyMs: Math.round(performance.now() - started),
      };
    } catch (error) {
      const elapsed = Math.round(performance.now() - started);
      if (timedOut === 'first-byte') {
        throw new LlmTimeoutError(
          this.endpoint,
          firstByteMs,
          `${this.endpoint}: ${request.what} sent no answer within ${firstByteMs} ms`,
          { retryable: true },
        );
      }
      if (timedOut === 'idle') {
        throw new LlmTimeoutError(
          this.endpoint,
          idleMs,
          `${this.endpoint}: ${request.what} stream went silent for ${idleMs} ms (after ${events} events, ${chars} characters in ${elapsed} ms)`,
          { retryable: true, details: { idle: true, events } },
        );
      }
      if (request.signal?.aborted) {
        throw new LlmTimeoutError(
          this.endpoint,
          firstByteMs,
          `${this.endpoint}: ${request.what} was cancelled by the caller after ${elapsed} ms`,
        );
      }
      if (error instanceof LlmError) throw error;
      const code = isAxiosError(error) ? (error.code ?? '') : ((error as NodeJS.ErrnoException).code ?? '');
      const summary = this.scrub(`${code ? `${code}: ` : ''}${(error as Error).message}`, 500);
      const hint =
        TLS_CODES.test(code) || TLS_CODES.test(summary)
          ? ' (TLS: configure the CA bundle, e.g. GIGACHAT_CA_BUNDLE with the Russian Trusted Root CA)'
          : '';
      const where = events > 0 ? ` mid-stream (after ${events} events)` : '';
      throw new LlmNetworkError(this.endpoint, `${this.endpoint}: ${request.what} failed${where}: ${summary}${hint}`, {
        cause: new Error(summary),
      });
    } finally {
      clearTimeout(timer);
    }
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

/** Reads a JSON object field path; undefined when any step is missing. */
export function pick(value: unknown, ...path: (string | number)[]): unknown {
  let current: unknown = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}
