import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Acceptance of the shared queue: a real redis-server and two real server processes (the built bundle) on it.
const root = path.resolve(__dirname, '../../..');
const TOKEN = 'replicas-token';
const OTHER = 'replicas-other-token';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureBuilt } = require(path.join(root, 'tools/build/build.cjs')) as { ensureBuilt: () => Promise<void> };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startRedis } = require(path.join(root, 'tools/redis/redis-server.cjs')) as {
  startRedis: () => Promise<{ url: string; stop(): Promise<void> }>;
};

const SMALL = (n: number) => `def sign_${n}(x: int) -> int:\n    if x > ${n}:\n        return 1\n    return -1\n`;
// A branch no search reaches: the job uses its whole budget.
const SLOW =
  'import hashlib\nimport time\n\n\ndef crawl(x: int) -> int:\n    time.sleep(0.05)\n    if hashlib.sha256(str(x).encode()).hexdigest().startswith("0000000"):\n        return 0\n    return -x\n';

interface Replica {
  readonly name: string;
  readonly child: ChildProcess;
  readonly address: string;
  /** Its own TMPDIR: every job folder (and so every process of its jobs) has it in its command line. */
  readonly tmp: string;
  /** Its JSON log lines. */
  readonly log: Record<string, unknown>[];
}

interface View {
  id: string;
  state: string;
  ranBy?: string;
  report?: { targetMet: boolean };
  error?: { code: string; message: string };
}

function startReplica(name: string, redisUrl: string): Promise<Replica> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), `ta-replica-${name}-`));
  const child = spawn(process.execPath, [path.join(root, 'dist/apps/server/main.js')], {
    cwd: tmp,
    env: {
      ...process.env,
      TMPDIR: tmp,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'info',
      LLM_PROVIDER: '',
      LLM_URL: '',
      REDIS_URL: redisUrl,
      TEST_AGENT_API_TOKENS: `${TOKEN},${OTHER}`,
      TEST_AGENT_WORKER_CONCURRENCY: '1',
      // Short, so the kill below is recovered soon; not so short that a starved event loop (2 loaded cores) misses a
      // lock renewal and a live replica's job is taken from it.
      TEST_AGENT_JOB_STALLED_SECONDS: '10',
      TEST_AGENT_FLAKY_RERUNS: '2',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: Record<string, unknown>[] = [];
  return new Promise((resolve, reject) => {
    let buffer = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          log.push(entry);
          const address = typeof entry.address === 'string' ? entry.address : undefined;
          if (entry.message === 'Listening' && address) resolve({ name, child, address, tmp, log });
        } catch {
          log.push({ text: line });
        }
      }
    });
    child.on('exit', (code) =>
      reject(new Error(`replica ${name} exited early with ${code}: ${JSON.stringify(log.slice(-5))}`)),
    );
  });
}

