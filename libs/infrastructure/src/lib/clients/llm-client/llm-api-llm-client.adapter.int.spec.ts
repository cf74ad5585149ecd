import { startLlmStandIn, type LlmStandInProcess } from '../../testing/llm-stand-in.process';
import { LlmApiLlmClient } from './llm-api-llm-client.adapter';

// The in-house llm-api gateway against the stand-in: POST /chat, the /v1/chat/completions fallback on 404, and
// GET /health while the model is loading.
describe('LlmApiLlmClient against the stand-in', () => {
  let standIn: LlmStandInProcess;
  const client = () => new LlmApiLlmClient({ baseUrl: standIn.url, model: 'qwen2.5:7b', timeoutMs: 2000 });
  const ask = [{ role: 'user' as const, content: 'hello there' }];

  beforeAll(async () => {
    standIn = await startLlmStandIn({ model: 'qwen2.5:7b', echo: true });
  });
  afterAll(() => standIn.stop());
  beforeEach(() => standIn.reset());

  it('posts to /chat and reads {"response"}', async () => {
    const result = await client().chat(ask, { maxTokens: 64, temperature: 0 });
    expect(result).toEqual({
      text: 'echo: hello there',
      usage: undefined,
      model: 'qwen2.5:7b',
      finishReason: 'unknown',
      latencyMs: expect.any(Number),
      endpoint: `llm-api ${standIn.url}`,
    });
    expect((await standIn.state()).requests[0].body).toEqual({
      messages: ask,
      max_tokens: 64,
      temperature: 0,
      model: 'qwen2.5:7b',
    });
  });

  it('reads the token counts of the older server', async () => {
    await standIn.setScript({ model: 'qwen2.5:7b', echo: true, llmApi: { usage: true } });
    const result = await client().chat(ask);
    expect(result.usage).toEqual({ promptTokens: 9, completionTokens: 4, totalTokens: 13 });
  });

  it('falls back to /v1/chat/completions when /chat answers 404, and stays there', async () => {
    await standIn.setScript({ model: 'qwen2.5:7b', echo: true, llmApi: { chatRoute: false } });
    const llmApi = client();
    const first = await llmApi.chat(ask);
    const second = await llmApi.chat(ask);
    expect([first.text, second.text]).toEqual(['echo: hello there', 'echo: hello there']);
    expect(first.usage).toEqual({ promptTokens: 9, completionTokens: 4, totalTokens: 13 });
    expect((await standIn.state()).requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /chat',
      'POST /v1/chat/completions',
      'POST /v1/chat/completions',
    ]);
  });

  it('reports healthy, and unhealthy while the model loads', async () => {
    await standIn.setScript({ model: 'qwen2.5:7b', echo: true });
    expect(await client().health()).toMatchObject({
      ok: true,
      model: 'qwen2.5:7b',
      detail: 'healthy, model qwen2.5:7b on cpu',
    });
    await standIn.setScript({ model: 'qwen2.5:7b', echo: true, llmApi: { healthy: false } });
    expect(await client().health()).toMatchObject({
      ok: false,
      detail: 'unhealthy (HTTP 503; the model may still be loading, 2-5 min)',
    });
  });
});
