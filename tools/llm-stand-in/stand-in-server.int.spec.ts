import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { countPromptTokens, countTokens, startStandIn, type LlmStandIn } from './stand-in-server.cjs';

// The stand-in itself, over real HTTP with fetch (no Test Agent code involved): each protocol's shapes, the
// script, the cassette and every fault.
const KEY = 'c3RhbmQtaW46a2V5LWZvci10ZXN0cw==';

async function call(
  standIn: LlmStandIn,
  method: string,
  route: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${standIn.url}${route}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    retryAfter: response.headers.get('retry-after'),
    text,
    json: json as Record<string, unknown>,
  };
}

async function oauth(standIn: LlmStandIn, key = KEY) {
  return call(standIn, 'POST', '/api/v2/oauth', 'scope=GIGACHAT_API_PERS', {
    'content-type': 'application/x-www-form-urlencoded',
    authorization: `Basic ${key}`,
    rqUID: randomUUID(),
  });
}

const user = (content: string) => ({ messages: [{ role: 'user', content }] });

describe('LLM stand-in server', () => {
  let standIn: LlmStandIn;
  afterEach(async () => standIn?.close());

  it('counts tokens as words and punctuation, plus 4 per message and 3 for the reply', () => {
    expect(countTokens('def add(a, b): return a + b')).toBe(12);
    expect(countPromptTokens([{ role: 'user', content: 'hello there' }])).toBe(2 + 4 + 3);
  });

  it('answers llm-api /chat, /health and /v1/models in their shapes', async () => {
    standIn = await startStandIn({ model: 'qwen2.5:7b', echo: true });
    expect((await call(standIn, 'POST', '/chat', user('hi'))).json).toEqual({ response: 'echo: hi' });
    expect((await call(standIn, 'GET', '/health')).json).toEqual({
      status: 'healthy',
      model: 'qwen2.5:7b',
      loaded: true,
      device: 'cpu',
    });
    expect((await call(standIn, 'GET', '/v1/models')).json).toMatchObject({ data: [{ id: 'qwen2.5:7b' }] });
    standIn.setScript({ model: 'qwen2.5:7b', echo: true, llmApi: { chatRoute: false, healthy: false, usage: true } });
    expect((await call(standIn, 'POST', '/chat', user('hi'))).status).toBe(404);
    expect((await call(standIn, 'GET', '/health')).status).toBe(503);
  });

  it('answers OpenAI chat completions with usage, enforces the API key and cuts at max_tokens', async () => {
    standIn = await startStandIn({ model: 'm', apiKey: 'sk-test-1234', default: { text: 'one two three four' } });
    expect((await call(standIn, 'POST', '/v1/chat/completions', user('hello there'))).status).toBe(401);
    const ok = await call(
      standIn,
      'POST',
      '/v1/chat/completions',
      { ...user('hello there'), max_tokens: 2 },
      { authorization: 'Bearer sk-test-1234' },
    );
    expect(ok.json).toMatchObject({
      model: 'm',
      choices: [{ message: { role: 'assistant', content: 'one two' }, finish_reason: 'length' }],
      usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 },
    });
  });

  it('issues GigaChat tokens only for a valid RqUID, Basic key and scope, and refuses expired ones', async () => {
    standIn = await startStandIn({ gigachat: { authKey: KEY }, echo: true, models: ['GigaChat'] });
    expect((await oauth(standIn, 'wrong')).status).toBe(401);
    const noRqUid = await call(standIn, 'POST', '/api/v2/oauth', 'scope=GIGACHAT_API_PERS', {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${KEY}`,
    });
    expect(noRqUid.status).toBe(400);
    const granted = await oauth(standIn);
    expect(granted.status).toBe(200);
    const token = String(granted.json.access_token);
    expect(Number(granted.json.expires_at)).toBeGreaterThan(Date.now() + 29 * 60 * 1000);
    const bearer = { authorization: `Bearer ${token}` };
    expect((await call(standIn, 'GET', '/api/v1/models', undefined, bearer)).json).toMatchObject({
      data: [{ id: 'GigaChat' }],
    });
    const twoSystems = {
      messages: [
        { role: 'user', content: 'a' },
        { role: 'system', content: 'b' },
      ],
    };
    expect((await call(standIn, 'POST', '/api/v1/chat/completions', twoSystems, bearer)).status).toBe(422);
    expect(
      (await call(standIn, 'POST', '/api/v1/tokens/count', { model: 'GigaChat', input: ['a b c', 'x'] }, bearer)).json,
    ).toEqual([
      { object: 'tokens', tokens: 3, characters: 5 },
      { object: 'tokens', tokens: 1, characters: 1 },
    ]);
    standIn.inject({ path: '/api/v1/models', expireToken: true });
    expect((await call(standIn, 'GET', '/api/v1/models', undefined, bearer)).status).toBe(401);
    expect(standIn.state().stats.unauthorized).toBe(1);
  });

  it('picks scripted answers by content, in order, with use limits', async () => {
    standIn = await startStandIn({
      responses: [
        { match: { contains: 'def add' }, text: 'first add', times: 1 },
        { match: { contains: 'def add' }, text: 'second add' },
        { match: { regex: '^summar', flags: 'i', lastUser: true }, text: 'a summary' },
      ],
    });
    const text = async (content: string) => (await call(standIn, 'POST', '/chat', user(content))).json;
    expect(await text('def add(a, b)')).toEqual({ response: 'first add' });
    expect(await text('def add(a, b)')).toEqual({ response: 'second add' });
    expect(await text('Summarize this')).toEqual({ response: 'a summary' });
    const miss = await call(standIn, 'POST', '/chat', user('nothing matches'));
    expect(miss.status).toBe(400);
    expect(miss.text).toContain('no scripted response matches');
  });

  it('injects 429 with Retry-After, 503, resets, truncated JSON, wrong content type, delays and Ollama truncation', async () => {
    standIn = await startStandIn({ echo: true });
    standIn.inject({ status: 429, retryAfter: 2 }).inject({ status: 503, times: 1 });
    const limited = await call(standIn, 'POST', '/v1/chat/completions', user('x'));
    expect([limited.status, limited.retryAfter]).toEqual([429, '2']);
    expect((await call(standIn, 'POST', '/v1/chat/completions', user('x'))).status).toBe(503);
    expect((await call(standIn, 'POST', '/v1/chat/completions', user('x'))).status).toBe(200);

    standIn.inject({ reset: true });
    await expect(call(standIn, 'POST', '/chat', user('x'))).rejects.toThrow();

    standIn.inject({ truncate: true });
    const cut = await call(standIn, 'POST', '/chat', user('x'));
    expect(cut.status).toBe(200);
    expect(cut.json).toBeUndefined();
    expect(cut.text).toBe('{"response"'); // the first half of {"response":"echo: x"}

    standIn.inject({ contentType: 'text/html' });
    const html = await call(standIn, 'POST', '/chat', user('x'));
    expect([html.status, html.type]).toEqual([200, 'text/html']);

    standIn.inject({ delayMs: 300 });
    const started = Date.now();
    await call(standIn, 'POST', '/chat', user('x'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);

    standIn.inject({ truncatePromptTo: 5 });
    const truncated = await call(
      standIn,
      'POST',
      '/v1/chat/completions',
      user('a long prompt with many many words in it'),
    );
    expect((truncated.json.usage as Record<string, number>).prompt_tokens).toBe(5);
    expect(standIn.state().stats.truncatedPrompts).toBe(1);

    standIn.inject({ status: 500, times: 'always', after: 1 });
    expect((await call(standIn, 'POST', '/chat', user('x'))).status).toBe(200);
    expect((await call(standIn, 'POST', '/chat', user('x'))).status).toBe(500);
    expect((await call(standIn, 'POST', '/chat', user('x'))).status).toBe(500);
  });

  it('answers from a cassette by exact messages', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'stand-in-'));
    try {
      const file = path.join(dir, 'session.jsonl');
      const entry = {
        v: 1,
        at: '2026-01-01T00:00:00.000Z',
        endpoint: 'gigachat https://gigachat.devices.sberbank.ru/api/v1',
        request: { messages: [{ role: 'user', content: 'recorded question' }], options: {} },
        response: {
          text: 'recorded answer',
          usage: { promptTokens: 10, completionTokens: 2, totalTokens: 12 },
          model: 'GigaChat',
          finishReason: 'stop',
          latencyMs: 5,
        },
      };
      writeFileSync(file, `${JSON.stringify(entry)}\n`);
      standIn = await startStandIn({}, { cassetteFile: file });
      const hit = await call(standIn, 'POST', '/v1/chat/completions', user('recorded question'));
      expect(hit.json).toMatchObject({
        choices: [{ message: { content: 'recorded answer' } }],
        usage: { prompt_tokens: 10, completion_tokens: 2 },
      });
      expect((await call(standIn, 'POST', '/v1/chat/completions', user('recorded question'))).status).toBe(400);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs as a process that prints its URL and takes faults over its control API', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'stand-in-'));
    const script = path.join(dir, 'script.json');
    writeFileSync(script, JSON.stringify({ default: { text: 'from the script' } }));
    const child = spawn(process.execPath, [path.join(__dirname, 'main.cjs'), '--port', '0', '--script', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.once('data', (chunk: Buffer) =>
          resolve((JSON.parse(chunk.toString().split('\n')[0]) as { url: string }).url),
        );
        child.once('exit', (code) => reject(new Error(`stand-in exited with ${code}`)));
      });
      const post = (route: string, body: unknown) =>
        fetch(`${url}${route}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      expect(await (await post('/chat', user('x'))).json()).toEqual({ response: 'from the script' });
      await post('/__stand-in/faults', { path: '/chat', status: 503 });
      expect((await post('/chat', user('x'))).status).toBe(503);
      const state = (await (await fetch(`${url}/__stand-in/state`)).json()) as {
        stats: { byPath: Record<string, number> };
      };
      expect(state.stats.byPath['POST /chat']).toBe(2);
    } finally {
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
