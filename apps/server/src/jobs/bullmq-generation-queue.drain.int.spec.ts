import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createContainer, loadConfig, TOKENS, type ConfigOverrides } from '@test-agent/composition';
import { CapturingLogger } from '@test-agent/domain/testing';
import { buildApp } from '../app';

// On the Redis queue (a real redis-server): the job metrics (gauges from the queue's counts across replicas, the
// duration and the job's own replayed metrics on the replica that ran it) and the drain of a shutdown (running jobs
// finish up to the timeout, the rest go back to the queue; queued jobs stay for the other replicas).
const root = path.resolve(__dirname, '../../../..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureBuilt } = require(path.join(root, 'tools/build/build.cjs')) as { ensureBuilt: () => Promise<void> };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startRedis } = require(path.join(root, 'tools/redis/redis-server.cjs')) as {
  startRedis: () => Promise<{ url: string; stop(): Promise<void> }>;
};

const auth = { authorization: 'Bearer spec-token' };
const SMALL = 'def sign(x: int) -> int:\n    if x > 0:\n        return 1\n    return -1\n';
// A branch no search reaches: the job uses its whole budget.
const SLOW =
  'import hashlib\nimport time\n\n\ndef drainpoke(x: int) -> int:\n    time.sleep(0.05)\n    if hashlib.sha256(str(x).encode()).hexdigest().startswith("0000000"):\n        return 0\n    return -x\n';

interface View {
  id: string;
  state: string;
  ranBy?: string;
}

function app(redisUrl: string, overrides: ConfigOverrides = {}, logger = new CapturingLogger()) {
  const cwd = mkdtempSync(path.join(tmpdir(), 'ta-queue-drain-'));
  const config = loadConfig({
    env: {},
    cwd,
    overrides: {
      flakyReruns: 2,
      apiTokens: ['spec-token'],
      redisUrl,
      jobStalledSeconds: 5,
      maxTimeBudgetSeconds: 120,
      workerConcurrency: 1,
      ...overrides,
    },
  });
  const container = createContainer(config, { logger });
  return { app: buildApp(container), container };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 150_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const get = async (on: FastifyInstance, id: string) =>
  (await on.inject({ method: 'GET', url: `/v1/generations/${id}`, headers: auth })).json() as View;
const post = async (on: FastifyInstance, content: string, name: string, budget: number) =>
  on.inject({
    method: 'POST',
    url: '/v1/generations',
    headers: auth,
    payload: { files: [{ path: name, content }], target: name, options: { timeBudgetSeconds: budget } },
  });
const inState = (on: FastifyInstance, id: string, states: string[]) =>
  until(`job ${id} ${states.join('/')}`, async () => {
    const job = await get(on, id);
    return states.includes(job.state) ? job : undefined;
  });
const scrape = async (on: FastifyInstance) => (await on.inject({ method: 'GET', url: '/metrics' })).body;
const value = (text: string, series: string) =>
  Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);

describe('job metrics and the drain on the Redis queue', () => {
  jest.setTimeout(300_000);
  beforeAll(() => ensureBuilt());

  it("counts jobs across replicas at each scrape; the duration and the job's own metrics on the replica that ran it", async () => {
    const redis = await startRedis();
    const runner = app(redis.url);
    // A replica that runs nothing (its worker paused by a drain of 0 s) but scrapes the shared counts.
    const watcher = app(redis.url);
    try {
      await Promise.all([runner.app.ready(), watcher.app.ready()]);
      await watcher.app.generations.drain(0);
      const res = await post(runner.app, SMALL, 'metricmod.py', 3);
      expect(res.statusCode).toBe(202);
      const { id } = res.json() as { id: string };
      await inState(runner.app, id, ['completed']);
      const [own, shared] = await Promise.all([scrape(runner.app), scrape(watcher.app)]);
      for (const text of [own, shared]) {
        expect(value(text, 'test_agent_jobs{state="completed"}')).toBe(1);
        expect(value(text, 'test_agent_job_queue_depth')).toBe(0);
      }
      expect(value(own, 'test_agent_job_duration_seconds_count{state="completed"}')).toBe(1);
      expect(value(shared, 'test_agent_job_duration_seconds_count{state="completed"}')).toBeNaN();
      // Recorded by the job's own process and replayed from its events file, on the replica that ran it.
      expect(
        value(own, 'test_agent_test_generation_duration_seconds_count{generator="offline"}'),
      ).toBeGreaterThanOrEqual(1);
      expect(value(own, 'test_agent_coverage_percentage_count{kind="combined"}')).toBe(1);
      expect(value(shared, 'test_agent_coverage_percentage_count{kind="combined"}')).toBeNaN();
      // The registry the scrape renders is the container's.
      expect(await runner.container.get(TOKENS.MetricsExporter).render()).toContain(
        'test_agent_jobs{state="completed"} 1',
      );
    } finally {
      await Promise.all([runner.app.close(), watcher.app.close()]);
      await redis.stop();
    }
  });

  it('a drain lets a running job finish within the timeout, leaves queued jobs to the other replicas and refuses new POSTs', async () => {
    const redis = await startRedis();
    const leaving = app(redis.url);
    const staying = app(redis.url);
    try {
      await leaving.app.ready();
      const first = (await post(leaving.app, SMALL, 'drainsmall.py', 3)).json() as { id: string };
      await inState(leaving.app, first.id, ['running']);
      // Concurrency 1: the second waits in Redis.
      const second = (await post(leaving.app, SMALL, 'drainqueued.py', 3)).json() as { id: string };
      expect((await get(leaving.app, second.id)).state).toBe('queued');
      const outcome = await leaving.app.generations.drain(180_000);
      expect(outcome).toEqual({ completed: 1, failed: 0, cancelled: 0, handedBack: 0 });
      expect((await get(leaving.app, first.id)).state).toBe('completed');
      // Not cancelled, not taken by the drained replica: it waits for another.
      expect((await get(leaving.app, second.id)).state).toBe('queued');
      const refused = await post(leaving.app, SMALL, 'late.py', 3);
      expect(refused.statusCode).toBe(503);
      expect((await leaving.app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(503);
      await staying.app.ready();
      const done = await inState(staying.app, second.id, ['completed', 'failed', 'cancelled']);
      expect(done.state).toBe('completed');
    } finally {
      await Promise.all([leaving.app.close(), staying.app.close()]);
      await redis.stop();
    }
  });

  it('a job still running at the drain timeout goes back to the queue, and another replica runs it', async () => {
    const redis = await startRedis();
    const leavingLogs = new CapturingLogger();
    const leaving = app(redis.url, {}, leavingLogs);
    const staying = app(redis.url);
    try {
      await leaving.app.ready();
      const slow = (await post(leaving.app, SLOW, 'drainslow.py', 8)).json() as { id: string };
      await inState(leaving.app, slow.id, ['running']);
      const outcome = await leaving.app.generations.drain(1_000);
      expect(outcome).toEqual({ completed: 0, failed: 0, cancelled: 0, handedBack: 1 });
      expect(leavingLogs.lines.some((l) => l.message === 'Job returned to the queue' && l.fields?.id === slow.id)).toBe(
        true,
      );
      expect((await get(leaving.app, slow.id)).state).toBe('queued');
      await staying.app.ready();
      const done = await inState(staying.app, slow.id, ['completed', 'failed', 'cancelled']);
      expect(done.state).toBe('completed');
      expect(done.ranBy).toBeDefined();
    } finally {
      await Promise.all([leaving.app.close(), staying.app.close()]);
      await redis.stop();
    }
  });
});
