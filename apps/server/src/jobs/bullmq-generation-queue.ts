import { randomUUID } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { Job as BullJob, Queue, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import IORedis, { type Redis } from 'ioredis';
import type { GenerateTestsReport } from '@test-agent/application';
import { EnvironmentError, type HealthCheckResult, type Logger } from '@test-agent/domain';
import { HttpProblem } from '../security';
import { GenerationFailed, type GenerationOptions } from './generation-runner';
import type {
  DrainOutcome,
  GenerationJob,
  GenerationJobInput,
  GenerationQueue,
  TestsArchive,
} from './generation-queue.port';
import { runWithMetricEvents, type GenerationQueueDeps } from './in-process-generation-queue';
import { safeRelativePath, testsArchive } from './job-files';
import { QueueFullError, type JobState } from './job-queue';
import type { JobProgress } from './job-progress';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** The BullMQ queue every replica shares, and the prefix of every key of it and of ours. */
const QUEUE_NAME = 'generations';
const PREFIX = 'test-agent';
const key = (id: string, what: 'input' | 'result' | 'tests' | 'cancelled') => `${PREFIX}:gen:${id}:${what}`;
const CANCEL_CHANNEL = `${PREFIX}:gen:cancel`;
const CANCELLED_SET = `${PREFIX}:gen:cancelled`;

/** The most bytes of input files one job may carry through Redis (the route's own limit is lower). */
export const JOB_INPUT_LIMIT_BYTES = 32 * 1024 * 1024;
/** The largest tests archive a job may keep in Redis; a job whose tests are larger fails. */
export const TESTS_ARCHIVE_LIMIT_BYTES = 32 * 1024 * 1024;
/** How long a queued job's input files are kept (a job waiting longer loses them and fails). */
const INPUT_TTL_SECONDS = 7 * 24 * 3600;
/** How often a running job checks whether it was cancelled, besides the pub/sub message (which a reconnect may miss). */
const CANCEL_POLL_MS = 1_500;
/** How long the server waits for Redis at start (under fastify's 10 s limit of a hook). */
const CONNECT_TIMEOUT_MS = 8_000;
/** The same Redis error of one connection is logged again only after this long (it repeats at every reconnect). */
const ERROR_LOG_EVERY_MS = 60_000;

/** What travels in the BullMQ job: small, JSON. Inline sources travel beside it (`…:input`). */
interface JobData {
  readonly owner: string;
  readonly createdAt: number;
  readonly inline: boolean;
  /** Inline: relative to the job's folder (`/`-separated); server-side: absolute. */
  readonly target: string;
  readonly outDir: string;
  readonly options: GenerationOptions;
}

/** What BullMQ keeps as a job's progress: ours, plus the replica that runs it. */
type StoredProgress = JobProgress & { readonly ranBy?: string };

interface CancelledRecord {
  readonly owner: string;
  readonly createdAt: number;
  readonly startedAt?: number;
  readonly finishedAt: number;
  readonly progress: JobProgress;
  readonly ranBy?: string;
}

export interface BullMqGenerationQueueOptions extends GenerationQueueDeps {
  readonly redisUrl: string;
  /** Where this replica unpacks the jobs it runs. */
  readonly jobsRoot: string;
  /** A running job's lock: when its replica has not renewed it for this long, another replica retries the job. */
  readonly stalledMs: number;
  readonly logger: Logger;
  /** This replica's name in job views (`ranBy`); default `hostname:pid:random` (one per queue, so a restarted container with the same pid is told apart). */
  readonly replica?: string;
}

/** The files under `dir` (regular files only), gzipped JSON: what an inline job carries to the replica that runs it. */
export async function packInput(dir: string): Promise<Buffer> {
  const files: { p: string; d: string }[] = [];
  let bytes = 0;
  const walk = (folder: string, prefix: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      const name = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(full, name);
      else if (entry.isFile()) {
        const data = readFileSync(full);
        bytes += data.length;
        if (bytes > JOB_INPUT_LIMIT_BYTES)
          throw new HttpProblem(400, 'TA_SOURCES_TOO_LARGE', `The job's files are over ${JOB_INPUT_LIMIT_BYTES} bytes`);
        files.push({ p: name, d: data.toString('base64') });
      } else throw new HttpProblem(400, 'TA_BAD_SOURCE_PATH', `${name} is not a regular file`);
    }
  };
  walk(dir, '');
  return gzipAsync(Buffer.from(JSON.stringify(files)));
}

