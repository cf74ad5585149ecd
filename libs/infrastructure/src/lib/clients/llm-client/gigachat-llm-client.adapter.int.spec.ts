import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, LlmAuthError, LlmNetworkError } from '@test-agent/domain';
import { startLlmStandIn, type LlmStandInProcess } from '../../testing/llm-stand-in.process';
import { GigaChatLlmClient, type GigaChatLlmClientOptions } from './gigachat-llm-client.adapter';

// GigaChat's native protocol against the stand-in over real HTTP(S): OAuth, token caching and refresh, the
// single-system-message rule, /tokens/count, /models, and the configurable CA bundle.
const AUTH_KEY = 'Z2lnYWNoYXQtY2xpZW50OnNlY3JldC12YWx1ZQ==';
const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function client(standIn: { url: string }, overrides: Partial<GigaChatLlmClientOptions> = {}): GigaChatLlmClient {
  return new GigaChatLlmClient({
    authKey: AUTH_KEY,
    scope: 'GIGACHAT_API_PERS',
    oauthUrl: `${standIn.url}/api/v2/oauth`,
    baseUrl: `${standIn.url}/api/v1`,
    model: 'GigaChat',
    timeoutMs: 5000,
    ...overrides,
  });
}

describe('GigaChatLlmClient against the stand-in', () => {
  let standIn: LlmStandInProcess;
  beforeAll(async () => {
    standIn = await startLlmStandIn({
      gigachat: { authKey: AUTH_KEY },
      models: ['GigaChat', 'GigaChat-Pro'],
      echo: true,
    });
  });
  afterAll(() => standIn.stop());
  beforeEach(() => standIn.reset());

  it('gets a token with RqUID, the Basic key and the scope, then chats with a bearer token', async () => {
    const gigachat = client(standIn);
    const result = await gigachat.chat(
      [
        { role: 'user', content: 'write a test' },
        { role: 'system', content: 'You write pytest tests.' },
        { role: 'system', content: 'Answer with code only.' },
      ],
      { maxTokens: 100, temperature: 0 },
    );
    expect(result).toMatchObject({
      text: 'echo: write a test',
      model: 'GigaChat',
      finishReason: 'stop',
      endpoint: `gigachat ${standIn.url}/api/v1`,
    });
    // stand-in counts: 3 for the reply + (10 + 4) merged system message + (3 + 4) user message; "echo: write a test" is 5
    expect(result.usage).toEqual({ promptTokens: 24, completionTokens: 5, totalTokens: 29 });
    const { requests, stats } = await standIn.state();
    const [tokenRequest, chat] = requests;
    expect(tokenRequest).toMatchObject({
      method: 'POST',
      path: '/api/v2/oauth',
      authScheme: 'Basic',
      body: 'scope=GIGACHAT_API_PERS',
    });
    expect(tokenRequest.rqUID).toMatch(UUID4);
    expect(chat).toMatchObject({ path: '/api/v1/chat/completions', authScheme: 'Bearer' });
    // the two system messages became one, first (GigaChat answers 422 otherwise)
    expect((chat.body as { messages: unknown[] }).messages).toEqual([
      { role: 'system', content: 'You write pytest tests.\n\nAnswer with code only.' },
      { role: 'user', content: 'write a test' },
    ]);
    expect(stats.oauth).toBe(1);
  });

  it('refreshes the token exactly once for 10 concurrent calls, at start and after it expired', async () => {
    const gigachat = client(standIn);
    const ten = () =>
      Promise.all(Array.from({ length: 10 }, (_, i) => gigachat.chat([{ role: 'user', content: `call ${i}` }])));
    const first = await ten();
    expect(first.map((r) => r.text)).toEqual(Array.from({ length: 10 }, (_, i) => `echo: call ${i}`));
    expect((await standIn.state()).stats.oauth).toBe(1);

    await standIn.inject({ path: '/api/v1/chat/completions', expireToken: true });
    const second = await ten();
    expect(second).toHaveLength(10);
    const { stats } = await standIn.state();
    expect(stats.unauthorized).toBe(10); // every call met the expired token ...
    expect(stats.oauth).toBe(2); // ... and one refresh served them all
    expect(gigachat.tokenRequests).toBe(2);
  });

  it('refreshes before expiry (at most half the token life early) without meeting a 401', async () => {
    await standIn.setScript({ gigachat: { authKey: AUTH_KEY, tokenTtlMs: 800 }, models: ['GigaChat'], echo: true });
    const gigachat = client(standIn);
    await gigachat.chat([{ role: 'user', content: 'one' }]);
    await new Promise((r) => setTimeout(r, 450));
    await gigachat.chat([{ role: 'user', content: 'two' }]);
    const { stats } = await standIn.state();
    expect(stats.oauth).toBe(2);
    expect(stats.unauthorized).toBe(0);
    await standIn.setScript({ gigachat: { authKey: AUTH_KEY }, models: ['GigaChat', 'GigaChat-Pro'], echo: true });
  });

  it('reports a rejected authorization key as LlmAuthError without retrying the chat', async () => {
    const gigachat = client(standIn, { authKey: 'd3Jvbmc6a2V5LXZhbHVl' });
    const error = await gigachat.chat([{ role: 'user', content: 'x' }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmAuthError);
    expect((error as LlmAuthError).message).toBe(
      `gigachat ${standIn.url}/api/v1: GigaChat OAuth rejected the authorization key (HTTP 401); check GIGACHAT_AUTH_KEY and GIGACHAT_SCOPE (GIGACHAT_API_PERS)`,
    );
    expect((await standIn.state()).stats.byPath['POST /api/v1/chat/completions']).toBeUndefined();
  });

  it('counts tokens exactly with /tokens/count and checks the model with /models', async () => {
    const gigachat = client(standIn);
    expect(await gigachat.countTokens(['def add(a, b): return a + b', 'x'])).toEqual([12, 1]);
    const before = (await standIn.state()).stats.byPath['POST /api/v1/tokens/count'] ?? 0;
    const many = Array.from({ length: 300 }, (_, i) => `x${i} = ${i}`);
    expect(await gigachat.countTokens(many)).toEqual(many.map(() => 3));
    expect((await standIn.state()).stats.byPath['POST /api/v1/tokens/count'] - before).toBe(3);
    const healthy = await gigachat.health();
    expect(healthy).toMatchObject({
      ok: true,
      model: 'GigaChat',
      detail: 'OAuth token OK (GIGACHAT_API_PERS); model GigaChat available',
    });
    const missing = await client(standIn, { model: 'GigaChat-2-Max' }).health();
    expect(missing).toMatchObject({
      ok: false,
      detail: 'model GigaChat-2-Max is not offered; available: GigaChat, GigaChat-Pro',
    });
  });

  describe('over TLS with a private root CA', () => {
    let dir: string;
    let tlsStandIn: LlmStandInProcess;
    beforeAll(async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'gigachat-tls-'));
      const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
      const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
      openssl(
        'req',
        '-x509',
        ...ec,
        '-keyout',
        'ca.key',
        '-out',
        'ca.pem',
        '-days',
        '1',
        '-subj',
        '/CN=Stand-in Russian Trusted Root CA',
      );
      openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
      writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
      openssl(
        'x509',
        '-req',
        '-in',
        'server.csr',
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        'server.pem',
        '-days',
        '1',
        '-extfile',
        'ext.cnf',
      );
      tlsStandIn = await startLlmStandIn(
        { gigachat: { authKey: AUTH_KEY }, models: ['GigaChat'], echo: true },
        { tls: { certFile: path.join(dir, 'server.pem'), keyFile: path.join(dir, 'server.key') } },
      );
    });
    afterAll(async () => {
      await tlsStandIn?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('fails with a TLS hint without the CA bundle and works with it', async () => {
      expect(tlsStandIn.url.startsWith('https://')).toBe(true);
      const untrusted = await client(tlsStandIn)
        .chat([{ role: 'user', content: 'x' }])
        .catch((e: unknown) => e);
      expect(untrusted).toBeInstanceOf(LlmNetworkError);
      expect((untrusted as Error).message).toContain('configure the CA bundle');
      const trusted = await client(tlsStandIn, { caBundleFile: path.join(dir, 'ca.pem') }).chat([
        { role: 'user', content: 'over tls' },
      ]);
      expect(trusted.text).toBe('echo: over tls');
    });

    it('names an unreadable CA bundle as a configuration error', async () => {
      const error = await client(tlsStandIn, { caBundleFile: path.join(dir, 'missing.pem') })
        .chat([{ role: 'user', content: 'x' }])
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([
        `gigachatCaBundle (GIGACHAT_CA_BUNDLE): cannot read ${path.join(dir, 'missing.pem')}: ENOENT`,
      ]);
    });
  });
});
