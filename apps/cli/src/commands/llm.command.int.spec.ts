import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// `llm ping` and `llm chat` through the real bundled CLI against the LLM stand-in (a separate process speaking
// GigaChat and llm-api over HTTP): exit codes, the fallback, and no secret in anything printed.
const root = path.resolve(__dirname, '../../../..');
const bin = path.join(root, 'bin', 'test-agent');
const AUTH_KEY = 'Y2xpLXRlc3Q6Y2xpLXNlY3JldC12YWx1ZQ==';

function startStandIn(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [path.join(root, 'tools', 'llm-stand-in', 'main.cjs'), '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout?.once('data', (chunk: Buffer) =>
      resolve({ url: (JSON.parse(chunk.toString().split('\n')[0]) as { url: string }).url, child }),
    );
    child.once('exit', (code) => reject(new Error(`stand-in exited with ${code}`)));
  });
}

describe('test-agent llm', () => {
  jest.setTimeout(120_000);
  let standIn: { url: string; child: ChildProcess };
  let cwd: string;
  const control = (route: string, body: unknown) =>
    fetch(`${standIn.url}/__stand-in/${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const cli = (args: string[], env: Record<string, string>) => {
    const run = spawnSync(bin, args, {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, LOG_LEVEL: 'warn', LOG_FORMAT: 'json', ...env },
      timeout: 120_000,
    });
    return { code: run.status, stdout: run.stdout, stderr: run.stderr };
  };
  const runbook = () => ({
    LLM_PROVIDER: 'gigachat',
    LLM_URL: `${standIn.url}/api/v1`,
    GIGACHAT_OAUTH_URL: `${standIn.url}/api/v2/oauth`,
    GIGACHAT_AUTH_KEY: AUTH_KEY,
    LLM_FALLBACK_PROVIDER: 'llm-api',
    LLM_FALLBACK_URL: standIn.url,
    LLM_FALLBACK_MODEL: 'qwen2.5:7b',
    LLM_MAX_RETRIES: '1',
  });

  beforeAll(async () => {
    cwd = mkdtempSync(path.join(tmpdir(), 'ta-cli-llm-'));
    standIn = await startStandIn();
  });
  afterAll(() => {
    standIn.child.kill('SIGTERM');
    rmSync(cwd, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await control('reset', {});
    await control('script', { model: 'qwen2.5:7b', models: ['GigaChat'], gigachat: { authKey: AUTH_KEY }, echo: true });
  });

  it('pings each endpoint: reachable, model, latency (exit 0)', () => {
    const { code, stdout, stderr } = cli(['--json', 'llm', 'ping'], runbook());
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as {
      ok: boolean;
      endpoints: { role: string; ok: boolean; model: string; latencyMs: number; endpoint: string }[];
    };
    expect(report.ok).toBe(true);
    expect(report.endpoints.map((e) => [e.role, e.ok, e.model, e.endpoint])).toEqual([
      ['primary', true, 'GigaChat', `gigachat ${standIn.url}/api/v1`],
      ['fallback', true, 'qwen2.5:7b', `llm-api ${standIn.url}`],
    ]);
    expect(report.endpoints.every((e) => e.latencyMs >= 0 && e.latencyMs < 5000)).toBe(true);
    expect(`${stdout}${stderr}`).not.toContain(AUTH_KEY);
  });

  it('exits 6 when an endpoint fails the ping, naming it', () => {
    const { code, stdout } = cli(['llm', 'ping'], { ...runbook(), LLM_FALLBACK_URL: 'http://127.0.0.1:9' });
    expect(code).toBe(6);
    expect(stdout).toMatch(/^OK {3}primary /m);
    expect(stdout).toMatch(/^FAIL fallback llm-api http:\/\/127\.0\.0\.1:9 /m);
    expect(stdout).toContain('GET /health failed: ECONNREFUSED');
  });

  it('answers from the fallback when GigaChat is down, and logs the switch', async () => {
    await control('faults', { path: '/api/v1/chat/completions', status: 503, times: 'always' });
    const { code, stdout, stderr } = cli(['llm', 'chat', 'hello', 'fallback'], runbook());
    expect(code).toBe(0);
    expect(stdout.trim()).toBe('echo: hello fallback');
    const switched = stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.message === 'LLM endpoint failed; switching to the next endpoint');
    expect(switched).toMatchObject({
      component: 'llm_service',
      fromRole: 'primary',
      toRole: 'fallback',
      reason: 'server-error',
    });
    expect(stderr).toContain(`-- llm-api ${standIn.url}, model qwen2.5:7b`);
  });

  it('exits 6 with one typed error naming both endpoints when all are down, and prints no secret', async () => {
    await control('faults', { path: '*', status: 503, times: 'always' });
    const { code, stdout, stderr } = cli(['--json', 'llm', 'chat', 'anyone?'], runbook());
    expect(code).toBe(6);
    const { error } = JSON.parse(stdout) as {
      error: { code: string; message: string; details: { failures: { endpoint: string; reason: string }[] } };
    };
    expect(error.code).toBe('TA_LLM_UNAVAILABLE');
    expect(error.details.failures.map((f) => [f.endpoint, f.reason])).toEqual([
      [`gigachat ${standIn.url}/api/v1`, 'server-error'],
      [`llm-api ${standIn.url}`, 'server-error'],
    ]);
    expect(stderr).toContain(`error: Every LLM endpoint failed: gigachat ${standIn.url}/api/v1: OAuth token request`);
    expect(`${stdout}${stderr}`).not.toContain(AUTH_KEY);
  });

  it('exits 4 when no endpoint is configured', () => {
    const { code, stderr } = cli(['llm', 'ping'], {});
    expect(code).toBe(4);
    expect(stderr.trim()).toBe(
      'error: Invalid configuration: no LLM endpoint is configured: set LLM_PROVIDER (llm-api, openai, gigachat) and LLM_URL, or LLM_CASSETTE_MODE=replay',
    );
  });
});
