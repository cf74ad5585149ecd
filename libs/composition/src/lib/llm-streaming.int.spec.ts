import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '@test-agent/domain';
import { startLlmStandIn, type LlmStandInProcess } from '@test-agent/infrastructure/testing';
import { loadConfig } from './config/load-config';
import { createContainer } from './create-container';
import { TOKENS } from './tokens';

// Acceptance (issue 13): a slow local model — a stand-in streaming 10 tokens/s — gives a 1,500-token answer
// (150 s, longer than the 120 s per-request timeout) and the call succeeds with the default settings: streaming
// on, the idle timeout between pieces instead of a limit on the whole call. Configured from the environment
// only, as a user would.
const TOKENS_PER_SECOND = 10;
const ANSWER_TOKENS = 1_500;

describe('a slow streaming endpoint with the default settings', () => {
  let standIn: LlmStandInProcess;
  const answer = Array.from({ length: ANSWER_TOKENS }, (_, i) => `t${i}`).join(' ');

  beforeAll(async () => {
    standIn = await startLlmStandIn({
      model: 'qwen2.5:7b',
      default: { text: answer },
      stream: { tokensPerSecond: TOKENS_PER_SECOND },
    });
  });
  afterAll(() => standIn.stop());

  it('answers 1,500 tokens at 10 tokens/s in one call', async () => {
    const config = loadConfig({
      env: { LLM_PROVIDER: 'openai', LLM_URL: standIn.url, LLM_MODEL: 'qwen2.5:7b', LLM_MAX_CONCURRENCY: '1' },
      cwd: mkdtempSync(path.join(tmpdir(), 'ta-stream-')),
    });
    expect(config).toMatchObject({ llmStream: 'on', llmTimeoutMs: 120_000, llmStreamIdleTimeoutMs: 60_000 });
    const container = createContainer(config, { logger: silentLogger });
    // The answer size generation asks for: the profile's reserve for the answer.
    const maxTokens = container.get(TOKENS.ChunkModule).plan({}).profile.reservedCompletionTokens;
    expect(maxTokens).toBeGreaterThanOrEqual(ANSWER_TOKENS);
    const started = Date.now();
    const result = await container
      .get(TOKENS.LlmService)
      .chat([{ role: 'user', content: 'Write the tests.' }], { maxTokens });
    const elapsedMs = Date.now() - started;
    expect(result).toMatchObject({ text: answer, finishReason: 'stop', usage: { completionTokens: ANSWER_TOKENS } });
    expect(elapsedMs).toBeGreaterThan(config.llmTimeoutMs); // longer than any whole-call timeout would allow
    const { stats } = await standIn.state();
    expect(stats.byPath['POST /v1/chat/completions']).toBe(1); // no retry, no timeout
    expect(stats.streamedTokens).toBe(ANSWER_TOKENS);
  }, 240_000);
});
