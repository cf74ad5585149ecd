import { randomUUID } from 'node:crypto';
import type { JobProgress } from './job-progress';

export type JobState = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface Job<Result> {
  readonly id: string;
  /** Digest of the token that submitted it: only that token may read or cancel it. */
  readonly owner: string;
  state: JobState;
  readonly createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  progress: JobProgress;
  result?: Result;
  error?: { code: string; message: string };
}

/** A job's work: resolves with its result, reports progress, and stops promptly when `signal` aborts. */
export type JobWork<Result> = (signal: AbortSignal, progress: (p: JobProgress) => void) => Promise<Result>;

export interface JobQueueOptions {
  /** Jobs run at once. */
  readonly concurrency: number;
  /** Jobs waiting beyond which `submit` refuses (the caller answers 429). */
  readonly maxQueued: number;
  /** How long a finished job (and its result) is kept, ms. */
  readonly resultTtlMs: number;
  /** Called when a finished job is forgotten (to remove its files). */
  readonly onExpire?: (job: Job<unknown>) => void;
  /** Called after a job changed state (queued, running, finished) or was forgotten: the metrics hook. */
  readonly onChange?: (job: Job<unknown>) => void;
  readonly now?: () => number;
}

/** The queue is full: try again later. */
export class QueueFullError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('The generation queue is full');
    this.name = 'QueueFullError';
  }
}

/**
 * The in-process job queue of one server (a single replica): jobs wait in order, `concurrency` run at once, and a
 * finished job stays readable for `resultTtlMs`. Cancelling aborts a running job's signal (its work stops its
 * processes) or drops a queued one.
 */
export class InProcessJobQueue<Result> {
  private readonly jobs = new Map<string, Job<Result>>();
  private readonly waiting: { job: Job<Result>; work: JobWork<Result> }[] = [];
  private readonly running = new Map<string, AbortController>();
  private readonly now: () => number;

  constructor(private readonly options: JobQueueOptions) {
    this.now = options.now ?? (() => Date.now());
  }

  submit(owner: string, work: JobWork<Result>): Job<Result> {
    this.expire();
    if (this.waiting.length >= this.options.maxQueued) throw new QueueFullError(30);
    const job: Job<Result> = {
      id: randomUUID(),
      owner,
      state: 'queued',
      createdAt: this.now(),
      progress: { modulesDone: 0 },
    };
    this.jobs.set(job.id, job);
    this.waiting.push({ job, work });
    this.options.onChange?.(job as Job<unknown>);
    this.pump();
    return job;
  }

  get(id: string): Job<Result> | undefined {
    this.expire();
    return this.jobs.get(id);
  }

  /** Cancels a queued or running job; false when it had already finished. */
  cancel(id: string): boolean {
    const job = this.jobs.get(id);
    if (!job || (job.state !== 'queued' && job.state !== 'running')) return false;
    const at = this.waiting.findIndex((w) => w.job.id === id);
    if (at >= 0) this.waiting.splice(at, 1);
    this.running.get(id)?.abort();
    this.finish(job, 'cancelled');
    return true;
  }

  /** Jobs queued and running (the queue-depth gauges). */
  counts(): Record<JobState, number> {
    const counts: Record<JobState, number> = { queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0 };
    for (const job of this.jobs.values()) counts[job.state]++;
    return counts;
  }

  /** Cancels everything (shutdown). */
  cancelAll(): void {
    for (const job of [...this.jobs.values()]) this.cancel(job.id);
  }

  private pump(): void {
    while (this.running.size < this.options.concurrency && this.waiting.length > 0) {
      const { job, work } = this.waiting.shift()!;
      const controller = new AbortController();
      this.running.set(job.id, controller);
      job.state = 'running';
      job.startedAt = this.now();
      this.options.onChange?.(job as Job<unknown>);
      work(controller.signal, (p) => {
        if (job.state === 'running') job.progress = p;
      })
        .then(
          (result) => {
            if (job.state !== 'running') return;
            job.result = result;
            this.finish(job, 'completed');
          },
          (e: unknown) => {
            if (job.state !== 'running') return;
            job.error = {
              code: (e as { code?: string }).code ?? 'TA_INTERNAL',
              message: e instanceof Error ? e.message : String(e),
            };
            this.finish(job, 'failed');
          },
        )
        .finally(() => {
          this.running.delete(job.id);
          this.pump();
        });
    }
  }

  private finish(job: Job<Result>, state: JobState): void {
    job.state = state;
    job.finishedAt = this.now();
    this.options.onChange?.(job as Job<unknown>);
  }

  private expire(): void {
    const cutoff = this.now() - this.options.resultTtlMs;
    for (const [id, job] of this.jobs) {
      if (job.finishedAt !== undefined && job.finishedAt < cutoff && !this.running.has(id)) {
        this.jobs.delete(id);
        this.options.onExpire?.(job as Job<unknown>);
        this.options.onChange?.(job as Job<unknown>);
      }
    }
  }
}
