import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

// Graceful shutdown of the real bundled server process: SIGTERM drains (new POSTs 503, readiness 503, queued jobs
// cancelled, running ones finish up to the drain timeout, the rest cancelled), then the process exits 0.
const root = path.resolve(__dirname, '../../..');
const TOKEN = 'drain-token';
const headers = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureBuilt } = require(path.join(root, 'tools/build/build.cjs')) as { ensureBuilt: () => Promise<void> };

/** Every process below `pid`, read from one `ps` listing. */
function descendants(pid: number): number[] {
  const rows = spawnSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' })
    .stdout.trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number));
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const [child, ppid] of rows) {
      if (ppid !== parent || found.includes(child)) continue;
      found.push(child);
      walk(child);
    }
  };
  walk(pid);
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface Server {
  readonly child: ChildProcess;
  readonly url: string;
  /** The JSON log lines so far. */
  readonly logs: () => Record<string, unknown>[];
  readonly exited: Promise<number | null>;
}

function startServer(env: Record<string, string>): Promise<Server> {
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
      TEST_AGENT_FLAKY_RERUNS: '2',
      TEST_AGENT_WORKER_CONCURRENCY: '1',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let buffer = '';
  const logs = () =>
    buffer.split('\n').flatMap((line) => (line.startsWith('{') ? [JSON.parse(line) as Record<string, unknown>] : []));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const address = /"address":"([^"]+)"/.exec(buffer)?.[1];
      if (address) resolve({ child, url: `http://${address}`, logs, exited });
    });
    void exited.then((code) => reject(new Error(`server exited early with ${code}: ${buffer}`)));
  });
}

const until = async <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
};

const post = (server: Server, url: string, body: object) =>
  fetch(`${server.url}${url}`, { method: 'POST', headers, body: JSON.stringify(body) });
const state = async (server: Server, id: string) =>
  ((await (await fetch(`${server.url}/v1/generations/${id}`, { headers })).json()) as { state: string }).state;

describe('graceful shutdown (SIGTERM)', () => {
  jest.setTimeout(240_000);
  beforeAll(() => ensureBuilt());
  const calculator = readFileSync(path.join(root, 'examples', 'calculator.py'), 'utf8');

  it('stops intake, cancels the queued job, lets the running job finish, and exits 0', async () => {
    const server = await startServer({ TEST_AGENT_DRAIN_TIMEOUT: '180' });
    const running = (await (
      await post(server, '/v1/generations', {
        files: [{ path: 'calculator.py', content: calculator }],
        target: '.',
        options: { timeBudgetSeconds: 5 },
      })
    ).json()) as { id: string };
    const queued = (await (
      await post(server, '/v1/generations', { files: [{ path: 'other.py', content: 'X = 1\n' }], target: '.' })
    ).json()) as { id: string };
    await until('the first job to run', async () =>
      (await state(server, running.id)) === 'running' ? true : undefined,
    );
    expect(await state(server, queued.id)).toBe('queued');

    server.child.kill('SIGTERM');
    // Intake stops: every POST is a 503 with Retry-After, readiness fails, the queued job is cancelled ...
    const refused = await until('a 503', async () => {
      const res = await post(server, '/v1/chunks', { content: 'X = 1\n' }).catch((e: Error) => {
        throw new Error(`${e.message}: ${JSON.stringify(server.logs().slice(-12))}`);
      });
      return res.status === 503 ? res : undefined;
    });
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(((await refused.json()) as { title: string }).title).toBe('TA_SHUTTING_DOWN');
    expect(
      (await post(server, '/v1/generations', { files: [{ path: 'a.py', content: 'X = 1\n' }], target: '.' })).status,
    ).toBe(503);
    expect((await fetch(`${server.url}/health/ready`)).status).toBe(503);
    expect(await state(server, queued.id)).toBe('cancelled');
    // ... while the running job goes on (status polls still answered) until it completes.
    expect(['running', 'completed']).toContain(await state(server, running.id));
    expect(await server.exited).toBe(0);
    const drained = server.logs().find((l) => l.message === 'Drained');
    expect(drained).toMatchObject({ completed: 1, failed: 0, cancelled: 1 });
    expect(server.logs().at(-1)).toMatchObject({ message: 'Stopped' });
  });

  it('cancels a job still running at the drain timeout, its processes gone, and exits 0', async () => {
    const server = await startServer({ TEST_AGENT_DRAIN_TIMEOUT: '2' });
    // A branch no search reaches (a hash of the input's text): the job runs on to its plateau, long past the drain
    // timeout, however fast the engine covers the rest.
    const slow =
      'import time\n\n\ndef drain_slow(x: int) -> int:\n    time.sleep(0.05)\n    if hash(str(x)) == 1:\n        return 0\n    if x > 3:\n        return x\n    return -x\n';
    const job = (await (
      await post(server, '/v1/generations', {
        files: [{ path: 'drain_slow_mod.py', content: slow }],
        target: '.',
        options: { timeBudgetSeconds: 60 },
      })
    ).json()) as { id: string };
    await until('the job to run', async () => ((await state(server, job.id)) === 'running' ? true : undefined));
    // Its processes (the search's worker, the tests it runs) are up: every descendant of the server is recorded, and
    // at the end those and any test process started later (named after the module) must be gone.
    // The module's name is in a command line only while tests run, near the job's end, so it cannot tell when to
    // signal.
    const workers = await until(
      'the job processes',
      async () => {
        const pids = descendants(server.child.pid ?? -1);
        return pids.length > 0 ? pids : undefined;
      },
      60_000,
    );
    const signalled = Date.now();
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.logs().find((l) => l.message === 'Drained')).toMatchObject({ completed: 0, failed: 0, cancelled: 1 });
    // The drain waited for the timeout, not for the job's 60 s budget.
    expect(Date.now() - signalled).toBeGreaterThanOrEqual(2000);
    expect(Date.now() - signalled).toBeLessThan(45_000);
    await until(
      'the job processes to be gone',
      async () =>
        workers.every((pid) => !alive(pid)) && spawnSync('pgrep', ['-f', 'drain_slow_mod']).status === 1
          ? true
          : undefined,
      10_000,
    );
  });
});
