import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent as HttpsAgent } from 'node:https';
import { performance } from 'node:perf_hooks';
import { rootCertificates } from 'node:tls';
import {
  ConfigError,
  LlmAuthError,
  LlmResponseError,
  silentLogger,
  type ChatMessage,
  type ChatOptions,
  type ChatResult,
  type LlmClient,
  type LlmHealth,
  type Logger,
} from '@test-agent/domain';
import { chatCompletionBody, requestChatCompletion } from './chat-completion.format';
import {
  endpointLabel,
  LlmHttp,
  pick,
  type HttpExchange,
  type HttpRequest,
  type StreamExchange,
} from './llm-http.transport';

export type GigaChatScope = 'GIGACHAT_API_PERS' | 'GIGACHAT_API_B2B' | 'GIGACHAT_API_CORP';

export const GIGACHAT_API_URL = 'https://gigachat.devices.sberbank.ru/api/v1';
export const GIGACHAT_OAUTH_URL = 'https://ngw.devices.sberbank.ru:9443/api/v2/oauth';

export interface GigaChatLlmClientOptions {
  /** Authorization key: base64 of `client_id:client_secret`, sent as `Authorization: Basic` to OAuth only. */
  readonly authKey: string;
  readonly scope: GigaChatScope;
  /** OAuth endpoint (default `https://ngw.devices.sberbank.ru:9443/api/v2/oauth`). */
  readonly oauthUrl?: string;
  /** API base (default `https://gigachat.devices.sberbank.ru/api/v1`). */
  readonly baseUrl?: string;
  /** Model id, e.g. `GigaChat`, `GigaChat-2-Max`. */
  readonly model: string;
  /** Per-request timeout, in milliseconds (streamed answers: until the first byte). */
  readonly timeoutMs: number;
  /** Stream chat answers (SSE, `stream: true`); default false (the configuration turns it on). */
  readonly stream?: boolean;
  /** Streamed answers: the longest silence between two pieces, in milliseconds (default 60 000). */
  readonly idleTimeoutMs?: number;
  /** PEM file with the Russian Trusted Root CA (added to Node's default roots for these requests only). */
  readonly caBundleFile?: string;
  /** Refresh the access token this long before it expires, in milliseconds (default 60 s; at most half its life). */
  readonly refreshMarginMs?: number;
  /** Clock, epoch milliseconds (tests). */
  readonly now?: () => number;
  readonly logger?: Logger;
}

interface AccessToken {
  readonly value: string;
  /** Epoch ms after which the token is refreshed before use. */
  readonly refreshAt: number;
}

/** Texts per `/tokens/count` request. */
export const TOKENS_COUNT_BATCH = 128;

/**
 * `LlmClient` for GigaChat's native API. OAuth (`RqUID`, Basic authorization key, scope) gives a 30-minute access
 * token that is cached, refreshed before expiry and on a 401 (once per request), with one refresh in flight no
 * matter how many calls need it. Chat goes to `/chat/completions` with at most one system message, first;
 * `/tokens/count` is the exact counter; `/models` is the health check. TLS trusts the configured CA bundle.
 */
export class GigaChatLlmClient implements LlmClient {
  readonly endpoint: string;
  private readonly http: LlmHttp;
  private readonly apiUrl: string;
  private readonly oauthUrl: string;
  private readonly now: () => number;
  private readonly logger: Logger;
  private token?: AccessToken;
  private refreshing?: Promise<AccessToken>;
  private agent?: HttpsAgent;
  /** Every token this client has held: never to be printed (redacted from server messages). */
  private readonly seenTokens: string[] = [];

  constructor(private readonly options: GigaChatLlmClientOptions) {
    this.apiUrl = (options.baseUrl ?? GIGACHAT_API_URL).replace(/\/+$/, '');
    this.oauthUrl = options.oauthUrl ?? GIGACHAT_OAUTH_URL;
    this.endpoint = endpointLabel('gigachat', this.apiUrl);
    this.now = options.now ?? Date.now;
    this.logger = (options.logger ?? silentLogger).child('llm_client');
    this.http = new LlmHttp(this.endpoint, {
      timeoutMs: options.timeoutMs,
      idleTimeoutMs: options.idleTimeoutMs,
      httpsAgent: () => this.httpsAgent(),
      secrets: () => [options.authKey, ...this.seenTokens],
    });
  }

  /** Number of OAuth token requests sent so far (observability and tests). */
  tokenRequests = 0;

