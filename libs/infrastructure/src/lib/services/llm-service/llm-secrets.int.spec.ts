import { PassThrough } from 'node:stream';
import { inspect } from 'node:util';
import { TestAgentError, type ChatMessage } from '@test-agent/domain';
import { GigaChatLlmClient } from '../../clients/llm-client/gigachat-llm-client.adapter';
import { LlmApiLlmClient } from '../../clients/llm-client/llm-api-llm-client.adapter';
import { OpenAiLlmClient } from '../../clients/llm-client/openai-llm-client.adapter';
import { WinstonLogger } from '../../logging/winston-logger';
import { startLlmStandIn, type LlmStandInProcess } from '../../testing/llm-stand-in.process';
import { LlmService } from './llm.service';

// No log line and no error (message, details, stack, cause chain) ever carries the GigaChat authorization key,
// an API key or a bearer token: every auth and failure scenario runs with a real winston logger at debug level
// and *no* redaction configured, then the captured text is searched for each secret.
const AUTH_KEY = 'c2VjcmV0LWNsaWVudDpzZWNyZXQtdmFsdWUtNDI=';
const WRONG_KEY = 'd3JvbmctY2xpZW50Ondyb25nLXNlY3JldC0wMDc=';
const API_KEY = 'sk-live-secret-0123456789abcdefABCDEF';
const ask: ChatMessage[] = [{ role: 'user', content: 'write tests' }];

