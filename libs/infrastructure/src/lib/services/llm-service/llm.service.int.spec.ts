import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LlmReplayedError, LlmUnavailableError, type ChatMessage, type LlmClient } from '@test-agent/domain';
import { CapturingLogger } from '@test-agent/domain/testing';
import { CassetteLlmClient } from '../../clients/llm-client/cassette-llm-client.adapter';
import { GigaChatLlmClient } from '../../clients/llm-client/gigachat-llm-client.adapter';
import { CassetteWriter } from '../../clients/llm-client/llm-cassette';
import { LlmApiLlmClient } from '../../clients/llm-client/llm-api-llm-client.adapter';
import { OpenAiLlmClient } from '../../clients/llm-client/openai-llm-client.adapter';
import { PrometheusMetrics } from '../../observability/prometheus-metrics.adapter';
import { startLlmStandIn, type LlmStandInProcess } from '../../testing/llm-stand-in.process';
import type { LlmEndpoint } from './llm-endpoint';
import { LlmService, type LlmServiceOptions } from './llm.service';

// The resilient gateway against the stand-in over real HTTP: Retry-After, backoff, circuit breaker, concurrency
// limit, fallback chain, token accuracy, silent truncation, and record/replay.
const AUTH_KEY = 'c2VydmljZS10ZXN0OnNlY3JldC1rZXk=';
const byLength = (text: string) => Math.ceil(text.length / 4);
const ask = (content: string): ChatMessage[] => [{ role: 'user', content }];

async function metricValue(
  metrics: PrometheusMetrics,
  name: string,
  labels: Record<string, string>,
): Promise<number | undefined> {
  const metric = metrics.registry.getSingleMetric(name);
  const values = (await metric?.get())?.values ?? [];
  return values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
}