/** Writes what `packInput` packed under `dir`, each name checked again (Redis is shared: trust no path in it). */
export async function unpackInput(packed: Buffer, dir: string): Promise<void> {
  const files = JSON.parse(
    (await gunzipAsync(packed, { maxOutputLength: JOB_INPUT_LIMIT_BYTES * 2 })).toString('utf8'),
  ) as { p: string; d: string }[];
  // Every name checked before the first file is written.
  const targets = files.map((file) => path.join(dir, safeRelativePath(file.p)));
  files.forEach((file, i) => {
    mkdirSync(path.dirname(targets[i]), { recursive: true });
    writeFileSync(targets[i], Buffer.from(file.d, 'base64'), { flag: 'wx' });
  });
}

/** The tests archive in memory, refused past `limit` bytes. */
async function collect(stream: NodeJS.ReadableStream, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit)
      throw new GenerationFailed('TA_JOB_RESULT_TOO_LARGE', `The job's tests archive is over ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** A relative path under the job folder as the CLI gets it, refusing one that would leave it. */
function inside(dir: string, relative: string): string {
  return relative === '' ? dir : path.join(dir, safeRelativePath(relative));
}

/** `CODE: message` as BullMQ keeps a failure; a stall (the replica died, twice) has BullMQ's own message. */
export function failureOf(reason: string | undefined): { code: string; message: string } {
  const m = /^(TA_[A-Z0-9_]+): ([\s\S]*)$/.exec(reason ?? '');
  if (m) return { code: m[1], message: m[2] };
  if (/stalled/i.test(reason ?? ''))
    return {
      code: 'TA_JOB_STALLED',
      message: `The replica running this job stopped and it was retried once already (${reason})`,
    };
  return { code: 'TA_INTERNAL', message: reason || 'The job failed' };
}

/** How long `/health/ready` waits for Redis to answer PING. */
const REDIS_PING_TIMEOUT_MS = 2000;

/**
 * The generation queue on Redis, shared by every replica (BullMQ): a job is queued in Redis with its input files,
 * any replica's worker takes it (`concurrency` at once), runs it from a private folder of its own and keeps the
 * report and the tests archive in Redis for `resultTtlMs`, so every replica answers for every job.
 *
 * - A replica that dies mid-job stops renewing its lock; after `stalledMs` another replica's stalled-job check puts
 *   the job back and it is run again, once (`maxStalledCount: 1`); a second stall fails it with the reason. The job's
 *   CLI dies with its server (`setpriv --pdeathsig`), so a dead replica's job is not finished twice.
 * - Cancelling writes a `cancelled` record (which wins over any later state), removes a queued job and publishes the
 *   id: the replica running it aborts its processor, whose process group is then killed.
 * - Closing returns this replica's running jobs to the queue for another replica; a drain first lets them finish
 *   for a while.
 */
export class BullMqGenerationQueue implements GenerationQueue {
  private readonly connection: Redis;
  private readonly subscriber: Redis;
  private readonly queue: Queue<JobData>;
  private worker?: Worker<JobData, { ranBy: string }>;
  private workerConnection?: Redis;
  private readonly replica: string;
  private closing = false;
  /** Set by `drain`: this replica takes no more jobs. */
  private draining = false;
  /** The jobs this replica runs now; each entry gets the way its job ended (what a drain reports). */
  private readonly local = new Map<string, { ended?: JobState | 'handedBack' }>();

  constructor(private readonly options: BullMqGenerationQueueOptions) {
    this.replica = options.replica ?? `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    // Commands fail at once while Redis is away (a 503), rather than queue up behind a reconnect.
    this.connection = new IORedis(options.redisUrl, { maxRetriesPerRequest: null, enableOfflineQueue: false });
    this.subscriber = new IORedis(options.redisUrl, { maxRetriesPerRequest: null });
    // BullMQ's queue repeats its connection's errors: one logger (and its de-duplication) for both.
    const queueErrors = this.logError('queue');
    this.connection.on('error', queueErrors);
    this.subscriber.on('error', this.logError('subscriber'));
    this.queue = new Queue<JobData>(QUEUE_NAME, { connection: this.connection, prefix: PREFIX });
    this.queue.on('error', queueErrors);
    this.subscriber.on('message', (_channel, id: string) => {
      if (this.worker?.cancelJob(id, 'cancelled')) options.logger.info('Job cancelled', { id, replica: this.replica });
    });
  }

  /** Connects to Redis (within 8 s, or throws) and starts this replica's worker. */
  async start(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new EnvironmentError(
              'TA_QUEUE_UNAVAILABLE',
              `Redis (REDIS_URL) did not answer within ${CONNECT_TIMEOUT_MS / 1000} s`,
            ),
          ),
        CONNECT_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([
        Promise.all([this.queue.waitUntilReady(), this.subscriber.subscribe(CANCEL_CHANNEL)]),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
    // The worker's own connection (BullMQ blocks on a copy of it waiting for jobs).
    this.workerConnection = new IORedis(this.options.redisUrl, { maxRetriesPerRequest: null });
    this.workerConnection.on('error', this.logError('worker'));
    const worker = new Worker<JobData, { ranBy: string }>(
      QUEUE_NAME,
      (job, token, signal) => this.process(job, token, signal),
      {
        connection: this.workerConnection,
        prefix: PREFIX,
        concurrency: this.options.concurrency,
        lockDuration: this.options.stalledMs,
        stalledInterval: this.options.stalledMs,
        maxStalledCount: 1,
      },
    );
    worker.on('error', this.logError('worker'));
    worker.on('stalled', (id: string) =>
      this.options.logger.warn('Job stalled: its replica stopped renewing its lock; it is queued again', {
        id,
        replica: this.replica,
      }),
    );
    worker.on('failed', (job, error) => {
      // A cancelled job's record is its `cancelled` key: the BullMQ job goes.
      if (job && error.message.startsWith('TA_JOB_CANCELLED'))
        job
          .remove()
          .catch((e: Error) =>
            this.options.logger.warn('Could not remove a cancelled job', { id: job.id, error: e.message }),
          );
    });
    this.worker = worker;
    await worker.waitUntilReady();
  }

  private logError(what: string) {
    let last = { message: '', at: 0 };
    return (e: Error) => {
      if (e.message === last.message && Date.now() - last.at < ERROR_LOG_EVERY_MS) return;
      last = { message: e.message, at: Date.now() };
      this.options.logger.warn(`Redis ${what} error`, { error: e.message });
    };
  }

  async submit(owner: string, input: GenerationJobInput): Promise<GenerationJob> {
    const id = randomUUID();
    const createdAt = Date.now();
    const relative = (p: string) => path.relative(input.dir, p).split(path.sep).join('/');
    const data: JobData = input.inline
      ? {
          owner,
          createdAt,
          inline: true,
          target: relative(input.target),
          outDir: relative(input.outDir),
          options: input.options,
        }
      : { owner, createdAt, inline: false, target: input.target, outDir: input.outDir, options: input.options };
    const packed = input.inline ? await packInput(input.dir) : undefined;
    await this.redis(async () => {
      if ((await this.queue.count()) >= this.options.maxQueued) throw new QueueFullError(30);
      if (packed) await this.connection.set(key(id, 'input'), packed, 'EX', INPUT_TTL_SECONDS);
      const age = Math.ceil(this.options.resultTtlMs / 1000);
      await this.queue.add('generate', data, {
        jobId: id,
        attempts: 1,
        removeOnComplete: { age },
        removeOnFail: { age },
      });
    });
    // The replica that runs the job unpacks its own copy.
    rmSync(input.dir, { recursive: true, force: true });
    const job: GenerationJob = { id, owner, state: 'queued', createdAt, progress: { modulesDone: 0 } };
    this.options.onChange?.(job);
    return job;
  }

  async get(id: string): Promise<GenerationJob | undefined> {
    return this.redis(async () => {
      const cancelled = await this.connection.get(key(id, 'cancelled'));
      if (cancelled) return { id, state: 'cancelled', ...(JSON.parse(cancelled) as CancelledRecord) };
      // The state first, then the job: a job that finishes between the two reads still shows its finish time
      // (the other order could read the job before it finished and its state after).
      const bullState = await this.queue.getJobState(id);
      const job = await BullJob.fromId<JobData, { ranBy: string }>(this.queue, id);
      if (!job) return undefined;
      const { ranBy, ...progress } = (
        typeof job.progress === 'object' ? job.progress : { modulesDone: 0 }
      ) as StoredProgress;
      const view: GenerationJob = {
        id,
        owner: job.data.owner,
        state: 'queued',
        createdAt: job.data.createdAt,
        ...(job.processedOn && bullState !== 'waiting' && bullState !== 'prioritized' && bullState !== 'delayed'
          ? { startedAt: job.processedOn }
          : {}),
        progress,
        ...(ranBy ? { ranBy } : {}),
      };
      if (job.finishedOn && job.finishedOn + this.options.resultTtlMs < Date.now()) return undefined;
      switch (bullState) {
        case 'active':
          return { ...view, state: 'running' };
        case 'completed': {
          const result = await this.connection.get(key(id, 'result'));
          if (!result) return undefined;
          return {
            ...view,
            state: 'completed',
            finishedAt: job.finishedOn,
            result: JSON.parse(result) as GenerateTestsReport,
            ranBy: job.returnvalue?.ranBy ?? ranBy,
          };
        }
        case 'failed':
          // A job failed by the stalled-job check (its replica died twice) still has its input files.
          if (job.data.inline) void this.connection.del(key(id, 'input')).catch(() => undefined);
          return { ...view, state: 'failed', finishedAt: job.finishedOn, error: failureOf(job.failedReason) };
        case 'unknown':
          return undefined;
        default:
          return view;
      }
    });
  }

  async tests(id: string): Promise<TestsArchive | undefined> {
    return (await this.redis(() => this.connection.getBuffer(key(id, 'tests')))) ?? undefined;
  }

  async cancel(id: string): Promise<boolean> {
    return this.redis(async () => {
      const job = await this.get(id);
      if (!job || (job.state !== 'queued' && job.state !== 'running')) return false;
      const record: CancelledRecord = {
        owner: job.owner,
        createdAt: job.createdAt,
        ...(job.startedAt ? { startedAt: job.startedAt } : {}),
        finishedAt: Date.now(),
        progress: job.progress,
        ...(job.ranBy ? { ranBy: job.ranBy } : {}),
      };
      const ttl = Math.ceil(this.options.resultTtlMs / 1000);
      // NX: of two concurrent cancels, one wins.
      if ((await this.connection.set(key(id, 'cancelled'), JSON.stringify(record), 'EX', ttl, 'NX')) !== 'OK')
        return false;
      await this.connection.zadd(CANCELLED_SET, record.finishedAt, id);
      if (job.state === 'queued') {
        // A job taken meanwhile is locked: the message below stops it.
        await BullJob.fromId(this.queue, id)
          .then((j) => j?.remove())
          .catch(() => undefined);
        await this.connection.del(key(id, 'input'));
      }
      await this.connection.publish(CANCEL_CHANNEL, id);
      // A running job's end is recorded by the replica that runs it.
      if (job.state === 'queued')
        this.options.onChange?.({ ...job, state: 'cancelled', finishedAt: record.finishedAt });
      return true;
    });
  }

  async health(): Promise<HealthCheckResult[]> {
    // Host and port only: the URL may carry a password.
    const where = `${this.connection.options.host ?? '?'}:${this.connection.options.port ?? '?'}`;
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer to PING within ${REDIS_PING_TIMEOUT_MS / 1000} s`)),
        REDIS_PING_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([this.connection.ping(), late]);
      return [{ name: 'redis', ok: true, detail: `${where} answered PING in ${Date.now() - started} ms` }];
    } catch (e) {
      return [
        {
          name: 'redis',
          ok: false,
          detail: `${where}: ${(e as Error).message}`,
          fix: 'Start Redis or correct REDIS_URL; this replica takes, shows and cancels no job until it answers',
        },
      ];
    } finally {
      clearTimeout(timer);
    }
  }

  async counts(): Promise<Record<JobState, number>> {
    return this.redis(async () => {
      const c = await this.queue.getJobCounts(
        'waiting',
        'prioritized',
        'delayed',
        'paused',
        'active',
        'completed',
        'failed',
      );
      await this.connection.zremrangebyscore(CANCELLED_SET, '-inf', Date.now() - this.options.resultTtlMs);
      const cancelled = await this.connection.zcard(CANCELLED_SET);
      return {
        queued: c.waiting + c.prioritized + c.delayed + c.paused,
        running: c.active,
        completed: c.completed,
        failed: c.failed,
        cancelled,
      };
    });
  }

  async drain(timeoutMs: number): Promise<DrainOutcome> {
    // This replica takes no more jobs; queued ones stay in Redis for the other replicas. (A pause does not stop a
    // fetch already waiting on Redis: a job it still takes goes straight back, see `process`.)
    this.draining = true;
    await this.worker?.pause(true);
    const running = [...this.local.values()];
    const deadline = Date.now() + timeoutMs;
    while (running.some((job) => job.ended === undefined) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    if (running.some((job) => job.ended === undefined)) {
      // The rest go back to the queue (see `process`), within seconds: their processes are stopped.
      this.closing = true;
      this.worker?.cancelAllJobs('server shutting down');
      const handover = Date.now() + 15_000;
      while (running.some((job) => job.ended === undefined) && Date.now() < handover)
        await new Promise((r) => setTimeout(r, 100));
    }
    const ended = (state: JobState | 'handedBack') => running.filter((job) => job.ended === state).length;
    return {
      completed: ended('completed'),
      failed: ended('failed'),
      cancelled: ended('cancelled'),
      handedBack: ended('handedBack'),
    };
  }

  async close(): Promise<void> {
    this.closing = true;
    // Running jobs go back to the queue (see `process`); the worker waits for their processors to return.
    this.worker?.cancelAllJobs('server shutting down');
    // With Redis away nothing can be handed back, and a graceful close would wait for it forever.
    const reachable = this.connection.status === 'ready';
    await this.worker?.close(!reachable);
    await this.queue.close();
    this.workerConnection?.disconnect();
    this.subscriber.disconnect();
    this.connection.disconnect();
  }

  /** Runs one job on this replica: unpack, generate, keep the report and tests in Redis. */
  private async process(
    job: BullJob<JobData, { ranBy: string }>,
    token: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<{ ranBy: string }> {
    const id = job.id!;
    const { logger } = this.options;
    if (this.draining) {
      await job.moveToWait(token);
      throw new WaitingError();
    }
    if (await this.connection.exists(key(id, 'cancelled')))
      throw new UnrecoverableError('TA_JOB_CANCELLED: The job was cancelled');
    const abort = new AbortController();
    signal?.addEventListener('abort', () => abort.abort(), { once: true });
    // The pub/sub message may be missed across a reconnect: the cancelled record is polled too.
    const poll = setInterval(() => {
      this.connection.exists(key(id, 'cancelled')).then(
        (n) => n && abort.abort(),
        () => undefined,
      );
    }, CANCEL_POLL_MS);
    const dir = mkdtempSync(path.join(this.options.jobsRoot, 'job-'));
    const local: { ended?: JobState | 'handedBack' } = {};
    this.local.set(id, local);
    const startedAt = Date.now();
    const view: GenerationJob = {
      id,
      owner: job.data.owner,
      state: 'running',
      createdAt: job.data.createdAt,
      startedAt,
      progress: { modulesDone: 0 },
      ranBy: this.replica,
    };
    const end = (state: JobState | 'handedBack') => {
      local.ended = state;
      this.options.onChange?.(
        state === 'handedBack' ? { ...view, state: 'queued' } : { ...view, state, finishedAt: Date.now() },
      );
    };
    this.options.onChange?.(view);
    logger.info('Job started', {
      id,
      replica: this.replica,
      attempt: job.attemptsStarted,
      stalled: job.stalledCounter,
    });
    try {
      await job.updateProgress({ modulesDone: 0, ranBy: this.replica } satisfies StoredProgress);
      let { target, outDir } = job.data;
      if (job.data.inline) {
        const packed = await this.connection.getBuffer(key(id, 'input'));
        if (!packed) throw new GenerationFailed('TA_JOB_INPUT_EXPIRED', "The job's files are no longer in Redis");
        await unpackInput(packed, dir);
        target = inside(dir, target);
        outDir = inside(dir, outDir);
        mkdirSync(outDir, { recursive: true });
      } else if (
        !path.isAbsolute(target) ||
        !path.isAbsolute(outDir) ||
        lstatSync(target, { throwIfNoEntry: false }) === undefined
      ) {
        throw new GenerationFailed(
          'TA_PATH_NOT_FOUND',
          `${target} is not on this replica (every replica must mount the same serverRoots)`,
        );
      }
      const report = await runWithMetricEvents(
        this.options,
        { cwd: dir, configFile: this.options.configFile, target, outDir, options: job.data.options },
        abort.signal,
        (p) => {
          job.updateProgress({ ...p, ranBy: this.replica } satisfies StoredProgress).catch(() => undefined);
        },
      );
      const archive = await collect(testsArchive(outDir, report.files), TESTS_ARCHIVE_LIMIT_BYTES);
      if (await this.connection.exists(key(id, 'cancelled')))
        throw new GenerationFailed('TA_JOB_CANCELLED', 'The job was cancelled');
      const ttl = Math.ceil(this.options.resultTtlMs / 1000);
      await this.connection
        .multi()
        .set(key(id, 'result'), JSON.stringify(report), 'EX', ttl)
        .set(key(id, 'tests'), archive, 'EX', ttl)
        .del(key(id, 'input'))
        .exec();
      this.options.onReport(report);
      end('completed');
      logger.info('Job completed', { id, replica: this.replica });
      return { ranBy: this.replica };
    } catch (e) {
      if (this.closing && !(await this.connection.exists(key(id, 'cancelled')).catch(() => 0))) {
        // Shutting down: another replica runs it.
        await job.moveToWait(token).catch((handover: unknown) => {
          // The lock was lost (a stall check took the job back already): BullMQ's stalled handling decides.
          logger.warn('Job could not be returned to the queue', {
            id,
            replica: this.replica,
            reason: (handover as Error).message,
          });
          throw handover;
        });
        end('handedBack');
        logger.info('Job returned to the queue', { id, replica: this.replica });
        throw new WaitingError();
      }
      const code = (e as { code?: string }).code ?? 'TA_INTERNAL';
      const message = e instanceof Error ? e.message : String(e);
      const cancelled =
        code === 'TA_JOB_CANCELLED' || (await this.connection.exists(key(id, 'cancelled')).catch(() => 0)) > 0;
      end(cancelled ? 'cancelled' : 'failed');
      logger.info('Job failed', { id, replica: this.replica, code });
      await this.connection.del(key(id, 'input')).catch(() => undefined);
      throw new UnrecoverableError(`${code.startsWith('TA_') ? code : 'TA_INTERNAL'}: ${message}`);
    } finally {
      clearInterval(poll);
      this.local.delete(id);
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** A Redis round trip; a connection failure is a 503 (`EnvironmentError`), not a 500. */
  private async redis<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (e) {
      if (e instanceof QueueFullError || e instanceof HttpProblem || e instanceof EnvironmentError) throw e;
      throw new EnvironmentError('TA_QUEUE_UNAVAILABLE', `The job queue (Redis) failed: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }
}
