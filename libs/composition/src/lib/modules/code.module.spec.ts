import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '@test-agent/domain';
import { loadConfig } from '../config/load-config';
import { createContainer } from '../create-container';
import { TOKENS } from '../tokens';

describe('code module', () => {
  it('wires the chunk use case with the model, context window and overhead from configuration', () => {
    const config = loadConfig({
      env: {
        LLM_PROVIDER: 'llm-api',
        LLM_URL: 'http://127.0.0.1:9',
        LLM_MODEL: 'qwen2.5:7b',
        LLM_CONTEXT_WINDOW: '65536',
        TEST_AGENT_PROMPT_OVERHEAD_TOKENS: '2000',
        TEST_AGENT_CHUNK_STRATEGY: 'class',
      },
      cwd: mkdtempSync(path.join(tmpdir(), 'ta-code-module-')),
    });
    const chunkModule = createContainer(config, { logger: silentLogger }).get(TOKENS.ChunkModule);
    const plan = chunkModule.plan({});
    expect(plan.profile).toMatchObject({ model: 'qwen2.5:7b', tokenizer: 'qwen', contextWindow: 65_536 });
    // floor(0.9 × 65536) = 58982; − 4096 reserved − 2000 overhead
    expect(plan.budget.maxTokens).toBe(52_886);
    expect(plan.counter.tokenizer).toBe('qwen');
    expect(chunkModule.plan({ model: 'gpt-4o', maxTokens: 900 }).budget.maxTokens).toBe(900);
  });

  it('counts GigaChat tokens locally (estimated) when GigaChat is not the configured provider', () => {
    const config = loadConfig({
      env: { LLM_MODEL: 'GigaChat-2-Max' },
      cwd: mkdtempSync(path.join(tmpdir(), 'ta-code-module-')),
    });
    const plan = createContainer(config, { logger: silentLogger }).get(TOKENS.ChunkModule).plan({});
    expect(plan.counter).toMatchObject({ tokenizer: 'gigachat', exact: false });
  });
});
