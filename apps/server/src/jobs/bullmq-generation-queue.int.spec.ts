import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createContainer, loadConfig, type ConfigOverrides } from '@test-agent/composition';
import { CapturingLogger } from '@test-agent/domain/testing';
import { buildApp } from '../app';
import { BullMqGenerationQueue } from './bullmq-generation-queue';

// The Redis queue (BullMQ) with two apps on one real redis-server: what one app queues, the other answers for.
const root = path.resolve(__dirname, '../../../..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureBuilt } = require(path.join(root, 'tools/build/build.cjs')) as { ensureBuilt: () => Promise<void> };
interface RedisProcess {
  readonly url: string;
  stop(): Promise<void>;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startRedis, freePort } = require(path.join(root, 'tools/redis/redis-server.cjs')) as {
  startRedis: () => Promise<RedisProcess>;
  freePort: () => Promise<number>;
};

const auth = { authorization: 'Bearer spec-token' };
const other = { authorization: 'Bearer other-token' };
const SMALL = 'def sign(x: int) -> int:\n    if x > 0:\n        return 1\n    return -1\n';
// A branch no search reaches: the job uses its whole budget.
const SLOW =
  'import hashlib\nimport time\n\n\ndef slowpoke(x: int) -> int:\n    time.sleep(0.05)\n    if hashlib.sha256(str(x).encode()).hexdigest().startswith("0000000"):\n        return 0\n    return -x\n';

interface View {
  id: string;
  state: string;
  ranBy?: string;
  report?: { targetMet: boolean; files: string[] };
  error?: { code: string; message: string };
}

/** An app on `redisUrl`; its log lines (the queue's "Job started" with this replica's name) in `logger`. */
function app(redisUrl: string, overrides: ConfigOverrides = {}, logger = new CapturingLogger()): FastifyInstance {
  const cwd = mkdtempSync(path.join(tmpdir(), 'ta-queue-'));
  const config = loadConfig({
    env: {},
    cwd,
    overrides: {
      flakyReruns: 2,
      apiTokens: ['spec-token', 'other-token'],
      redisUrl,
      // Long enough that a lock renewal late under CI load is not a stall (no spec here waits for one).
      jobStalledSeconds: 30,
      maxTimeBudgetSeconds: 60,
      // One job at a time per app, whatever the machine's cores (the default): the specs count running and queued jobs.
      workerConcurrency: 1,
      ...overrides,
    },
  });
  return buildApp(createContainer(config, { logger }));
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
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
const settled = (on: FastifyInstance, id: string, states = ['completed', 'failed', 'cancelled']) =>
  until(`job ${id} ${states.join('/')}`, async () => {
    const job = await get(on, id);
    return states.includes(job.state) ? job : undefined;
  });
const processesOf = (module: string) => spawnSync('pgrep', ['-f', module]).status === 0;

describe('generation jobs on Redis (BullMQ), two apps sharing one redis-server', () => {
  jest.setTimeout(240_000);
  let redis: RedisProcess;
  let a: FastifyInstance;
  let b: FastifyInstance;
  const logs = { a: new CapturingLogger(), b: new CapturingLogger() };
  /** The app whose replica started job `id`. */
  const ranOn = (id: string) =>
    (['a', 'b'] as const).find((name) =>
      logs[name].lines.some((l) => l.message === 'Job started' && l.fields?.id === id),
    );
  beforeAll(async () => {
    await ensureBuilt();
    redis = await startRedis();
    a = app(redis.url, {}, logs.a);
    b = app(redis.url, {}, logs.b);
    await Promise.all([a.ready(), b.ready()]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await redis?.stop();
  });

  it('a job queued on one app is visible, owned and downloadable on the other, with the same state', async () => {
    const res = await post(a, SMALL, 'signmod.py', 3);
    expect(res.statusCode).toBe(202);
    const { id } = res.json() as { id: string };
    expect(res.headers.location).toBe(`/v1/generations/${id}`);
    expect((await b.inject({ method: 'GET', url: `/v1/generations/${id}`, headers: other })).statusCode).toBe(403);
    expect((await b.inject({ method: 'DELETE', url: `/v1/generations/${id}`, headers: other })).statusCode).toBe(403);
    expect((await b.inject({ method: 'GET', url: '/v1/generations/no-such-job', headers: auth })).statusCode).toBe(404);
    const done = await settled(b, id);
    expect(done).toMatchObject({ state: 'completed', report: { targetMet: true } });
    expect(done.ranBy).toMatch(/:\d+:[0-9a-f]{8}$/);
    expect(await get(a, id)).toEqual(done);
    for (const on of [a, b]) {
      const archive = await on.inject({ method: 'GET', url: `/v1/generations/${id}/tests`, headers: auth });
      expect(archive.statusCode).toBe(200);
      expect(archive.headers['content-type']).toBe('application/gzip');
      const listing = spawnSync('tar', ['-tz'], { input: archive.rawPayload, encoding: 'utf8' }).stdout.split('\n');
      expect(listing).toEqual(expect.arrayContaining(['test_signmod.py', 'conftest.py']));
    }
  });

  it('DELETE on one app cancels a job running on the other: its processes are gone within 5 s', async () => {
    // Two slow jobs: one runs on each app.
    const ids = await Promise.all([post(a, SLOW, 'slowpoke_one.py', 40), post(a, SLOW, 'slowpoke_two.py', 40)]).then(
      (rs) => rs.map((r) => (r.json() as { id: string }).id),
    );
    const running = await Promise.all(ids.map((id) => settled(a, id, ['running'])));
    await until('both running with progress owners', async () => {
      const views = await Promise.all(ids.map((id) => get(a, id)));
      return views.every((v) => v.ranBy) && new Set(views.map((v) => v.ranBy)).size === 2 ? views : undefined;
    });
    expect(running.map((r) => r.state)).toEqual(['running', 'running']);
    expect(new Set(ids.map(ranOn))).toEqual(new Set(['a', 'b']));
    await until('the CLI processes', async () =>
      processesOf('slowpoke_one') && processesOf('slowpoke_two') ? true : undefined,
    );
    for (const [id, module] of [
      [ids[0], 'slowpoke_one'],
      [ids[1], 'slowpoke_two'],
    ] as const) {
      // Cancelled through the app that does not run it.
      const via = ranOn(id) === 'a' ? b : a;
      const cancelled = await via.inject({ method: 'DELETE', url: `/v1/generations/${id}`, headers: auth });
      expect(cancelled.statusCode).toBe(200);
      expect(cancelled.json()).toMatchObject({ state: 'cancelled' });
      const started = Date.now();
      while (processesOf(module) && Date.now() - started < 5000) await new Promise((r) => setTimeout(r, 200));
      expect(processesOf(module)).toBe(false);
      expect((await b.inject({ method: 'DELETE', url: `/v1/generations/${id}`, headers: auth })).statusCode).toBe(409);
      expect((await get(a, id)).state).toBe('cancelled');
      expect((await get(b, id)).state).toBe('cancelled');
      expect((await a.inject({ method: 'GET', url: `/v1/generations/${id}/tests`, headers: auth })).statusCode).toBe(
        409,
      );
    }
  });

  it('a full queue answers 429 with Retry-After; a cancelled queued job is never run', async () => {
    const small = await startRedis();
    const lone = app(small.url, { maxQueuedJobs: 1 });
    await lone.ready();
    try {
      const first = (await post(lone, SLOW, 'slowpoke_busy.py', 30)).json() as { id: string };
      await settled(lone, first.id, ['running']);
      const queued = await post(lone, SMALL, 'queued.py', 2);
      expect(queued.statusCode).toBe(202);
      const full = await post(lone, SMALL, 'refused.py', 2);
      expect(full.statusCode).toBe(429);
      expect(full.headers['retry-after']).toBe('30');
      expect(full.json()).toMatchObject({ title: 'TA_QUEUE_FULL' });
      const { id } = queued.json() as { id: string };
      expect(
        (await lone.inject({ method: 'DELETE', url: `/v1/generations/${id}`, headers: auth })).json(),
      ).toMatchObject({ state: 'cancelled' });
      expect(
        (await lone.inject({ method: 'DELETE', url: `/v1/generations/${first.id}`, headers: auth })).json(),
      ).toMatchObject({ state: 'cancelled' });
      // The queue is empty again, and the cancelled queued job never started.
      expect((await post(lone, SMALL, 'after.py', 2)).statusCode).toBe(202);
      const view = await get(lone, id);
      expect(view).toMatchObject({ state: 'cancelled' });
      expect(view.ranBy).toBeUndefined();
    } finally {
      await lone.close();
      await small.stop();
    }
  });

  it('closing an app (SIGTERM) hands its running job back to the queue: the other app runs it to completion', async () => {
    const ids = await Promise.all([post(a, SLOW, 'slowpoke_three.py', 6), post(a, SLOW, 'slowpoke_four.py', 6)]).then(
      (rs) => rs.map((r) => (r.json() as { id: string }).id),
    );
    await until('one job running on each app', async () => {
      const views = await Promise.all(ids.map((id) => get(a, id)));
      return views.every((v) => v.state === 'running') && new Set(ids.map(ranOn)).size === 2 ? true : undefined;
    });
    const onB = ids.find((id) => ranOn(id) === 'b')!;
    await b.close();
    // What B logged about the job (the whole list shows when this fails).
    expect(logs.b.lines.filter((l) => l.fields?.id === onB).map((l) => l.message)).toContain(
      'Job returned to the queue',
    );
    const views = await Promise.all(ids.map((id) => settled(a, id)));
    expect(views.map((v) => v.state)).toEqual(['completed', 'completed']);
    // Taken again by A (not after a stall: at once), completed there once.
    expect(logs.a.lines.filter((l) => l.message === 'Job completed' && l.fields?.id === onB)).toHaveLength(1);
    expect(logs.a.lines.find((l) => l.message === 'Job started' && l.fields?.id === onB)?.fields?.stalled).toBe(0);
  });

  it('counts jobs by state across the queue (a queue that runs nothing: no worker started)', async () => {
    const own = await startRedis();
    const logger = new CapturingLogger();
    const queue = new BullMqGenerationQueue({
      redisUrl: own.url,
      jobsRoot: tmpdir(),
      stalledMs: 5000,
      logger,
      concurrency: 1,
      maxQueued: 5,
      resultTtlMs: 60_000,
      configFile: '/dev/null',
      env: {},
      onReport: () => undefined,
    });
    try {
      const submit = () => {
        const dir = mkdtempSync(path.join(tmpdir(), 'ta-count-'));
        mkdirSync(path.join(dir, 'src'));
        writeFileSync(path.join(dir, 'src', 'm.py'), SMALL);
        return queue.submit('owner', {
          dir,
          target: path.join(dir, 'src', 'm.py'),
          outDir: path.join(dir, 'out'),
          options: {},
          inline: true,
        });
      };
      const [first] = await Promise.all([submit(), submit(), submit()]);
      expect(await queue.counts()).toEqual({ queued: 3, running: 0, completed: 0, failed: 0, cancelled: 0 });
      expect(await queue.cancel(first.id)).toBe(true);
      expect(await queue.cancel(first.id)).toBe(false);
      expect(await queue.counts()).toEqual({ queued: 2, running: 0, completed: 0, failed: 0, cancelled: 1 });
      expect(await queue.get(first.id)).toMatchObject({ id: first.id, owner: 'owner', state: 'cancelled' });
    } finally {
      await queue.close();
      await own.stop();
    }
  });

  it('answers 503 while Redis is unreachable, and is not ready', async () => {
    const gone = await startRedis();
    // A short stalled interval: the stalled-check timer BullMQ leaves behind when Redis is gone is short too.
    const orphan = app(gone.url, { jobStalledSeconds: 1 });
    await orphan.ready();
    const redisCheck = async () => {
      const res = await orphan.inject({ method: 'GET', url: '/health/ready' });
      const checks = (res.json() as { checks: { name: string; ok: boolean; detail: string }[] }).checks;
      return { status: res.statusCode, redis: checks.find((c) => c.name === 'redis') };
    };
    expect((await redisCheck()).redis).toMatchObject({ ok: true, detail: expect.stringMatching(/answered PING/) });
    await gone.stop();
    try {
      const res = await post(orphan, SMALL, 'nowhere.py', 2);
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ title: 'TA_QUEUE_UNAVAILABLE' });
      expect(JSON.stringify(res.json())).not.toContain('redis://');
      const notReady = await redisCheck();
      expect(notReady).toMatchObject({ status: 503, redis: { ok: false } });
      expect(notReady.redis?.detail).not.toContain('redis://');
    } finally {
      await orphan.close();
    }
  });

  it('does not start without Redis: ready() fails with TA_QUEUE_UNAVAILABLE within seconds, naming no password', async () => {
    const nobody = app(`redis://:hunter2@127.0.0.1:${await freePort()}`, { jobStalledSeconds: 1 });
    const started = Date.now();
    const error = await nobody.ready().then(
      () => undefined,
      (e: unknown) => e as { code?: string; message: string },
    );
    expect(error).toMatchObject({
      code: 'TA_QUEUE_UNAVAILABLE',
      message: expect.stringMatching(/did not answer within 8 s/),
    });
    expect(error?.message).not.toContain('hunter2');
    expect(Date.now() - started).toBeLessThan(60_000);
    // It never became ready: closing it only releases its connections, and may itself report that failure again.
    await nobody.close().catch(() => undefined);
  });
});
