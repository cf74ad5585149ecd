import { rmSync } from 'node:fs';
import path from 'node:path';
import type { GenerateTestsReport } from '@test-agent/application';
import type { HealthCheckResult } from '@test-agent/domain';
import { runGeneration } from './generation-runner';
import type {
  DrainOutcome,
  GenerationJob,
  GenerationJobInput,
  GenerationQueue,
  TestsArchive,
} from './generation-queue.port';
import { testsArchive } from './job-files';
import { InProcessJobQueue, type JobState } from './job-queue';

/** What every queue needs to run a job: the CLI's configuration file and environment, and a hook per report. */
export interface GenerationQueueDeps {
  readonly concurrency: number;
  readonly maxQueued: number;
  readonly resultTtlMs: number;
  /** The configuration file every job's CLI reads (the server's). */
  readonly configFile: string;
  /** The environment of every job's CLI (the server's, without its own secrets). */
  readonly env: NodeJS.ProcessEnv;
  /** Called with the report of each job this replica completed (its metrics). */
  readonly onReport: (report: GenerateTestsReport) => void;
  /**
   * Called after a job this replica holds changed state (queued; running and finished on the replica that runs it):
   * the job metrics hook.
   */
  readonly onChange?: (job: GenerationJob) => void;
  /**
   * Called once a job's CLI has ended, however it ended, with the file it appended its metric events to
   * (`TEST_AGENT_METRICS_EVENTS`); the file is gone once the job's folder is.
   */
  readonly onMetricEvents?: (file: string) => void;
}

/** The file a job's CLI appends its metric events to, inside the job's folder `dir`. */
export const metricEventsFile = (dir: string) => path.join(dir, 'job-metrics.jsonl');

/** Runs a job's CLI with its metric events file, and hands the file over however the CLI ended. */
export function runWithMetricEvents(
  deps: GenerationQueueDeps,
  spec: Parameters<typeof runGeneration>[0],
  signal: AbortSignal,
  progress: Parameters<typeof runGeneration>[3],
): Promise<GenerateTestsReport> {
  const events = metricEventsFile(spec.cwd);
  return runGeneration(spec, { ...deps.env, TEST_AGENT_METRICS_EVENTS: events }, signal, progress).finally(() =>
    deps.onMetricEvents?.(events),
  );
}

/**
 * The generation queue of a single server: jobs run from the folder the route prepared, and a completed job's
 * tests are packed from that folder when asked for (removed when the job expires; a failed or cancelled job's at
 * once).
 */
export class InProcessGenerationQueue implements GenerationQueue {
  private readonly files = new Map<string, GenerationJobInput>();
  private readonly queue: InProcessJobQueue<GenerateTestsReport>;

  constructor(private readonly deps: GenerationQueueDeps) {
    this.queue = new InProcessJobQueue<GenerateTestsReport>({
      concurrency: deps.concurrency,
      maxQueued: deps.maxQueued,
      resultTtlMs: deps.resultTtlMs,
      onExpire: (job) => {
        const dir = this.files.get(job.id)?.dir;
        if (dir) rmSync(dir, { recursive: true, force: true });
        this.files.delete(job.id);
      },
      // A forgotten job (no longer in the queue) is no change of state.
      onChange: (job) => {
        if (this.queue.get(job.id)) deps.onChange?.(job as GenerationJob);
      },
    });
  }

  async start(): Promise<void> {
    // Nothing to connect to.
  }

  async submit(owner: string, input: GenerationJobInput): Promise<GenerationJob> {
    const job = this.queue.submit(owner, async (signal, progress) => {
      try {
        const report = await runWithMetricEvents(
          this.deps,
          {
            cwd: input.dir,
            configFile: this.deps.configFile,
            target: input.target,
            outDir: input.outDir,
            options: input.options,
          },
          signal,
          progress,
        );
        this.deps.onReport(report);
        return report;
      } catch (e) {
        // Only a completed job's tests can be downloaded: a failed or cancelled one's files go at once.
        rmSync(input.dir, { recursive: true, force: true });
        throw e;
      }
    });
    this.files.set(job.id, input);
    return job;
  }

  async get(id: string): Promise<GenerationJob | undefined> {
    return this.queue.get(id);
  }

  async tests(id: string): Promise<TestsArchive | undefined> {
    const job = this.queue.get(id);
    const input = this.files.get(id);
    if (!job || !input) return undefined;
    // Only the files the job wrote (a server-side outDir may hold other things).
    return testsArchive(input.outDir, job.result?.files ?? []);
  }

  async cancel(id: string): Promise<boolean> {
    return this.queue.cancel(id);
  }

  async health(): Promise<HealthCheckResult[]> {
    return [];
  }

  async counts(): Promise<Record<JobState, number>> {
    return this.queue.counts();
  }

  async drain(timeoutMs: number): Promise<DrainOutcome> {
    const held = () =>
      [...this.files.keys()].map((id) => this.queue.get(id)).filter((job): job is GenerationJob => job !== undefined);
    // Queued jobs would start only to be cut short: they are cancelled at once.
    let cancelled = 0;
    for (const job of held()) if (job.state === 'queued' && this.queue.cancel(job.id)) cancelled++;
    const running = held().filter((job) => job.state === 'running');
    const deadline = Date.now() + timeoutMs;
    while (running.some((job) => job.state === 'running') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    for (const job of running) if (this.queue.cancel(job.id)) cancelled++;
    const ended = (state: string) => running.filter((job) => job.state === state).length;
    return { completed: ended('completed'), failed: ended('failed'), cancelled, handedBack: 0 };
  }

  async close(): Promise<void> {
    this.queue.cancelAll();
  }
}
