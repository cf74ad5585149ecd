import type { HealthCheckResult } from '@test-agent/domain';
import type { GenerateTestsReport } from '@test-agent/application';
import type { GenerationOptions } from './generation-runner';
import type { Job, JobState } from './job-queue';

/** A generation job as the API shows it: state, progress, and the report once it is completed. */
export type GenerationJob = Job<GenerateTestsReport> & {
  /** The replica that runs or ran it (with Redis: `hostname:pid:instance`). */
  readonly ranBy?: string;
};

/**
 * What one generation job runs, prepared by the route: a private folder of this replica, what to test and where
 * its tests go (absolute paths), and the `generate` options.
 */
export interface GenerationJobInput {
  /** The job's private folder on this replica (the CLI's working folder); the queue owns it from `submit` on. */
  readonly dir: string;
  /** The module or folder to test: inside `dir` for inline sources, inside `serverRoots` otherwise. */
  readonly target: string;
  /** Where the tests go: inside `dir` for inline sources, inside `serverRoots` otherwise. */
  readonly outDir: string;
  readonly options: GenerationOptions;
  /**
   * Inline sources (true): the files under `dir` are the job's input and travel with it to whichever replica runs
   * it. Server-side paths (false): only the paths travel, so every replica must mount the same `serverRoots`.
   */
  readonly inline: boolean;
}

/**
 * How the jobs a drain found ended: running ones completed or failed within the timeout, the rest cancelled (or, with
 * Redis, handed back to the queue for another replica).
 */
export interface DrainOutcome {
  readonly completed: number;
  readonly failed: number;
  readonly cancelled: number;
  /** With Redis: this replica's jobs still running at the timeout, returned to the queue (another replica runs them). */
  readonly handedBack: number;
}

/** The job's tests as a `.tar.gz`: a buffer (from Redis) or a stream (packed from this replica's disk). */
export type TestsArchive = Buffer | NodeJS.ReadableStream;

/**
 * The generation job queue the routes call, whatever runs it: the in-process queue of one server (the default)
 * or BullMQ on Redis shared by every replica (`REDIS_URL`). Methods are async: with Redis each is a round trip.
 * A Redis failure is thrown as an `EnvironmentError` (503).
 */
export interface GenerationQueue {
  /** Connects (with Redis: within 8 s, or throws) and starts taking jobs; called once before the server listens. */
  start(): Promise<void>;
  /** Queues a job for `owner` (a token digest). Throws `QueueFullError` when `maxQueuedJobs` wait already. */
  submit(owner: string, input: GenerationJobInput): Promise<GenerationJob>;
  /** The job, while it is queued or running and for `resultTtlSeconds` after it finished; undefined after. */
  get(id: string): Promise<GenerationJob | undefined>;
  /** A completed job's tests; undefined when they are no longer kept. */
  tests(id: string): Promise<TestsArchive | undefined>;
  /**
   * Cancels a queued or running job wherever it runs (its processes stop within seconds); false when it had
   * already finished.
   */
  cancel(id: string): Promise<boolean>;
  /** Jobs by state (queue depth gauges). With Redis, across every replica. */
  counts(): Promise<Record<JobState, number>>;
  /**
   * The queue's part of `/health/ready`: with Redis, whether it answers a PING within 2 s (a replica that cannot
   * reach it can take, show or cancel no job); in-process, nothing to check. Never throws.
   */
  health(): Promise<HealthCheckResult[]>;
  /**
   * The first step of a graceful shutdown: stops taking jobs; lets this replica's running jobs finish for up to
   * `timeoutMs`, then stops those still running. In-process, queued jobs are cancelled at once and the jobs still
   * running at the timeout are cancelled (nothing else could run them); with Redis, queued jobs stay queued for the
   * other replicas and the jobs still running at the timeout go back to the queue.
   */
  drain(timeoutMs: number): Promise<DrainOutcome>;
  /**
   * Stops taking jobs and stops this replica's running ones: in-process they are cancelled (nothing else could run
   * them); with Redis they go back to the queue for another replica.
   */
  close(): Promise<void>;
}
