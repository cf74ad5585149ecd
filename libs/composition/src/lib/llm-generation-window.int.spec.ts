import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CapturingLogger } from '@test-agent/domain/testing';
import { startLlmStandIn, type LlmStandInProcess } from '@test-agent/infrastructure/testing';
import { createTestAgent } from './create-test-agent';

// A local model behind Ollama's /v1 with a 4,096-token window that truncates longer prompts silently (the stand-in
// reports them as 4,096 prompt tokens and still answers 200), against real pytest + coverage.py.
const WINDOW = 4096;
/** A module far over the window: 90 small functions, each with a branch. */
const BIG = Array.from(
  { length: 90 },
  (_, i) =>
    `def label_${i}(x):\n    """Label x against ${i}."""\n    if x > ${i}:\n        return "above ${i}"\n    return "not above ${i}"\n`,
).join('\n\n');
const ANSWER =
  '```python\nfrom big import label_0\n\n\ndef test_label_0_above():\n    assert label_0(1) == "above 0"\n```';

function workspace(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ta-llm-window-'));
  writeFileSync(path.join(dir, 'big.py'), BIG);
  return dir;
}

describe('LLM generation on a 4,096-token local model', () => {
  jest.setTimeout(120_000);
  let standIn: LlmStandInProcess;
  afterEach(() => standIn?.stop());

  it('with LLM_CONTEXT_WINDOW=4096 alone: the answer reserve scales, every prompt fits, no module aborts', async () => {
    standIn = await startLlmStandIn({ model: 'qwen2.5:7b', contextWindow: WINDOW, default: { text: ANSWER } });
    const dir = workspace();
    const report = await createTestAgent(
      {
        llmProvider: 'openai',
        llmUrl: standIn.url,
        llmModel: 'qwen2.5:7b',
        llmContextWindow: WINDOW,
        flakyReruns: 1,
        llmMaxConcurrency: 1,
      },
      { logger: new CapturingLogger() },
    ).generate({
      path: path.join(dir, 'big.py'),
      outDir: path.join(dir, 'out'),
      strategy: 'llm',
      maxIterations: 1,
      targetCoverage: 100,
      maxTokens: 4500, // one call or two of at most 2,321 + 1,365 tokens: enough to see the fitting, fast
    });
    const module = report.modules[0];
    expect(module.error).toBeUndefined();
    expect(module.llm).toMatchObject({ contextWindow: WINDOW, reservedCompletionTokens: 1365, tokenCounts: 'exact' });
    const state = await standIn.state();
    const chats = state.requests.filter((r) => r.path === '/v1/chat/completions');
    expect(module.llm!.chunks.length).toBeGreaterThan(3); // chunked to fit
    expect(chats.length).toBeGreaterThanOrEqual(1);
    expect(state.stats.truncatedPrompts).toBe(0); // every prompt sent fits the 4,096 tokens, by the server's count
    for (const chat of chats) expect((chat.body as { max_tokens: number }).max_tokens).toBe(1365);
    expect(module.tests).toBeGreaterThanOrEqual(1);
  });

  it('with no window configured: the silent truncation is detected and the module is chunked smaller instead of aborting', async () => {
    standIn = await startLlmStandIn({ model: 'qwen2.5:7b', contextWindow: WINDOW, default: { text: ANSWER } });
    const dir = workspace();
    const logger = new CapturingLogger();
    const report = await createTestAgent(
      { llmProvider: 'openai', llmUrl: standIn.url, llmModel: 'qwen2.5:7b', flakyReruns: 1, llmMaxConcurrency: 1 },
      { logger },
    ).generate({
      path: path.join(dir, 'big.py'),
      outDir: path.join(dir, 'out'),
      strategy: 'llm',
      maxIterations: 1,
      targetCoverage: 100,
      maxTokens: 24_000, // the truncated call (the whole module at once) and a few after the refit
    });
    const module = report.modules[0];
    expect(module.error).toBeUndefined();
    expect(module.llm).toMatchObject({ contextWindow: 32_768, refitsAfterTruncation: expect.any(Number) });
    const state = await standIn.state();
    // The refitted prompts are smaller; the stand-in's word counter over-counts Qwen's tokenizer, so one of them
    // may still be cut by its count (then detected or not); what matters is that the module does not abort.
    expect(state.stats.truncatedPrompts).toBeGreaterThanOrEqual(1);
    expect(logger.lines.some((l) => l.message.startsWith('The LLM server truncated a prompt silently'))).toBe(true);
    expect(module.tests).toBeGreaterThanOrEqual(1);
  });
});