  private httpsAgent(): HttpsAgent | undefined {
    const file = this.options.caBundleFile;
    if (!file) return undefined;
    if (!this.agent) {
      let pem: string;
      try {
        pem = readFileSync(file, 'utf8');
      } catch (e) {
        throw new ConfigError([
          `gigachatCaBundle (GIGACHAT_CA_BUNDLE): cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        ]);
      }
      if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
        throw new ConfigError([`gigachatCaBundle (GIGACHAT_CA_BUNDLE): ${file} holds no PEM certificate`]);
      }
      this.agent = new HttpsAgent({ ca: [...rootCertificates, pem], keepAlive: true });
    }
    return this.agent;
  }

  /**
   * A usable access token. `stale` is a token the server just refused: a different cached token is reused,
   * otherwise a refresh is started (or joined, when one is already in flight).
   */
  private async accessToken(stale?: string): Promise<string> {
    const cached = this.token;
    if (cached && cached.value !== stale && this.now() < cached.refreshAt) return cached.value;
    this.refreshing ??= this.requestToken().finally(() => {
      this.refreshing = undefined;
    });
    return (await this.refreshing).value;
  }

  private async requestToken(): Promise<AccessToken> {
    this.tokenRequests += 1;
    const what = `OAuth token request (${this.oauthUrl})`;
    const exchange = await this.http.send({
      method: 'POST',
      url: this.oauthUrl,
      what,
      headers: { Authorization: `Basic ${this.options.authKey}`, RqUID: randomUUID() },
      form: new URLSearchParams({ scope: this.options.scope }).toString(),
    });
    if (exchange.status === 401 || exchange.status === 403) {
      throw new LlmAuthError(
        this.endpoint,
        `${this.endpoint}: GigaChat OAuth rejected the authorization key (HTTP ${exchange.status}); check GIGACHAT_AUTH_KEY and GIGACHAT_SCOPE (${this.options.scope})`,
        { status: exchange.status },
      );
    }
    if (exchange.status !== 200) throw this.http.httpError(exchange, what);
    const body = this.http.json(exchange, what);
    const value = pick(body, 'access_token');
    const expires = pick(body, 'expires_at');
    if (typeof value !== 'string' || value === '' || typeof expires !== 'number') {
      throw new LlmResponseError(
        this.endpoint,
        `${this.endpoint}: ${what} answered JSON without access_token and expires_at`,
      );
    }
    this.seenTokens.push(value);
    const now = this.now();
    const expiresAt = expires < 1e12 ? expires * 1000 : expires; // epoch ms per the docs; tolerate seconds
    const life = Math.max(0, expiresAt - now);
    const margin = Math.min(this.options.refreshMarginMs ?? 60_000, life / 2);
    const token = { value, refreshAt: now + life - margin };
    this.token = token;
    this.logger.debug('GigaChat access token obtained', {
      endpoint: this.endpoint,
      expiresInSeconds: Math.round(life / 1000),
      scope: this.options.scope,
    });
    return token;
  }

  /** An API call with the bearer token; on 401 the token is refreshed and the call repeated once. */
  private api(request: Omit<HttpRequest, 'headers' | 'url'> & { path: string }): Promise<HttpExchange> {
    return this.withToken(request, (r) => this.http.send(r));
  }

  /** `api` for a call whose answer may be streamed: a 401 comes before any event, so the refresh works alike. */
  private apiStream(request: HttpRequest, onData: (data: string) => void): Promise<StreamExchange | HttpExchange> {
    const path = request.url.startsWith(this.apiUrl) ? request.url.slice(this.apiUrl.length) : request.url;
    return this.withToken({ ...request, path }, (r) => this.http.stream(r, onData));
  }

  private async withToken<E extends { status: number }>(
    request: Omit<HttpRequest, 'headers' | 'url'> & { path: string },
    transport: (r: HttpRequest) => Promise<E>,
  ): Promise<E> {
    const { path, ...rest } = request;
    const send = (token: string) =>
      transport({ ...rest, url: `${this.apiUrl}${path}`, headers: { Authorization: `Bearer ${token}` } });
    const token = await this.accessToken();
    const first = await send(token);
    if (first.status !== 401) return first;
    this.logger.info('GigaChat access token refused (401); refreshing it', {
      endpoint: this.endpoint,
      request: request.what,
    });
    const second = await send(await this.accessToken(token));
    if (second.status === 401) {
      throw new LlmAuthError(
        this.endpoint,
        `${this.endpoint}: ${request.what} refused a freshly issued access token (HTTP 401)`,
        { status: 401 },
      );
    }
    return second;
  }

  /**
   * GigaChat accepts one system message, first (else 422): every system message is merged, in order, into one
   * leading system message; the other messages keep their order.
   */
  static normaliseMessages(messages: readonly ChatMessage[]): ChatMessage[] {
    const system = messages.filter((m) => m.role === 'system');
    const rest = messages.filter((m) => m.role !== 'system');
    return system.length === 0
      ? [...rest]
      : [{ role: 'system', content: system.map((m) => m.content).join('\n\n') }, ...rest];
  }

  async chat(messages: readonly ChatMessage[], options: ChatOptions = {}): Promise<ChatResult> {
    const stream = this.options.stream ?? false;
    // GigaChat has no `stop` parameter (stop sequences are not sent) and no `stream_options`: a stream's last
    // chunk carries the usage unasked.
    const body = chatCompletionBody(this.options.model, GigaChatLlmClient.normaliseMessages(messages), options, {
      withStop: false,
      stream,
    });
    const result = await requestChatCompletion(
      this.http,
      {
        method: 'POST',
        url: `${this.apiUrl}/chat/completions`,
        what: `POST /chat/completions${stream ? ' (stream)' : ''}`,
        json: body,
        signal: options.signal,
      },
      (r) => this.api({ ...r, path: '/chat/completions' }),
      (r, onData) => this.apiStream(r, onData),
      this.options.model,
    );
    this.logger.debug('LLM answered', {
      endpoint: this.endpoint,
      model: result.model,
      latencyMs: result.latencyMs,
      usage: result.usage,
      streamed: stream,
    });
    return result;
  }

  /** Exact token counts of the configured model from `POST /tokens/count`, one per text, in order. */
  countTokens(texts: readonly string[]): Promise<number[]> {
    return this.countTokensForModel(this.options.model, texts);
  }

  /**
   * Exact token counts for `model` (the shape of the domain's `RemoteTokenCounter`). Sent in batches of at most
   * `TOKENS_COUNT_BATCH` texts, one after the other: a module's segments can number in the hundreds, and the
   * API's per-request limit is not published.
   */
  async countTokensForModel(model: string, texts: readonly string[]): Promise<number[]> {
    const counts: number[] = [];
    for (let start = 0; start < texts.length; start += TOKENS_COUNT_BATCH) {
      counts.push(...(await this.countBatch(model, texts.slice(start, start + TOKENS_COUNT_BATCH))));
    }
    return counts;
  }

  private async countBatch(model: string, texts: readonly string[]): Promise<number[]> {
    const what = 'POST /tokens/count';
    const exchange = await this.api({
      method: 'POST',
      path: '/tokens/count',
      what,
      json: { model, input: [...texts] },
    });
    if (exchange.status !== 200) throw this.http.httpError(exchange, what);
    const body = this.http.json(exchange, what);
    const counts = Array.isArray(body) ? body.map((item) => pick(item, 'tokens')) : [];
    if (counts.length !== texts.length || !counts.every((c): c is number => typeof c === 'number')) {
      throw new LlmResponseError(
        this.endpoint,
        `${this.endpoint}: ${what} answered ${counts.length} counts for ${texts.length} texts`,
      );
    }
    return counts;
  }

  async health(): Promise<LlmHealth> {
    const started = performance.now();
    const done = (ok: boolean, detail: string): LlmHealth => ({
      endpoint: this.endpoint,
      ok,
      model: this.options.model,
      latencyMs: Math.round(performance.now() - started),
      detail,
    });
    try {
      const what = 'GET /models';
      const exchange = await this.api({ method: 'GET', path: '/models', what });
      if (exchange.status !== 200) return done(false, this.http.httpError(exchange, what).message);
      const data = pick(this.http.json(exchange, what), 'data');
      const ids = Array.isArray(data)
        ? data.map((m) => pick(m, 'id')).filter((id): id is string => typeof id === 'string')
        : [];
      if (!ids.includes(this.options.model))
        return done(
          false,
          `model ${this.options.model} is not offered; available: ${this.http.scrub(ids.join(', ')) || 'none'}`,
        );
      return done(true, `OAuth token OK (${this.options.scope}); model ${this.options.model} available`);
    } catch (e) {
      return done(false, (e as Error).message);
    }
  }
}