describe('LlmService against the stand-in', () => {
  let standIn: LlmStandInProcess;
  let logger: CapturingLogger;
  let metrics: PrometheusMetrics;

  const openAi = (): LlmClient => new OpenAiLlmClient({ baseUrl: standIn.url, model: 'qwen2.5:7b', timeoutMs: 3000 });
  const llmApi = (): LlmClient => new LlmApiLlmClient({ baseUrl: standIn.url, model: 'qwen2.5:7b', timeoutMs: 3000 });
  const gigachat = (): LlmClient =>
    new GigaChatLlmClient({
      authKey: AUTH_KEY,
      scope: 'GIGACHAT_API_PERS',
      oauthUrl: `${standIn.url}/api/v2/oauth`,
      baseUrl: `${standIn.url}/api/v1`,
      model: 'GigaChat',
      timeoutMs: 3000,
    });
  const endpoint = (role: string, provider: string, client: LlmClient, maxConcurrency = 4): LlmEndpoint => ({
    role,
    provider,
    client,
    maxConcurrency,
  });
  const service = (endpoints: LlmEndpoint[], options: Partial<LlmServiceOptions> = {}) =>
    new LlmService(
      endpoints,
      { estimateTokens: byLength, maxRetries: 3, baseDelayMs: 20, maxDelayMs: 100, ...options },
      logger,
      metrics,
    );

  beforeAll(async () => {
    standIn = await startLlmStandIn();
  });
  afterAll(() => standIn.stop());
  beforeEach(async () => {
    await standIn.reset();
    await standIn.setScript({ model: 'qwen2.5:7b', models: ['GigaChat'], gigachat: { authKey: AUTH_KEY }, echo: true });
    logger = new CapturingLogger();
    metrics = new PrometheusMetrics();
  });

  it('honours Retry-After: 2 on a 429 (the retry leaves at least 2 s later)', async () => {
    await standIn.inject({ status: 429, retryAfter: 2 });
    const started = Date.now();
    const result = await service([endpoint('primary', 'openai', openAi())]).chat(ask('please retry'));
    const elapsed = Date.now() - started;
    expect(result.text).toBe('echo: please retry');
    const chats = (await standIn.state()).requests.filter((r) => r.path === '/v1/chat/completions');
    expect(chats).toHaveLength(2);
    const gap = chats[1].at - chats[0].at;
    expect(gap).toBeGreaterThanOrEqual(2000);
    expect(elapsed).toBeGreaterThanOrEqual(2000);
    expect(logger.lines.find((l) => l.message === 'LLM request failed; retrying')?.fields).toMatchObject({
      attempt: 1,
      delayMs: 2000,
      reason: 'rate-limited',
      status: 429,
    });
    expect(await metricValue(metrics, 'test_agent_llm_errors_total', { reason: 'rate-limited' })).toBe(1);
    process.stdout.write(`measured: Retry-After 2 -> retry sent ${gap} ms after the 429 (call took ${elapsed} ms)\n`);
  });

  it('retries 5xx with backoff and counts every failed attempt', async () => {
    await standIn.inject({ status: 503, times: 2 });
    const result = await service([endpoint('primary', 'openai', openAi())]).chat(ask('x'));
    expect(result.text).toBe('echo: x');
    expect((await standIn.state()).stats.byPath['POST /v1/chat/completions']).toBe(3);
    expect(
      await metricValue(metrics, 'test_agent_llm_errors_total', {
        endpoint: `openai ${standIn.url}`,
        reason: 'server-error',
      }),
    ).toBe(2);
    expect(await metricValue(metrics, 'test_agent_requests_total', { operation: 'llm.chat', status: 'ok' })).toBe(1);
  });

  it('does not retry a 4xx: the request itself is wrong', async () => {
    await standIn.inject({ status: 422 });
    await expect(service([endpoint('primary', 'openai', openAi())]).chat(ask('x'))).rejects.toBeInstanceOf(
      LlmUnavailableError,
    );
    expect((await standIn.state()).stats.byPath['POST /v1/chat/completions']).toBe(1);
  });

  it('switches from a failing GigaChat primary to the llm-api fallback and logs the switch', async () => {
    await standIn.inject({ path: '/api/v1/chat/completions', status: 503, times: 'always' });
    const llm = service([endpoint('primary', 'gigachat', gigachat(), 1), endpoint('fallback', 'llm-api', llmApi())], {
      maxRetries: 1,
    });
    const result = await llm.chat(ask('generate tests'));
    expect(result).toMatchObject({ text: 'echo: generate tests', endpoint: `llm-api ${standIn.url}` });
    const switched = logger.lines.find((l) => l.message === 'LLM endpoint failed; switching to the next endpoint');
    expect(switched).toMatchObject({
      level: 'warn',
      component: 'llm_service',
      fields: {
        from: `gigachat ${standIn.url}/api/v1`,
        fromRole: 'primary',
        to: `llm-api ${standIn.url}`,
        toRole: 'fallback',
        reason: 'server-error',
      },
    });
    expect(logger.lines.some((l) => l.message === 'LLM fallback endpoint answered')).toBe(true);
    expect((await standIn.state()).stats.byPath['POST /api/v1/chat/completions']).toBe(2);
    // counted, and summarised for the report: who served, which switch and why
    await llm.chat(ask('again'));
    const primary = `gigachat ${standIn.url}/api/v1`;
    expect(await metricValue(metrics, 'test_agent_llm_errors_total', { endpoint: primary, reason: 'fallback' })).toBe(
      2,
    );
    const summary = await llm.runSummary();
    expect(summary).toMatchObject({
      servedBy: [`llm-api ${standIn.url}`],
      fallbackUsed: true,
      endpoints: [
        { role: 'primary', endpoint: primary, answered: 0, failed: 2 },
        { role: 'fallback', endpoint: `llm-api ${standIn.url}`, answered: 2, failed: 0 },
      ],
      fallbacks: [{ from: primary, to: `llm-api ${standIn.url}`, reason: 'server-error', calls: 2 }],
    });
    expect(summary.fallbacks[0].message).toBe(
      `${primary}: POST /chat/completions failed with HTTP 503: stand-in: injected HTTP 503`,
    );
  });

  it('throws LlmUnavailableError naming every endpoint and why when all are down', async () => {
    await standIn.inject({ path: '/api/v1/chat/completions', status: 503, times: 'always' });
    const llm = service(
      [
        endpoint('primary', 'gigachat', gigachat(), 1),
        endpoint('fallback', 'llm-api', new LlmApiLlmClient({ baseUrl: 'http://127.0.0.1:9', timeoutMs: 1000 })),
      ],
      { maxRetries: 1 },
    );
    const error = (await llm.chat(ask('x')).catch((e: unknown) => e)) as LlmUnavailableError;
    expect(error).toBeInstanceOf(LlmUnavailableError);
    expect(error).toMatchObject({ code: 'TA_LLM_UNAVAILABLE', kind: 'external' });
    expect(error.failures.map((f) => [f.endpoint, f.reason])).toEqual([
      [`gigachat ${standIn.url}/api/v1`, 'server-error'],
      ['llm-api http://127.0.0.1:9', 'network'],
    ]);
    expect(error.message).toBe(
      `Every LLM endpoint failed: gigachat ${standIn.url}/api/v1: POST /chat/completions failed with HTTP 503: stand-in: injected HTTP 503; ` +
        'llm-api http://127.0.0.1:9: POST /chat failed: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9',
    );
    expect(await metricValue(metrics, 'test_agent_llm_errors_total', { endpoint: 'all', reason: 'all-failed' })).toBe(
      1,
    );
    expect(
      await metricValue(metrics, 'test_agent_llm_errors_total', {
        endpoint: 'llm-api http://127.0.0.1:9',
        reason: 'network',
      }),
    ).toBe(2);
    expect(logger.lines.some((l) => l.level === 'error' && l.message === 'Every LLM endpoint failed')).toBe(true);
  });

  it('opens the circuit after consecutive failures and stops calling the endpoint', async () => {
    await standIn.inject({ status: 500, times: 'always' });
    const llm = service([endpoint('primary', 'openai', openAi())], {
      maxRetries: 0,
      breakerThreshold: 2,
      breakerHalfOpenAfterMs: 60_000,
    });
    const reasons: string[] = [];
    for (let i = 0; i < 3; i += 1)
      reasons.push(((await llm.chat(ask('x')).catch((e: unknown) => e)) as LlmUnavailableError).failures[0].reason);
    expect(reasons).toEqual(['server-error', 'server-error', 'circuit-open']);
    expect((await standIn.state()).stats.byPath['POST /v1/chat/completions']).toBe(2);
    expect((await llm.ping())[0].circuitOpen).toBe(true);
  });

  it('holds GigaChat personal accounts to one request in flight, and others to their limit', async () => {
    await standIn.setScript({
      models: ['GigaChat'],
      gigachat: { authKey: AUTH_KEY, maxConcurrency: 1 },
      echo: true,
      latencyMs: 60,
    });
    const one = service([endpoint('primary', 'gigachat', gigachat(), 1)]);
    const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => one.chat(ask(`q${i}`))));
    expect(answers.map((a) => a.text)).toEqual(['echo: q0', 'echo: q1', 'echo: q2', 'echo: q3', 'echo: q4']);
    expect((await standIn.state()).stats.maxInFlightChat).toBe(1);

    await standIn.reset();
    await standIn.setScript({ echo: true, latencyMs: 60 });
    const three = service([endpoint('primary', 'openai', openAi(), 3)]);
    await Promise.all(Array.from({ length: 6 }, (_, i) => three.chat(ask(`q${i}`))));
    expect((await standIn.state()).stats.maxInFlightChat).toBe(3);
  });

  describe('token accuracy', () => {
    const code = readFileSync(path.join(__dirname, '__fixtures__', 'inventory.py'), 'utf8');
    const prompt: ChatMessage[] = [
      { role: 'system', content: 'You write pytest tests for the module below.' },
      { role: 'user', content: code },
    ];

    it('feeds the running accuracy of the local estimate into test_agent_token_count_accuracy', async () => {
      const llm = service([endpoint('primary', 'openai', openAi())], { accuracyWarnBelow: 0.5 });
      const result = await llm.chat(prompt);
      const estimate = await llm.estimatePromptTokens(prompt);
      const reported = result.usage?.promptTokens ?? 0;
      const expected = 1 - Math.abs(estimate - reported) / reported;
      expect(
        await metricValue(metrics, 'test_agent_token_count_accuracy', {
          endpoint: `openai ${standIn.url}`,
          counts: 'local',
        }),
      ).toBeCloseTo(expected, 10);
      expect(llm.tokenAccuracy()).toEqual([
        { endpoint: `openai ${standIn.url}`, counts: 'local', samples: 1, accuracy: expected },
      ]);
      process.stdout.write(
        `measured: chars/4 estimate ${estimate} vs stand-in count ${reported} on inventory.py -> accuracy ${expected.toFixed(3)}\n`,
      );
    });

    it('warns once when the running accuracy falls below 90 %', async () => {
      const estimate = await service([]).estimatePromptTokens(prompt);
      const reported = Math.round(estimate * 1.25); // the server counts 25 % more than the estimate: accuracy ~0.8
      await standIn.setScript({ responses: [{ text: 'ok', usage: { prompt_tokens: reported } }] });
      const llm = service([endpoint('primary', 'openai', openAi())]);
      await llm.chat(prompt);
      await llm.chat(prompt);
      const warnings = logger.lines.filter((l) => l.message === 'Token count accuracy is below the threshold');
      expect(warnings).toHaveLength(1);
      expect(warnings[0].fields).toMatchObject({
        accuracy: Number((1 - (reported - estimate) / reported).toFixed(4)),
        threshold: 0.9,
      });
      expect(warnings[0].fields?.accuracy).toBeLessThan(0.81);
    });

    it('treats a reported prompt far below the estimate as a silent truncation (Ollama) and falls back', async () => {
      await standIn.setScript({ echo: true, contextWindow: 64, llmApi: { usage: false } });
      const alone = service([endpoint('primary', 'openai', openAi())]);
      const error = (await alone.chat(prompt).catch((e: unknown) => e)) as LlmUnavailableError;
      expect(error.failures[0]).toMatchObject({ code: 'TA_LLM_CONTEXT_OVERFLOW', reason: 'context-overflow' });
      expect(error.failures[0].message).toMatch(
        /the prompt was silently truncated: the server counted 64 prompt tokens where ~\d+ were sent/,
      );
      const chained = service([endpoint('primary', 'openai', openAi()), endpoint('fallback', 'llm-api', llmApi())]);
      expect((await chained.chat(prompt)).endpoint).toBe(`llm-api ${standIn.url}`);
      expect(await metricValue(metrics, 'test_agent_llm_errors_total', { reason: 'context-overflow' })).toBe(2);
    });

    it('tolerates a repair turn reported without its cached prefix, but not the same count on a fresh prompt', async () => {
      const first: ChatMessage[] = [
        { role: 'system', content: 'You write pytest tests.' },
        ...ask(`Code to test:\n${'def f(x):\n    return x + 1\n'.repeat(60)}`),
      ];
      const repair: ChatMessage[] = [
        ...first,
        { role: 'assistant', content: 'def test_f():\n    assert f(1) == 3\n' },
        ...ask('`test_f` fails: assert 2 == 3. Fix it.'),
      ];
      const llm = service([endpoint('primary', 'openai', openAi())], { maxRetries: 0 });
      const repairOnly = (await llm.estimatePromptTokens(repair)) - (await llm.estimatePromptTokens(first));
      // Ollama-style accounting: the repair turn's prompt_tokens leave the cached first prompt out.
      await standIn.setScript({
        responses: [
          { match: { contains: ['Fix it.'], lastUser: true }, text: 'fixed', usage: { prompt_tokens: repairOnly + 4 } },
        ],
        echo: true,
      });
      await llm.chat(first);
      expect((await llm.chat(repair)).text).toBe('fixed');
      expect((await standIn.state()).stats.truncatedPrompts).toBe(0);
      // The same low count for a prompt that shares nothing with an earlier one is a truncation.
      const fresh = [{ role: 'user' as const, content: `${'def g(y):\n    return y * 2\n'.repeat(60)}\nFix it.` }];
      await expect(
        service([endpoint('primary', 'openai', openAi())], { maxRetries: 0 }).chat(fresh),
      ).rejects.toMatchObject({ failures: [{ reason: 'context-overflow' }] });
    });

    it('flags a prompt over the configured window that the server reports at the window, even with a close count', async () => {
      await standIn.setScript({ echo: true, contextWindow: 256 });
      const prompt = ask('word '.repeat(300)); // ~300 tokens for the stand-in, ~375 by length: cut to 256
      const error = (await service([endpoint('primary', 'openai', openAi())], { maxRetries: 0, contextWindow: 256 })
        .chat(prompt)
        .catch((e: unknown) => e)) as LlmUnavailableError;
      expect(error.failures[0]).toMatchObject({ reason: 'context-overflow' });
      // Without a configured window, 256 is no usual window size: only the ratio judges (256 of ~382 passes at 0.5).
      expect(
        await service([endpoint('primary', 'openai', openAi())], { maxRetries: 0, overflowRatio: 0.5 }).chat(prompt),
      ).toMatchObject({ usage: { promptTokens: 256 } });
    });
  });

  it('retries a stream gone silent past the idle timeout with a smaller answer, and a slow whole answer too', async () => {
    await standIn.inject({ stallAfterTokens: 3 });
    const streaming = new OpenAiLlmClient({
      baseUrl: standIn.url,
      model: 'qwen2.5:7b',
      timeoutMs: 3000,
      stream: true,
      idleTimeoutMs: 500,
    });
    const result = await service([endpoint('primary', 'openai', streaming)]).chat(ask('stall once'), {
      maxTokens: 1000,
    });
    expect(result.text).toBe('echo: stall once');
    const sent = (await standIn.state()).requests
      .filter((r) => r.path === '/v1/chat/completions')
      .map((r) => (r.body as { max_tokens: number }).max_tokens);
    expect(sent).toEqual([1000, 500]);
    expect((await standIn.state()).stats.stalledStreams).toBe(1);
    expect(
      logger.lines.find((l) => l.message === 'LLM request timed out; the retry asks for a shorter answer'),
    ).toMatchObject({
      level: 'warn',
      fields: {
        maxTokens: 1000,
        retryMaxTokens: 500,
        error: expect.stringMatching(/stream went silent for 500 ms/) as unknown,
      },
    });
    expect(
      await metricValue(metrics, 'test_agent_llm_errors_total', {
        endpoint: `openai ${standIn.url}`,
        reason: 'timeout',
      }),
    ).toBe(1);

    // Non-streaming: the whole-call timeout, twice, halves the answer twice (never below 256).
    await standIn.reset();
    await standIn.inject({ delayMs: 1500, times: 2 });
    const whole = new OpenAiLlmClient({ baseUrl: standIn.url, model: 'qwen2.5:7b', timeoutMs: 400 });
    await service([endpoint('primary', 'openai', whole)]).chat(ask('slow twice'), { maxTokens: 600 });
    const halved = (await standIn.state()).requests
      .filter((r) => r.path === '/v1/chat/completions')
      .map((r) => (r.body as { max_tokens: number }).max_tokens);
    expect(halved).toEqual([600, 300, 256]);
  });

  it('records every exchange to a cassette without secrets and replays it without a network', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cassette-'));
    try {
      const file = path.join(dir, 'nested', 'session.jsonl');
      const recorder = new CassetteWriter(file, () => [AUTH_KEY]);
      const live = service([endpoint('primary', 'gigachat', gigachat(), 1)], { cassette: recorder, maxRetries: 0 });
      const first = await live.chat(ask('first question'), { temperature: 0 });
      const second = await live.chat([{ role: 'system', content: `never print ${AUTH_KEY}` }, ...ask('second')]);
      await standIn.inject({ path: '/api/v1/chat/completions', status: 503 });
      const failed = (await live.chat(ask('third')).catch((e: unknown) => e)) as LlmUnavailableError;

      const text = readFileSync(file, 'utf8');
      const lines = text
        .trim()
        .split('\n')
        .map(
          (l) =>
            JSON.parse(l) as { request: { messages: ChatMessage[] }; response?: unknown; error?: { code: string } },
        );
      expect(lines).toHaveLength(3);
      expect(lines[1].request.messages[0].content).toBe('never print [REDACTED]');
      expect(lines[2].error?.code).toBe('TA_LLM_UNAVAILABLE');
      expect(text).not.toContain(AUTH_KEY);
      for (const token of (await standIn.state()).issuedTokens) expect(text).not.toContain(token);

      await standIn.stop(); // replay needs no server
      const replay = service([endpoint('replay', 'cassette', new CassetteLlmClient(file))], { maxRetries: 0 });
      expect(await replay.chat(ask('first question'), { temperature: 0 })).toEqual(first);
      const replayedFailure = await replay.chat(ask('third')).catch((e: unknown) => e);
      expect(replayedFailure).toBeInstanceOf(LlmReplayedError);
      expect(replayedFailure).toMatchObject({ code: 'TA_LLM_UNAVAILABLE', message: failed.message });
      const miss = (await replay
        .chat(ask('first question'), { temperature: 0 })
        .catch((e: unknown) => e)) as LlmUnavailableError;
      expect(miss.failures[0].reason).toBe('cassette-miss');
      expect(second.text).toBe('echo: second');
    } finally {
      standIn = await startLlmStandIn();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
