import { spawn } from 'node:child_process';
import path from 'node:path';

// Starts the real bundled server process, calls it over HTTP and stops it with SIGTERM.
const root = path.resolve(__dirname, '../../..');
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
});