describe('secrets never reach logs or errors', () => {
  let standIn: LlmStandInProcess;
  const stream = new PassThrough();
  let logged = '';
  stream.on('data', (chunk: Buffer) => (logged += chunk.toString()));
  const logger = WinstonLogger.create({ level: 'debug', format: 'json', stream });
  const errors: unknown[] = [];
  const capture = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (e: unknown) => void errors.push(e),
    );

  const gigachat = (authKey = AUTH_KEY) =>
    new GigaChatLlmClient({
      authKey,
      scope: 'GIGACHAT_API_PERS',
      oauthUrl: `${standIn.url}/api/v2/oauth`,
      baseUrl: `${standIn.url}/api/v1`,
      model: 'GigaChat',
      timeoutMs: 400,
      logger,
    });
  const openAi = (apiKey = API_KEY) =>
    new OpenAiLlmClient({ baseUrl: standIn.url, model: 'm', apiKey, timeoutMs: 400, logger });

  beforeAll(async () => {
    standIn = await startLlmStandIn({
      models: ['GigaChat'],
      gigachat: { authKey: AUTH_KEY },
      apiKey: API_KEY,
      echo: true,
    });
  });
  afterAll(() => standIn.stop());

  it('holds for OAuth, refresh, rejected keys, echoed secrets, retries, timeouts and total failure', async () => {
    const service = new LlmService(
      [
        { role: 'primary', provider: 'gigachat', client: gigachat(), maxConcurrency: 1 },
        { role: 'fallback', provider: 'openai', client: openAi(), maxConcurrency: 2 },
      ],
      { estimateTokens: (t) => Math.ceil(t.length / 4), maxRetries: 2, baseDelayMs: 10, maxDelayMs: 20 },
      logger,
    );
    // a normal exchange, then an expired token (401 -> refresh), then a 429 retried
    await service.chat(ask);
    await standIn.inject({ path: '/api/v1/chat/completions', expireToken: true });
    await service.chat(ask);
    await standIn.inject({ path: '/api/v1/chat/completions', status: 429, retryAfter: 0 });
    await service.chat(ask);
    const tokens = (await standIn.state()).issuedTokens;
    expect(tokens).toHaveLength(2);

    // servers that echo the key or the token back in an error body
    await standIn.inject(
      {
        path: '/api/v1/chat/completions',
        status: 422,
        body: { message: `token ${tokens[1]} is not valid for this model` },
      },
      { path: '/v1/chat/completions', status: 400, body: { error: { message: `key ${API_KEY} has no access` } } },
    );
    await capture(service.chat(ask));
    await standIn.inject({ path: '/api/v2/oauth', status: 500, body: { message: `cannot decode Basic ${AUTH_KEY}` } });
    await capture(gigachat().chat(ask));

    // a token the server refuses twice, a rejected key, a wrong API key
    const refused = gigachat();
    await refused.chat(ask);
    await standIn.inject({ path: '/api/v1/chat/completions', expireToken: true, times: 2 });
    await capture(refused.chat(ask));
    await capture(gigachat(WRONG_KEY).chat(ask));
    await capture(openAi('sk-wrong-9876543210fedcba').chat(ask));

    // timeouts on the primary (each retried, all three), a reset on the fallback (retried), then every endpoint down
    await standIn.inject(
      { path: '/api/v1/chat/completions', delayMs: 1000, times: 3 },
      { path: '/v1/chat/completions', reset: true },
    );
    expect((await service.chat(ask)).endpoint).toBe(`openai ${standIn.url}`);
    await standIn.inject({ path: '*', status: 503, times: 'always' });
    await capture(service.chat(ask));
    await capture(
      new LlmApiLlmClient({ baseUrl: `http://user:${API_KEY}@127.0.0.1:9`, timeoutMs: 400, logger }).chat(ask),
    );
    const health = await Promise.all([gigachat().health(), gigachat(WRONG_KEY).health(), openAi().health()]);

    expect(errors).toHaveLength(7);
    expect(errors.every((e) => e instanceof TestAgentError)).toBe(true);
    const errorText = errors
      .map((e) => {
        const error = e as TestAgentError;
        return [error.message, error.stack, JSON.stringify(error.details), inspect(error, { depth: 10 })].join('\n');
      })
      .join('\n');
    const everything = `${logged}\n${errorText}\n${JSON.stringify(health)}`;
    expect(logged).toContain('LLM endpoint failed; switching to the next endpoint');
    expect(logged).toContain('GigaChat access token refused (401); refreshing it');
    expect(logged).toContain('got no complete answer within 400 ms');
    expect(logged).toContain('socket hang up');
    expect(everything).toContain('[REDACTED]'); // the echoed secrets were seen, and scrubbed
    for (const secret of [
      AUTH_KEY,
      WRONG_KEY,
      API_KEY,
      'sk-wrong-9876543210fedcba',
      ...tokens,
      ...(await standIn.state()).issuedTokens,
    ]) {
      expect(everything).not.toContain(secret);
    }
    expect(everything).not.toMatch(/Bearer [A-Za-z0-9_-]{8,}/);
    expect(everything).not.toMatch(/Basic [A-Za-z0-9+/=]{8,}/);
  });

  it('holds when a long error body echoes a secret across the 300-character excerpt limit', async () => {
    // A 60-character authorization key, as in the reproduced `llm ping` leak: the OAuth server's 500 echoes the
    // Authorization header 240 characters in, so a cut at 300 characters before redaction printed 38 of its
    // characters. Every 8-character window of each secret is searched for, not only the whole secret.
    await standIn.reset(); // the first scenario leaves every endpoint down
    const longKey = 'TG9uZy1jbGllbnQtaWQtMDEyMzQ1Njc4OTpsb25nLWNsaWVudC1zZWNyZXQ0';
    expect(longKey).toHaveLength(60);
    const padding = `${'x'.repeat(239)} `;
    const echoLogged: string[] = [];
    const echoStream = new PassThrough();
    echoStream.on('data', (chunk: Buffer) => echoLogged.push(chunk.toString()));
    const echoLogger = WinstonLogger.create({ level: 'debug', format: 'json', stream: echoStream });
    const client = new GigaChatLlmClient({
      authKey: longKey,
      scope: 'GIGACHAT_API_PERS',
      oauthUrl: `${standIn.url}/api/v2/oauth`,
      baseUrl: `${standIn.url}/api/v1`,
      model: 'GigaChat',
      timeoutMs: 2000,
      logger: echoLogger,
    });
    const openAiClient = new OpenAiLlmClient({
      baseUrl: standIn.url,
      model: 'm',
      apiKey: API_KEY,
      timeoutMs: 2000,
      logger: echoLogger,
    });
    const seen: unknown[] = [];
    const keep = (promise: Promise<unknown>) =>
      promise.then(
        () => undefined,
        (e: unknown) => void seen.push(e),
      );

    // JSON error body (what `llm ping` prints through health()), then the same through chat()
    await standIn.inject({
      path: '/api/v2/oauth',
      status: 500,
      body: { message: `${padding}Authorization: Basic ${longKey}` },
    });
    const health = await client.health();
    await standIn.inject({
      path: '/api/v2/oauth',
      status: 500,
      body: { message: `${padding}Authorization: Basic ${longKey}` },
    });
    await keep(client.chat(ask));
    // a text/plain body, the key split by the cut a few characters in
    await standIn.inject({ path: '/api/v2/oauth', status: 502, body: `${'y'.repeat(290)} ${longKey}` });
    await keep(client.chat(ask));
    // an OpenAI-style error object with the API key crossing the limit
    await standIn.inject({
      path: '/v1/chat/completions',
      status: 400,
      body: { error: { message: `${'z'.repeat(280)} key ${API_KEY}` } },
    });
    await keep(openAiClient.chat(ask));
    // a 200 "JSON" answer that is not JSON: the parser's message quotes the body around the error
    await standIn.inject({
      path: '/v1/chat/completions',
      contentType: 'application/json',
      body: `{"message": ${API_KEY}}`,
    });
    await keep(openAiClient.chat(ask));

    expect(health.ok).toBe(false);
    expect(health.detail).toMatch(
      /^gigachat http:\/\/127\.0\.0\.1:\d+\/api\/v1: OAuth token request \(.*\) failed with HTTP 500: x{239} Authorization: Basic \[REDACTED\]$/,
    );
    expect(seen).toHaveLength(4);
    const messages = seen.map((e) => (e as Error).message);
    expect(messages[0]).toContain('failed with HTTP 500: x');
    expect(messages[0]).toMatch(/Authorization: Basic \[REDACTED\]$/);
    expect(messages[1]).toMatch(/failed with HTTP 502: y{290} \[REDACTED\]$/);
    expect(messages[2]).toMatch(/failed with HTTP 400: z{280} key \[REDACTED\]$/);
    expect(messages[3]).toMatch(
      /answered truncated or invalid JSON \(\d+ bytes: Unexpected token 's' is not valid JSON\)$/,
    );

    const errorText = seen
      .map((e) => {
        const error = e as TestAgentError;
        return [error.message, error.stack, JSON.stringify(error.details), inspect(error, { depth: 10 })].join('\n');
      })
      .join('\n');
    const everything = `${echoLogged.join('')}\n${errorText}\n${JSON.stringify(health)}`;
    for (const secret of [longKey, API_KEY]) {
      for (let at = 0; at + 8 <= secret.length; at += 1) expect(everything).not.toContain(secret.slice(at, at + 8));
    }
  });
});
