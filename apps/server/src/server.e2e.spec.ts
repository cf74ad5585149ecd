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
      const headers = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };
      const posted = await fetch(`http://${address}/v1/generations`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          path: path.join(work, 'hostile.py'),
          outDir: path.join(work, 'out'),
          options: { timeBudgetSeconds: 5 },
        }),
      });
      expect(posted.status).toBe(202);
      const location = posted.headers.get('location');
      const health: number[] = [];
      let state = 'queued';
      while (state === 'queued' || state === 'running') {
        health.push((await fetch(`http://${address}/health`)).status);
        state = ((await (await fetch(`http://${address}${location}`, { headers })).json()) as { state: string }).state;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(state).toBe('completed');
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
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'info',
      LLM_PROVIDER: '',
      LLM_URL: '',
      TEST_AGENT_API_TOKENS: TOKEN,
      ...env,
    },
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
