import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createContainer, loadConfig } from '@test-agent/composition';
import { silentLogger } from '@test-agent/domain';
import { buildApp } from '../app';

// /health/ready runs the LLM endpoint checks when an LLM is configured (here: the stand-in as llm-api, over HTTP).
const root = path.resolve(__dirname, '../../../..');

describe('/health/ready with an LLM configured', () => {
  // The first app of a file loads the server's plugins and the Qwen tokenizer: seconds on a loaded 2-core machine.
  jest.setTimeout(60_000);
  let child: ChildProcess;
  let url: string;
  beforeAll(async () => {
    child = spawn(process.execPath, [path.join(root, 'tools', 'llm-stand-in', 'main.cjs'), '--port', '0'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    url = await new Promise<string>((resolve) =>
      child.stdout?.once('data', (c: Buffer) =>
        resolve((JSON.parse(c.toString().split('\n')[0]) as { url: string }).url),
      ),
    );
  });
  afterAll(() => child.kill('SIGTERM'));

  it('reports each endpoint: reachable primary, unreachable fallback', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'ta-ready-'));
    const env = {
      LLM_PROVIDER: 'llm-api',
      LLM_URL: url,
      LLM_MODEL: 'qwen2.5:7b',
      LLM_FALLBACK_PROVIDER: 'openai',
      LLM_FALLBACK_URL: 'http://127.0.0.1:9',
      LLM_FALLBACK_MODEL: 'm',
    };
    const app = buildApp(createContainer(loadConfig({ env, cwd }), { logger: silentLogger }));
    const res = await app.inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(503);
    const checks = (res.json() as { checks: { name: string; ok: boolean; detail: string }[] }).checks.filter((c) =>
      c.name.startsWith('llm'),
    );
    expect(checks.map((c) => [c.name, c.ok])).toEqual([
      ['llm primary', true],
      ['llm fallback', false],
    ]);
    expect(checks[0].detail).toMatch(
      new RegExp(`^llm-api ${url} model stand-in-model, \\d+ ms: healthy, model stand-in-model on cpu$`),
    );
    expect(checks[1].detail).toContain('openai http://127.0.0.1:9');
  });
});
