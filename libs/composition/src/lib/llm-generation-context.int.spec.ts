import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CapturingLogger } from '@test-agent/domain/testing';
import { startLlmStandIn, type LlmStandInProcess } from '@test-agent/infrastructure/testing';
import { createTestAgent } from './create-test-agent';

// Context windows as the servers tell them, against real pytest + coverage.py: an Ollama whose loaded model runs
// with 4,096 tokens (and truncates longer prompts silently) behind a vLLM primary with 32,768 — no window
// configured anywhere. The chunks and prompts are fitted to the chain's smallest window, the primary fails, the
// fallback serves, and the report names the fallback, why, and each detected window.
const WINDOW = 4096;
const BIG = Array.from(
  { length: 90 },
  (_, i) =>
    `def label_${i}(x):\n    """Label x against ${i}."""\n    if x > ${i}:\n        return "above ${i}"\n    return "not above ${i}"\n`,
).join('\n\n');
const ANSWER =
  '```python\nfrom big import label_0\n\n\ndef test_label_0_above():\n    assert label_0(1) == "above 0"\n```';

function workspace(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ta-llm-context-'));
  writeFileSync(path.join(dir, 'big.py'), BIG);
  return dir;
}

describe('LLM generation fitted to the detected windows of the chain', () => {
  jest.setTimeout(180_000);
  const started: LlmStandInProcess[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.stop()));
  });
  const standIn = async (script: Record<string, unknown>) => {
    const s = await startLlmStandIn(script);
    started.push(s);
    return s;
  };

  it('vLLM primary failing, Ollama fallback with 4,096 loaded: every prompt fits 4,096 and the report names the fallback', async () => {
    const vllm = await standIn({
      model: 'qwen2.5:7b',
      maxModelLen: 32_768,
      default: { text: ANSWER },
      faults: [{ status: 503, times: 'always' }],
    });
    const ollama = await standIn({
      model: 'qwen2.5:7b',
      contextWindow: WINDOW,
      ollama: { loadedContextLength: WINDOW, modelContextLength: 32_768 },
      default: { text: ANSWER },
    });
    const dir = workspace();
    const logger = new CapturingLogger();
    const agent = createTestAgent(
      {
        llmProvider: 'openai',
        llmMaxConcurrency: 1,
        llmUrl: vllm.url,
        llmModel: 'qwen2.5:7b',
        llmFallbackProvider: 'openai',
        llmFallbackUrl: `${ollama.url}/v1`,
        llmFallbackModel: 'qwen2.5:7b',
        llmMaxRetries: 0,
        flakyReruns: 1,
      },
      { logger },
    );
    const report = await agent.generate({
      path: path.join(dir, 'big.py'),
      outDir: path.join(dir, 'out'),
      strategy: 'llm',
      maxIterations: 1,
      targetCoverage: 100,
      maxTokens: 4500,
    });
    const module = report.modules[0];
    expect(module.error).toBeUndefined();
    expect(module.llm).toMatchObject({ contextWindow: WINDOW, reservedCompletionTokens: 1365 });
    expect(module.llm!.chunks.length).toBeGreaterThan(3);
    const served = await ollama.state();
    const chats = served.requests.filter((r) => r.path === '/v1/chat/completions');
    expect(chats.length).toBeGreaterThanOrEqual(1);
    expect(served.stats.truncatedPrompts).toBe(0); // every prompt fits the fallback's 4,096 tokens by its own count
    for (const chat of chats) expect((chat.body as { max_tokens: number }).max_tokens).toBe(1365);
    expect(module.tests).toBeGreaterThanOrEqual(1);

    const primary = `openai ${vllm.url}`;
    const fallback = `openai ${ollama.url}`;
    expect(report.llm).toMatchObject({
      servedBy: [fallback],
      fallbackUsed: true,
      contextWindow: WINDOW,
      endpoints: [
        {
          role: 'primary',
          endpoint: primary,
          answered: 0,
          contextWindow: 32_768,
          contextWindowSource: 'vLLM GET /v1/models max_model_len',
        },
        {
          role: 'fallback',
          endpoint: fallback,
          answered: chats.length,
          failed: 0,
          contextWindow: WINDOW,
          contextWindowSource: 'Ollama GET /api/ps context_length',
        },
      ],
    });
    expect(report.llm!.fallbacks[0]).toMatchObject({
      from: primary,
      to: fallback,
      reason: 'server-error',
      message: expect.stringContaining('HTTP 503') as unknown,
    });
    expect(report.llm!.fallbacks.reduce((n, f) => n + f.calls, 0)).toBe(chats.length);
    const markdown = readFileSync(report.reports.markdown, 'utf8');
    expect(markdown).toContain(
      `LLM: served by ${fallback}; prompts fitted to 4096 tokens, the smallest window of the chain.`,
    );
    expect(markdown).toContain(`- Fallback: `);
    expect(
      logger.lines.some(
        (l) => l.message === 'LLM endpoint failed; switching to the next endpoint' && l.level === 'warn',
      ),
    ).toBe(true);
    expect(
      logger.lines.find(
        (l) => l.message === 'LLM context window' && (l.fields as { endpoint?: string }).endpoint === fallback,
      ),
    ).toMatchObject({
      fields: { contextWindow: WINDOW, source: 'Ollama GET /api/ps context_length' },
    });
  });

  it('an Ollama that reports no window: OLLAMA_CONTEXT_LENGTH, as the README asks to set, is the window', async () => {
    const ollama = await standIn({
      model: 'qwen2.5:7b',
      contextWindow: WINDOW,
      ollama: { modelContextLength: 32_768 },
      default: { text: ANSWER },
    });
    const dir = workspace();
    const report = await createTestAgent(
      {
        llmProvider: 'openai',
        llmMaxConcurrency: 1,
        llmUrl: `${ollama.url}/v1`,
        llmModel: 'qwen2.5:7b',
        ollamaContextLength: WINDOW,
        flakyReruns: 1,
      },
      { logger: new CapturingLogger() },
    ).generate({
      path: path.join(dir, 'big.py'),
      outDir: path.join(dir, 'out'),
      strategy: 'llm',
      maxIterations: 1,
      targetCoverage: 100,
      maxTokens: 4500,
    });
    expect(report.modules[0].error).toBeUndefined();
    expect(report.modules[0].llm).toMatchObject({ contextWindow: WINDOW, reservedCompletionTokens: 1365 });
    expect(report.llm?.endpoints[0]).toMatchObject({
      contextWindow: WINDOW,
      contextWindowSource: 'OLLAMA_CONTEXT_LENGTH',
    });
    expect((await ollama.state()).stats.truncatedPrompts).toBe(0);
  });
});
