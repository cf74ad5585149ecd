import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Starts the real bundled server process, calls it over HTTP and stops it with SIGTERM.
const root = path.resolve(__dirname, '../../..');
const TOKEN = 'e2e-token';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureBuilt } = require(path.join(root, 'tools/build/build.cjs')) as { ensureBuilt: () => Promise<void> };

describe('server process', () => {
  jest.setTimeout(60_000);
  beforeAll(() => ensureBuilt());

  it('serves /health and shuts down gracefully on SIGTERM', async () => {
    const child = spawn(process.execPath, [path.join(root, 'dist/apps/server/main.js')], {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_FORMAT: 'json', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const address = await new Promise<string>((resolve, reject) => {
      let buffer = '';
      child.stderr.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        const match = buffer.match(/"address":"([^"]+)"/);
        if (match) resolve(match[1]);
      });
      child.on('exit', (code) => reject(new Error(`server exited early with ${code}: ${buffer}`)));
    });
    const res = await fetch(`http://${address}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', app: 'test-agent' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('keeps answering /health while a hostile module runs in a generation job, and after it', async () => {
    const work = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'ta-server-hostile-')));
    writeFileSync(
      path.join(work, 'hostile.py'),
      [
        'import os, signal',
        'os.kill(os.getppid(), 9)',
        '',
        'def killer(x):',
        '    os.kill(os.getppid(), 9)',
        '    os.killpg(os.getpgid(0), 9)',
        '    return x',
        '',
        'def spin(n):',
        '    signal.signal(signal.SIGALRM, signal.SIG_IGN)',
        '    while True:',
        '        n += 1',
        '',
        'def fine(a, b):',
        '    return a - b if a > b else b - a',
        '',
      ].join('\n'),
    );
    const { child, address } = await startServer({ TEST_AGENT_SERVER_ROOTS: work });
    try {
      const job = fetch(`http://${address}/v1/generations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ path: path.join(work, 'hostile.py'), outDir: path.join(work, 'out'), timeBudgetSeconds: 5 }),
      });
      let done = false;
      const answered = job.then((res) => {
        done = true;
        return res.status;
      });
      const health: number[] = [];
      while (!done) {
        health.push((await fetch(`http://${address}/health`)).status);
        await new Promise((r) => setTimeout(r, 250));
      }
      expect([200, 422]).toContain(await answered);
      expect(health.length).toBeGreaterThan(3);
      expect(new Set(health)).toEqual(new Set([200]));
      expect((await fetch(`http://${address}/health`)).status).toBe(200);
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGTERM');
      rmSync(work, { recursive: true, force: true });
    }
  });
});

/** The bundled server on a free port; resolves once it logged its address. */
function startServer(env: Record<string, string> = {}): Promise<{ child: ChildProcess; address: string }> {
  const child = spawn(process.execPath, [path.join(root, 'dist/apps/server/main.js')], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_FORMAT: 'json', LOG_LEVEL: 'info', LLM_PROVIDER: '', LLM_URL: '', TEST_AGENT_API_TOKENS: TOKEN, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let buffer = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = buffer.match(/"address":"([^"]+)"/);
      if (match) resolve({ child, address: match[1] });
    });
    child.on('exit', (code) => reject(new Error(`server exited early with ${code}: ${buffer}`)));
  });
}
