import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '@test-agent/domain';
import { GigaChatLlmClient } from '@test-agent/infrastructure';
import { loadConfig } from '../config/load-config';
import { createContainer } from '../create-container';
import { TOKENS } from '../tokens';
import { localEstimator } from './llm.module';

// The provider is chosen by configuration through the factories; nothing is contacted here.
describe('llm module', () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'ta-llm-module-'));
  const resolve = (env: Record<string, string>) => createContainer(loadConfig({ env, cwd }), { logger: silentLogger });

  it('builds the runbook chain: GigaChat primary (one request at a time) and the llm-api fallback', () => {
    const llm = resolve({
      LLM_PROVIDER: 'gigachat',
      GIGACHAT_AUTH_KEY: 'a2V5OnNlY3JldA==',
      LLM_MODEL: 'GigaChat-2-Max',
      LLM_FALLBACK_PROVIDER: 'llm-api',
      LLM_FALLBACK_URL: 'http://llm-api:8000',
      LLM_FALLBACK_MODEL: 'qwen2.5:7b',
    }).get(TOKENS.LlmService);
    expect(llm.configured).toBe(true);
    expect(llm.endpoints).toEqual([
      {
        role: 'primary',
        provider: 'gigachat',
        endpoint: 'gigachat https://gigachat.devices.sberbank.ru/api/v1',
        maxConcurrency: 1,
      },
      { role: 'fallback', provider: 'llm-api', endpoint: 'llm-api http://llm-api:8000', maxConcurrency: 4 },
    ]);
    // GigaChat's /tokens/count: the remote token counter asks the primary client when it is GigaChat.
    expect(llm.primaryClient).toBeInstanceOf(GigaChatLlmClient);
  });

  it('chooses the OpenAI-compatible adapter for LLM_PROVIDER=openai', () => {
    const llm = resolve({ LLM_PROVIDER: 'openai', LLM_URL: 'http://ollama:11434/v1', LLM_MODEL: 'qwen2.5:7b' }).get(
      TOKENS.LlmService,
    );
    expect(llm.endpoints).toEqual([
      { role: 'primary', provider: 'openai', endpoint: 'openai http://ollama:11434', maxConcurrency: 4 },
    ]);
    const limited = resolve({ LLM_PROVIDER: 'openai', LLM_URL: 'http://vllm:8000', LLM_MAX_CONCURRENCY: '16' }).get(
      TOKENS.LlmService,
    );
    expect(limited.endpoints[0].maxConcurrency).toBe(16);
    expect(llm.primaryClient).not.toBeInstanceOf(GigaChatLlmClient);
  });

  it('has no endpoint with LLM_PROVIDER=none, and doctor says the offline engine is used', async () => {
    const container = resolve({});
    expect(container.get(TOKENS.LlmService).configured).toBe(false);
    const checks = (await Promise.all(container.getAll(TOKENS.HealthCheck).map((c) => c.run()))).flat();
    expect(checks.find((c) => c.name === 'llm')).toEqual({
      name: 'llm',
      ok: true,
      detail: 'not configured: the offline engine is used (set LLM_PROVIDER to use a model)',
    });
  });

  it("estimates with each model's own local tokenizer, GigaChat included (never its API)", async () => {
    const code = 'def add(a, b):\n    return a + b\n';
    const [qwen, gpt, gigachat] = await Promise.all([
      localEstimator('qwen2.5:7b')(code),
      localEstimator(undefined)(code),
      localEstimator('GigaChat')(code),
    ]);
    expect(qwen).toBeGreaterThan(5);
    expect(qwen).toBeLessThan(20);
    expect(gpt).toBe(12); // cl100k_base, the default profile
    expect(gigachat).toBeGreaterThanOrEqual(gpt); // GigaChat's local estimate: cl100k with its correction, offline
  });
});