const headers = (token = TOKEN) => ({ 'content-type': 'application/json', authorization: `Bearer ${token}` });
async function get(replica: Replica, id: string, token = TOKEN): Promise<{ status: number; body: View }> {
  const res = await fetch(`http://${replica.address}/v1/generations/${id}`, { headers: headers(token) });
  return { status: res.status, body: (await res.json()) as View };
}
async function post(replica: Replica, name: string, content: string, budget: number): Promise<string> {
  const res = await fetch(`http://${replica.address}/v1/generations`, {
    method: 'POST',
    headers: headers(),
    body: JSON.stringify({ files: [{ path: name, content }], target: name, options: { timeBudgetSeconds: budget } }),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 180_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}
const finished = (replica: Replica, id: string) =>
  until(`job ${id} to finish`, async () => {
    const { body } = await get(replica, id);
    return ['completed', 'failed', 'cancelled'].includes(body.state) ? body : undefined;
  });
/** Lines `message` of `replica`'s queue about job `id`. */
const logged = (replica: Replica, message: string, id: string) =>
  replica.log.filter((l) => l.message === message && l.id === id).length;
/** Whether any process has `text` in its command line. */
const running = (text: string) => spawnSync('pgrep', ['-f', text]).status === 0;
/** The replica of a job view (`ranBy` is `hostname:pid:instance`). */
const replicaOf = (view: View, replicas: Replica[]) =>
  replicas.find((r) => view.ranBy?.split(':')[1] === String(r.child.pid))?.name;

describe('two server replicas sharing one Redis queue', () => {
  jest.setTimeout(600_000);
  let redis: { url: string; stop(): Promise<void> };
  let a: Replica;
  let b: Replica;
  beforeAll(async () => {
    await ensureBuilt();
    redis = await startRedis();
    [a, b] = await Promise.all([startReplica('a', redis.url), startReplica('b', redis.url)]);
  });
  afterAll(async () => {
    for (const replica of [a, b]) {
      if (!replica) continue;
      if (replica.child.exitCode === null && replica.child.signalCode === null) {
        const exited = new Promise((r) => replica.child.once('exit', r));
        replica.child.kill('SIGTERM');
        await exited;
      }
      rmSync(replica.tmp, { recursive: true, force: true });
    }
    await redis?.stop();
  });

  it('10 jobs posted to A are completed by both replicas, each once, and both answer the same for each', async () => {
    const ids: string[] = [];
    for (let n = 0; n < 10; n++) ids.push(await post(a, `small_${n}.py`, SMALL(n), 2));
    const views = await Promise.all(ids.map((id) => finished(b, id)));
    expect(views.map((v) => v.state)).toEqual(Array(10).fill('completed'));
    expect(views.every((v) => v.report?.targetMet === true)).toBe(true);
    // Both replicas did some of them.
    const by = views.map((v) => replicaOf(v, [a, b]));
    expect(new Set(by)).toEqual(new Set(['a', 'b']));
    for (const [i, id] of ids.entries()) {
      // Each job started and completed once, on the replica its view names; nothing of it ran on the other.
      const own = by[i] === 'a' ? a : b;
      const otherReplica = by[i] === 'a' ? b : a;
      expect([logged(own, 'Job started', id), logged(own, 'Job completed', id)]).toEqual([1, 1]);
      expect(logged(otherReplica, 'Job started', id)).toBe(0);
      // Either replica answers the same; the owner check holds on both.
      expect((await get(a, id)).body).toEqual((await get(b, id)).body);
      expect((await get(b, id, OTHER)).status).toBe(403);
      const tests = await fetch(`http://${otherReplica.address}/v1/generations/${id}/tests`, { headers: headers() });
      expect(tests.status).toBe(200);
      const listing = spawnSync('tar', ['-tz'], {
        input: Buffer.from(await tests.arrayBuffer()),
        encoding: 'utf8',
      }).stdout.split('\n');
      expect(listing).toContain(`test_small_${i}.py`);
    }
  });

  it('a job of replica B killed by SIGKILL is retried by A and completes; nothing of it runs on', async () => {
    // Two slow jobs: one lands on each replica.
    const ids = [await post(a, 'crawl_one.py', SLOW, 8), await post(a, 'crawl_two.py', SLOW, 8)];
    const onB = await until('a slow job running on B', async () => {
      for (const id of ids) {
        const { body } = await get(a, id);
        if (body.state === 'running' && replicaOf(body, [a, b]) === 'b') return id;
      }
      return undefined;
    });
    // Let B's CLI get going, then kill B without a chance to clean up.
    await until('the job processes on B', async () => (running(b.tmp) ? true : undefined));
    await new Promise((r) => setTimeout(r, 1500));
    const dead = new Promise((r) => b.child.once('exit', r));
    b.child.kill('SIGKILL');
    await dead;
    // B's generation dies with it (setpriv --pdeathsig): no process of B's jobs is left running.
    await until("B's job processes to stop", async () => (running(b.tmp) ? undefined : true), 20_000);
    const views = await Promise.all(ids.map((id) => finished(a, id)));
    expect(views.map((v) => v.state)).toEqual(['completed', 'completed']);
    const retried = views[ids.indexOf(onB)];
    expect(replicaOf(retried, [a, b])).toBe('a');
    expect(logged(b, 'Job started', onB)).toBe(1);
    expect(logged(b, 'Job completed', onB)).toBe(0);
    expect([logged(a, 'Job started', onB), logged(a, 'Job completed', onB)]).toEqual([1, 1]);
    const other = ids.find((id) => id !== onB)!;
    expect([logged(a, 'Job started', other), logged(a, 'Job completed', other)]).toEqual([1, 1]);
  });
});
