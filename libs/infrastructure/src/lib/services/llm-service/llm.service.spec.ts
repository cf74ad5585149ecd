import {
  ConfigError,
  LlmHttpError,
  LlmNetworkError,
  LlmReplayedError,
  LlmUnavailableError,
  type LlmClient,
} from '@test-agent/domain';
import { CapturingLogger, FakeLlmClient, InMemoryMetrics } from '@test-agent/domain/testing';
import { LlmService } from './llm.service';

// The chain's decisions with scripted clients (no I/O): order, what counts as an endpoint failure, metrics.
const ask = [{ role: 'user' as const, content: 'x' }];
const build = (clients: LlmClient[], logger = new CapturingLogger(), metrics = new InMemoryMetrics()) =>
  new LlmService(
    clients.map((client, i) => ({
      role: i === 0 ? 'primary' : 'fallback',
      provider: 'fake',
      client,
      maxConcurrency: 1,
    })),
    { estimateTokens: (t) => t.length, maxRetries: 0 },
    logger,
    metrics,
  );

describe('LlmService', () => {
  it('answers from the first endpoint that succeeds, in order', async () => {
    const primary = new FakeLlmClient('fake primary', [{ error: new LlmNetworkError('fake primary', 'down') }]);
    const fallback = new FakeLlmClient('fake fallback', [{ text: 'from fallback' }]);
    const metrics = new InMemoryMetrics();
    const result = await build([primary, fallback], new CapturingLogger(), metrics).chat(ask);
    expect(result).toMatchObject({ text: 'from fallback', endpoint: 'fake fallback' });
    expect([primary.calls.length, fallback.calls.length]).toEqual([1, 1]);
    expect(metrics.counter('test_agent_llm_errors_total', { endpoint: 'fake primary', reason: 'network' })).toBe(1);
    expect(metrics.counter('test_agent_requests_total', { operation: 'llm.chat', status: 'ok' })).toBe(1);
  });

  it('lets a bug through at once instead of trying the fallback', async () => {
    const fallback = new FakeLlmClient('fake fallback', [{ text: 'never' }]);
    const primary = new FakeLlmClient('fake primary', [{ error: new TypeError('bug') }]);
    await expect(build([primary, fallback]).chat(ask)).rejects.toThrow(TypeError);
    expect(fallback.calls).toHaveLength(0);
  });

  it('names every endpoint in the error when all fail, timeout kind only when all timed out', async () => {
    const error = (await build([
      new FakeLlmClient('a', [{ error: new LlmHttpError('a', 500, 'a: HTTP 500') }]),
      new FakeLlmClient('b', [{ error: new LlmHttpError('b', 402, 'b: HTTP 402') }]),
    ])
      .chat(ask)
      .catch((e: unknown) => e)) as LlmUnavailableError;
    expect(error).toBeInstanceOf(LlmUnavailableError);
    expect(error.message).toBe('Every LLM endpoint failed: a: HTTP 500; b: HTTP 402');
    expect(error.failures.map((f) => f.reason)).toEqual(['server-error', 'quota']);
    expect(error.kind).toBe('external');
  });

  it('passes a replayed failure through unchanged', async () => {
    const replayed = new LlmReplayedError('recorded', {
      code: 'TA_LLM_UNAVAILABLE',
      reason: 'all-failed',
      message: 'recorded failure',
    });
    await expect(build([new FakeLlmClient('cassette', [{ error: replayed }])]).chat(ask)).rejects.toBe(replayed);
  });

  it('refuses to chat without endpoints, and says so in health', async () => {
    const none = build([]);
    expect(none.configured).toBe(false);
    await expect(none.chat(ask)).rejects.toBeInstanceOf(ConfigError);
    expect(await none.health()).toMatchObject({ ok: false, detail: 'no endpoint configured' });
  });

  it("runs other calls (GigaChat's token counts) on the primary endpoint's client, and refuses without one", async () => {
    const counting = Object.assign(new FakeLlmClient('counting'), {
      countTokens: async (texts: readonly string[]) => texts.map((t) => t.length * 2),
    });
    const service = build([counting, new FakeLlmClient('fallback')]);
    expect(await service.runOnPrimary((client) => client.countTokens!(['abc']))).toEqual([6]);
    await expect(build([]).runOnPrimary(async () => [1])).rejects.toBeInstanceOf(ConfigError);
  });

  it('is healthy when any endpoint is', async () => {
    const down = new FakeLlmClient('down');
    down.healthResult = { ok: false, latencyMs: 1, detail: 'refused' };
    const health = await build([down, new FakeLlmClient('up')]).health();
    expect(health).toMatchObject({ ok: true, detail: 'primary FAILED: refused; fallback ok: fake' });
  });
});
