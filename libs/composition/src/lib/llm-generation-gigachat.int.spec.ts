import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CapturingLogger } from '@test-agent/domain/testing';
import { startLlmStandIn, type LlmStandInProcess } from '@test-agent/infrastructure/testing';
import { createTestAgent } from './create-test-agent';

// GigaChat through generation with the default settings, against real pytest + coverage.py: OAuth, exact counts
// from /tokens/count, the answer streamed (SSE) at a model's pace, its usage from the last chunk.
const AUTH_KEY = 'Z2VuZXJhdGlvbjpzdHJlYW1pbmc=';
const MODULE =
  'def clamp(x, low, high):\n    if x < low:\n        return low\n    if x > high:\n        return high\n    return x\n';
const ANSWER =
  '```python\nfrom clamp import clamp\n\n\ndef test_clamp_below():\n    assert clamp(-5, 0, 10) == 0\n\n\ndef test_clamp_above():\n    assert clamp(50, 0, 10) == 10\n\n\ndef test_clamp_inside():\n    assert clamp(5, 0, 10) == 5\n```';

describe('GigaChat through generation', () => {
  jest.setTimeout(120_000);
  let standIn: LlmStandInProcess;
  afterAll(() => standIn?.stop());

  it('streams the answer, counts with /tokens/count and reports GigaChat as the endpoint that served', async () => {
    standIn = await startLlmStandIn({
      model: 'GigaChat',
      models: ['GigaChat'],
      gigachat: { authKey: AUTH_KEY },
      default: { text: ANSWER },
      stream: { tokensPerSecond: 200 },
    });
    const dir = mkdtempSync(path.join(tmpdir(), 'ta-llm-gigachat-'));
    writeFileSync(path.join(dir, 'clamp.py'), MODULE);
    const report = await createTestAgent(
      {
        llmProvider: 'gigachat',
        llmUrl: `${standIn.url}/api/v1`,
        gigachatOauthUrl: `${standIn.url}/api/v2/oauth`,
        gigachatAuthKey: AUTH_KEY,
        llmModel: 'GigaChat',
        flakyReruns: 1,
      },
      { logger: new CapturingLogger() },
    ).generate({
      path: path.join(dir, 'clamp.py'),
      outDir: path.join(dir, 'out'),
      strategy: 'llm',
      maxIterations: 1,
      targetCoverage: 100,
    });
    const module = report.modules[0];
    expect(module.error).toBeUndefined();
    expect(module.tests).toBe(3);
    expect(module.coverage.percent.combined).toBe(100);
    expect(module.llm).toMatchObject({ tokenCounts: 'exact', contextWindow: 8192 });
    const { stats, requests } = await standIn.state();
    const chats = requests.filter((r) => r.path === '/api/v1/chat/completions');
    expect(chats.length).toBeGreaterThanOrEqual(1);
    for (const chat of chats) expect(chat.body).toMatchObject({ stream: true, model: 'GigaChat' });
    expect(stats.streams).toBe(chats.length);
    expect(stats.byPath['POST /api/v1/tokens/count']).toBeGreaterThanOrEqual(1);
    expect(stats.oauth).toBe(1);
    // The usage came from the stream's last chunk: the report's token totals are the stand-in's counts.
    expect(module.llm!.completionTokens).toBe(stats.streamedTokens);
    expect(report.llm).toMatchObject({
      servedBy: [`gigachat ${standIn.url}/api/v1`],
      fallbackUsed: false,
      fallbacks: [],
      contextWindow: 8192,
    });
  });
});
