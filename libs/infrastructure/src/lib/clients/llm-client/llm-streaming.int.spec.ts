import { LlmNetworkError, LlmResponseError, LlmTimeoutError, type LlmError } from '@test-agent/domain';
import { startLlmStandIn, type LlmStandInProcess } from '../../testing/llm-stand-in.process';
import { GigaChatLlmClient } from './gigachat-llm-client.adapter';
import { LlmApiLlmClient } from './llm-api-llm-client.adapter';
import { OpenAiLlmClient } from './openai-llm-client.adapter';

// Streamed answers (SSE) over real HTTP against the stand-in's streaming mode, per protocol: the text assembled
// from the deltas, usage from the final chunk (OpenAI's include_usage chunk, GigaChat's last chunk), the idle
// timeout between pieces instead of one whole-call timeout, and the failures a stream can end in.
const AUTH_KEY = 'c3RhbmQtaW46c2VjcmV0LWtleQ==';
const ANSWER = 'def test_add():\n    assert add(1, 2) == 3\n';
const ask = [
  { role: 'system' as const, content: 'You write pytest tests.' },
  { role: 'user' as const, content: 'Write a test for add.' },
];
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => e as LlmError,
  );

describe('Streamed chat completions against the stand-in', () => {
  let standIn: LlmStandInProcess;
  const openAi = (overrides: Partial<ConstructorParameters<typeof OpenAiLlmClient>[0]> = {}) =>
    new OpenAiLlmClient({
      baseUrl: standIn.url,
      model: 'qwen2.5:7b',
      timeoutMs: 5000,
      stream: true,
      idleTimeoutMs: 5000,
      ...overrides,
    });
  const gigachat = (overrides: Partial<ConstructorParameters<typeof GigaChatLlmClient>[0]> = {}) =>
    new GigaChatLlmClient({
      authKey: AUTH_KEY,
      scope: 'GIGACHAT_API_PERS',
      oauthUrl: `${standIn.url}/api/v2/oauth`,
      baseUrl: `${standIn.url}/api/v1`,
      model: 'GigaChat',
      timeoutMs: 5000,
      stream: true,
      idleTimeoutMs: 5000,
      ...overrides,
    });

  const script = {
    model: 'qwen2.5:7b',
    models: ['qwen2.5:7b', 'GigaChat'],
    gigachat: { authKey: AUTH_KEY },
    default: { text: ANSWER },
  };

  beforeAll(async () => {
    standIn = await startLlmStandIn(script);
  });
  afterAll(() => standIn.stop());
  beforeEach(async () => {
    await standIn.setScript(script);
    await standIn.reset();
  });

  it('OpenAI: asks with stream and include_usage, assembles the deltas, reads the usage chunk', async () => {
    const streamed = await openAi().chat(ask, { maxTokens: 200 });
    const whole = await openAi({ stream: false }).chat(ask, { maxTokens: 200 });
    expect(streamed).toMatchObject({
      text: ANSWER,
      finishReason: 'stop',
      model: 'qwen2.5:7b',
      endpoint: `openai ${standIn.url}`,
    });
    // The same counts as the non-streamed answer: the usage came from the stream's last chunk.
    expect(streamed.usage).toEqual(whole.usage);
    expect(streamed.usage?.completionTokens).toBeGreaterThan(10);
    const [first, second] = (await standIn.state()).requests;
    expect(first.body).toMatchObject({ stream: true, stream_options: { include_usage: true }, max_tokens: 200 });
    expect(second.body).toMatchObject({ stream: false });
    expect(second.body).not.toHaveProperty('stream_options');
    const { stats } = await standIn.state();
    expect(stats.streams).toBe(1);
    expect(stats.streamedTokens).toBe(streamed.usage?.completionTokens);
  });

  it('GigaChat: streams without stream_options, usage and finish_reason from the last chunk', async () => {
    const result = await gigachat().chat(ask, { maxTokens: 5 });
    expect(result).toMatchObject({
      finishReason: 'length',
      usage: { completionTokens: 5 },
      endpoint: `gigachat ${standIn.url}/api/v1`,
    });
    expect(result.text).toBe('def test_add():'); // five stand-in tokens: def test_add ( ) :
    const chat = (await standIn.state()).requests.find((r) => r.path === '/api/v1/chat/completions');
    expect(chat?.body).toMatchObject({ stream: true, model: 'GigaChat' });
    expect(chat?.body).not.toHaveProperty('stream_options');
    expect(chat?.body).not.toHaveProperty('stop');
  });

  it('GigaChat: a 401 before the stream refreshes the token and streams again', async () => {
    const client = gigachat();
    await client.chat(ask);
    await standIn.inject({ path: '/api/v1/chat/completions', expireToken: true });
    const result = await client.chat(ask);
    expect(result.text).toBe(ANSWER);
    expect(client.tokenRequests).toBe(2);
  });

  it('llm-api: POST /chat answers whole; after a 404 the /v1 route streams', async () => {
    const whole = await new LlmApiLlmClient({ baseUrl: standIn.url, timeoutMs: 5000, stream: true }).chat(ask);
    expect(whole.text).toBe(ANSWER);
    expect((await standIn.state()).requests[0].body).not.toHaveProperty('stream');
    await standIn.setScript({ ...script, llmApi: { chatRoute: false } });
    const streamed = await new LlmApiLlmClient({ baseUrl: standIn.url, timeoutMs: 5000, stream: true }).chat(ask);
    expect(streamed).toMatchObject({ text: ANSWER, finishReason: 'stop' });
    expect(streamed.usage?.completionTokens).toBeGreaterThan(10);
    expect((await standIn.state()).stats.streams).toBe(1);
  });

  it('a stream that goes silent past the idle timeout fails with a clear, retryable timeout', async () => {
    await standIn.inject({ stallAfterTokens: 4 });
    const started = Date.now();
    const error = await failure(openAi({ idleTimeoutMs: 700 }).chat(ask));
    expect(error).toBeInstanceOf(LlmTimeoutError);
    expect(error).toMatchObject({ reason: 'timeout', retryable: true, timeoutMs: 700 });
    expect(error?.message).toMatch(
      new RegExp(
        `^openai ${standIn.url}: POST /v1/chat/completions \\(stream\\) stream went silent for 700 ms \\(after 5 events, \\d+ characters in \\d+ ms\\)$`,
      ),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);
    expect((await standIn.state()).stats.stalledStreams).toBe(1);
  });

  it('the idle timeout is per piece, not per call: a stream longer than both timeouts succeeds', async () => {
    // 60 tokens at 40 tokens/s: about 1.5 s in all, far more than either timeout, never 400 ms silent.
    await standIn.setScript({
      ...script,
      default: { text: Array.from({ length: 60 }, (_, i) => `w${i}`).join(' ') },
      stream: { tokensPerSecond: 40 },
    });
    const started = Date.now();
    const result = await openAi({ timeoutMs: 1000, idleTimeoutMs: 1000 }).chat(ask);
    expect(Date.now() - started).toBeGreaterThan(1000);
    expect(result.usage?.completionTokens).toBe(60);
    expect(result.text.split(' ')).toHaveLength(60);
  });

  it('no first byte within the per-request timeout is a timeout naming it', async () => {
    await standIn.inject({ delayMs: 3000 });
    const error = await failure(openAi({ timeoutMs: 300 }).chat(ask));
    expect(error).toMatchObject({ reason: 'timeout', retryable: true, timeoutMs: 300 });
    expect(error?.message).toBe(
      `openai ${standIn.url}: POST /v1/chat/completions (stream) sent no answer within 300 ms`,
    );
  });

  it('a stream cut before [DONE] is an incomplete answer; HTTP errors stay typed; a reset is a network error', async () => {
    await standIn.inject({ truncate: true });
    const cut = await failure(openAi().chat(ask));
    expect(cut).toBeInstanceOf(LlmResponseError);
    expect(cut).toMatchObject({ retryable: true });
    expect(cut?.message).toMatch(/stream ended before \[DONE\] and before a finish_reason/);

    await standIn.inject({ status: 429, retryAfter: 1 });
    expect(await failure(openAi().chat(ask))).toMatchObject({
      status: 429,
      reason: 'rate-limited',
      retryAfterMs: 1000,
    });

    await standIn.inject({ reset: true });
    expect(await failure(openAi().chat(ask))).toBeInstanceOf(LlmNetworkError);
  });
});
