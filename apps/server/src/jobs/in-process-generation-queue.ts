import { rmSync } from 'node:fs';
import type { GenerateTestsReport } from '@test-agent/application';
import { runGeneration } from './generation-runner';
import type { GenerationJob, GenerationJobInput, GenerationQueue, TestsArchive } from './generation-queue.port';
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
    });
  }

  async start(): Promise<void> {
    // Nothing to connect to.
  }

  async submit(owner: string, input: GenerationJobInput): Promise<GenerationJob> {
    const job = this.queue.submit(owner, async (signal, progress) => {
      try {
        const report = await runGeneration({ cwd: input.dir, configFile: this.deps.configFile, target: input.target, outDir: input.outDir, options: input.options }, this.deps.env, signal, progress);
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

  async counts(): Promise<Record<JobState, number>> {
    return this.queue.counts();
  }

  async close(): Promise<void> {
    this.queue.cancelAll();
  }
}
