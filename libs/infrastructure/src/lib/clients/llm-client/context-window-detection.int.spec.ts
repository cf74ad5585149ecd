import { startLlmStandIn, type LlmStandInProcess } from '../../testing/llm-stand-in.process';
import { LlmService } from '../../services/llm-service/llm.service';
import { LlmApiLlmClient } from './llm-api-llm-client.adapter';
import { OpenAiLlmClient } from './openai-llm-client.adapter';

// Where servers tell their context window, over real HTTP against the stand-in's vLLM and Ollama answers, and how
// the service turns that (or the configured values) into each endpoint's window and the chain's smallest one.
describe('context window detection', () => {
  let standIn: LlmStandInProcess;
  const client = (model = 'qwen2.5:7b') =>
    new OpenAiLlmClient({ baseUrl: `${standIn.url}/v1`, model, timeoutMs: 3000 });
  const service = (
    endpoints: { client: OpenAiLlmClient | LlmApiLlmClient; role?: string; configured?: number; profile?: number }[],
    ollamaContextLength?: number,
  ) =>
    new LlmService(
      endpoints.map((e, i) => ({
        role: e.role ?? (i === 0 ? 'primary' : 'fallback'),
        provider: 'openai',
        client: e.client,
        maxConcurrency: 1,
        configuredContextWindow: e.configured,
        profileContextWindow: e.profile,
      })),
      { estimateTokens: (t) => Math.ceil(t.length / 4), ollamaContextLength },
    );

  beforeAll(async () => {
    standIn = await startLlmStandIn({ model: 'qwen2.5:7b', echo: true });
  });
  afterAll(() => standIn.stop());
  beforeEach(() => standIn.reset());

  it('reads vLLM max_model_len from /v1/models', async () => {
    await standIn.setScript({ model: 'qwen2.5:7b', echo: true, maxModelLen: 16_384 });
    expect(await client().detectContextWindow()).toEqual({
      tokens: 16_384,
      source: 'vLLM GET /v1/models max_model_len',
    });
    expect(
      await new LlmApiLlmClient({ baseUrl: standIn.url, model: 'qwen2.5:7b', timeoutMs: 3000 }).detectContextWindow(),
    ).toMatchObject({ tokens: 16_384 });
  });

  it("reads Ollama's loaded context_length first, then the Modelfile's num_ctx, and the model's own largest context", async () => {
    await standIn.setScript({
      model: 'qwen2.5:7b',
      echo: true,
      ollama: { numCtx: 8192, loadedContextLength: 4096, modelContextLength: 32_768 },
    });
    expect(await client().detectContextWindow()).toEqual({
      tokens: 4096,
      source: 'Ollama GET /api/ps context_length',
      ollama: true,
      modelMaxTokens: 32_768,
    });
    await standIn.setScript({ model: 'qwen2.5:7b', echo: true, ollama: { numCtx: 8192, modelContextLength: 32_768 } });
    expect(await client().detectContextWindow()).toEqual({
      tokens: 8192,
      source: 'Ollama POST /api/show num_ctx',
      ollama: true,
      modelMaxTokens: 32_768,
    });
    await standIn.setScript({ model: 'qwen2.5:7b', echo: true, ollama: { modelContextLength: 32_768 } });
    expect(await client().detectContextWindow()).toEqual({ ollama: true, modelMaxTokens: 32_768 });
    const show = (await standIn.state()).requests.find((r) => r.path === '/api/show');
    expect(show?.body).toEqual({ model: 'qwen2.5:7b' });
  });

  it('is undefined for a server that tells nothing (OpenAI, LM Studio), and never throws for one that is down', async () => {
    await standIn.setScript({ model: 'qwen2.5:7b', echo: true });
    expect(await client().detectContextWindow()).toBeUndefined();
    expect(
      await new OpenAiLlmClient({ baseUrl: 'http://127.0.0.1:9', model: 'm', timeoutMs: 1000 }).detectContextWindow(),
    ).toBeUndefined();
  });

  it('gives each endpoint its window by precedence and the chain its smallest', async () => {
    await standIn.setScript({ model: 'qwen2.5:7b', echo: true, ollama: { modelContextLength: 32_768 } });
    // an Ollama telling nothing: OLLAMA_CONTEXT_LENGTH, else LLM_CONTEXT_WINDOW, else Ollama's default 4,096
    expect(
      (await service([{ client: client(), configured: 6000, profile: 32_768 }], 12_000).contextWindows())[0],
    ).toMatchObject({ contextWindow: 12_000, source: 'OLLAMA_CONTEXT_LENGTH' });
    expect(
      (await service([{ client: client(), configured: 6000, profile: 32_768 }]).contextWindows())[0],
    ).toMatchObject({ contextWindow: 6000, source: 'LLM_CONTEXT_WINDOW' });
    expect((await service([{ client: client(), profile: 32_768 }]).contextWindows())[0]).toMatchObject({
      contextWindow: 4096,
      source: expect.stringMatching(/^Ollama's default \(4096/) as unknown,
    });
    // capped at the model's own largest context
    expect((await service([{ client: client() }], 65_536).contextWindows())[0]).toMatchObject({
      contextWindow: 32_768,
      source: "OLLAMA_CONTEXT_LENGTH, capped at the model's 32768",
    });

    await standIn.setScript({ model: 'qwen2.5:7b', echo: true, maxModelLen: 32_768 });
    // a configured window smaller than the server's applies; a server telling nothing: the configured, else the profile
    const other = new OpenAiLlmClient({
      baseUrl: 'http://127.0.0.1:9',
      model: 'GigaChat-2-Max',
      timeoutMs: 1000,
      provider: 'other',
    });
    const chain = service([
      { client: client(), configured: 20_000 },
      { client: other, profile: 128_000 },
    ]);
    expect(await chain.contextWindows()).toEqual([
      {
        role: 'primary',
        endpoint: `openai ${standIn.url}`,
        contextWindow: 20_000,
        source: 'LLM_CONTEXT_WINDOW (the server allows 32768: vLLM GET /v1/models max_model_len)',
      },
      { role: 'fallback', endpoint: 'other http://127.0.0.1:9', contextWindow: 128_000, source: 'model profile' },
    ]);
    expect(await chain.chainContextWindow()).toMatchObject({ role: 'primary', contextWindow: 20_000 });
    const requests = (await standIn.state()).stats.byPath['GET /v1/models'];
    await chain.contextWindows();
    expect((await standIn.state()).stats.byPath['GET /v1/models']).toBe(requests); // detected once
  });
});
