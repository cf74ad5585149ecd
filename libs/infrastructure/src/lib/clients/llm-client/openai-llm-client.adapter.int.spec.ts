import {
  LlmAuthError,
  LlmContextOverflowError,
  LlmHttpError,
  LlmNetworkError,
  LlmResponseError,
  LlmTimeoutError,
  type LlmError,
} from '@test-agent/domain';
import { startLlmStandIn, type LlmStandInProcess } from '../../testing/llm-stand-in.process';
import { OpenAiLlmClient } from './openai-llm-client.adapter';

// OpenAI-compatible chat completions against the stand-in over real HTTP, and how every kind of failure the
// stand-in injects reaches the caller as a typed, secret-free error.
const API_KEY = 'sk-stand-in-0123456789abcdef';
const ask = [{ role: 'user' as const, content: 'hello there' }];

describe('OpenAiLlmClient against the stand-in', () => {
  let standIn: LlmStandInProcess;
  const client = (overrides: Partial<ConstructorParameters<typeof OpenAiLlmClient>[0]> = {}) =>
    new OpenAiLlmClient({
      baseUrl: `${standIn.url}/v1`,
      model: 'qwen2.5:7b',
      apiKey: API_KEY,
      timeoutMs: 2000,
      ...overrides,
    });
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (e: unknown) => e as LlmError,
    );

  beforeAll(async () => {
    standIn = await startLlmStandIn({
      model: 'qwen2.5:7b',
      models: ['qwen2.5:7b', 'llama3'],
      apiKey: API_KEY,
      default: { text: 'def test_ok():\n    assert True' },
    });
  });
  afterAll(() => standIn.stop());
  beforeEach(() => standIn.reset());

  it('chats with the API key and reads text, usage, model and finish reason', async () => {
    const result = await client().chat(ask, { maxTokens: 200, temperature: 0.2, stop: ['```'] });
    expect(result).toMatchObject({
      text: 'def test_ok():\n    assert True',
      model: 'qwen2.5:7b',
      finishReason: 'stop',
      usage: { promptTokens: 9, completionTokens: 7, totalTokens: 16 }, // def test_ok ( ) : assert True
      endpoint: `openai ${standIn.url}`,
    });
    const [request] = (await standIn.state()).requests;
    expect(request).toMatchObject({ path: '/v1/chat/completions', authScheme: 'Bearer' });
    expect(request.body).toEqual({
      model: 'qwen2.5:7b',
      messages: ask,
      max_tokens: 200,
      temperature: 0.2,
      stop: ['```'],
      stream: false,
    });
  });

  it('maps finish_reason length and picks the served model when none is configured', async () => {
    const result = await client({ model: undefined }).chat(ask, { maxTokens: 3 });
    expect(result).toMatchObject({ finishReason: 'length', model: 'qwen2.5:7b', text: 'def test_ok(' }); // three stand-in tokens
  });

  it('reports a wrong key as LlmAuthError', async () => {
    const error = await failure(client({ apiKey: 'sk-wrong-key-value' }).chat(ask));
    expect(error).toBeInstanceOf(LlmAuthError);
    expect(error?.message).toBe(
      `openai ${standIn.url}: POST /v1/chat/completions failed with HTTP 401: Incorrect API key provided`,
    );
  });

  it('types each injected failure', async () => {
    await standIn.inject({ status: 429, retryAfter: 2 });
    const limited = await failure(client().chat(ask));
    expect(limited).toBeInstanceOf(LlmHttpError);
    expect(limited).toMatchObject({ status: 429, reason: 'rate-limited', retryable: true, retryAfterMs: 2000 });

    await standIn.inject({ status: 503 });
    expect(await failure(client().chat(ask))).toMatchObject({ status: 503, reason: 'server-error', retryable: true });

    await standIn.inject({ status: 422, body: { error: { message: 'bad temperature' } } });
    const rejected = await failure(client().chat(ask));
    expect(rejected).toMatchObject({ status: 422, reason: 'rejected', retryable: false });
    expect(rejected?.message).toBe(
      `openai ${standIn.url}: POST /v1/chat/completions failed with HTTP 422: bad temperature`,
    );

    await standIn.inject({
      status: 400,
      body: { error: { message: "This model's maximum context length is 32768 tokens" } },
    });
    expect(await failure(client().chat(ask))).toBeInstanceOf(LlmContextOverflowError);

    await standIn.inject({ truncate: true });
    const truncated = await failure(client().chat(ask));
    expect(truncated).toBeInstanceOf(LlmResponseError);
    expect(truncated).toMatchObject({ retryable: true });
    expect(truncated?.message).toMatch(/answered truncated or invalid JSON/);

    await standIn.inject({ contentType: 'text/html' });
    const html = await failure(client().chat(ask));
    expect(html).toBeInstanceOf(LlmResponseError);
    expect(html).toMatchObject({ retryable: false });
    expect(html?.message).toMatch(/answered text\/html instead of JSON/);

    await standIn.inject({ reset: true });
    expect(await failure(client().chat(ask))).toBeInstanceOf(LlmNetworkError);
  });

  it('gives up at the per-request timeout', async () => {
    // The answer would come after 20 s; giving up anywhere near 300 ms, not at 20 s, is what matters. The upper
    // bound leaves a busy machine 10 s of slack and still fails a client that waits for the answer.
    await standIn.inject({ delayMs: 20_000 });
    const started = Date.now();
    const error = await failure(client({ timeoutMs: 300 }).chat(ask));
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(LlmTimeoutError);
    expect(error).toMatchObject({ kind: 'timeout', timeoutMs: 300 });
    expect(error?.message).toBe(
      `openai ${standIn.url}: POST /v1/chat/completions got no complete answer within 300 ms`,
    );
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(10_000);
  });

  it('reports a refused connection as LlmNetworkError naming the endpoint', async () => {
    const error = await failure(
      new OpenAiLlmClient({ baseUrl: 'http://127.0.0.1:9', timeoutMs: 2000, model: 'm' }).chat(ask),
    );
    expect(error).toBeInstanceOf(LlmNetworkError);
    expect(error?.message).toBe(
      'openai http://127.0.0.1:9: POST /v1/chat/completions failed: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9',
    );
  });

  it('checks health with /health and the configured model with /v1/models', async () => {
    expect(await client().health()).toMatchObject({
      ok: true,
      model: 'qwen2.5:7b',
      detail: 'GET /health answered 200',
    });
    await standIn.inject({ path: '/health', status: 404 });
    expect(await client({ model: 'gpt-4o' }).health()).toMatchObject({
      ok: false,
      detail: 'model gpt-4o is not served; available: qwen2.5:7b, llama3',
    });
  });
});
