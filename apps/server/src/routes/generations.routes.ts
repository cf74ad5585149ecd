import os from 'node:os';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Container } from 'inversify';
import type { GenerateTestsReport } from '@test-agent/application';
import { DEFAULT_CONFIG_FILE, replayMetricEvents, TOKENS } from '@test-agent/composition';
import { InvalidInputError, type HealthCheckResult, type Metrics } from '@test-agent/domain';
import { QueueFullError } from '../jobs/job-queue';
import type { GenerationOptions } from '../jobs/generation-runner';
import { createGenerationQueue } from '../jobs/create-generation-queue';
import type { DrainOutcome, GenerationJob, GenerationJobInput } from '../jobs/generation-queue.port';
import { SOURCE_LIMITS, safeRelativePath, writeSources, type InlineFile, type SourceFile } from '../jobs/job-files';
import { archiveTooLarge } from '../jobs/archive-sources';
import type { SourceWork } from '../sources/source-work';
import { HttpProblem, insideServerRoots, ownerOf } from '../security';
import type { Lifecycle } from '../app';
import {
  ARCHIVE_BODY_SCHEMA,
  JOB_ACCEPTED_SCHEMA,
  JOB_SCHEMA,
  JSON_BODY_SCHEMA,
  OPTION_KEYS,
} from './generation-schemas';

interface GenerationBody {
  /** Inline sources and the module or folder among them to test ... */
  files?: InlineFile[];
  target?: string;
  /** ... or a module or folder on the server (inside `serverRoots`) and where its tests go. */
  path?: string;
  outDir?: string;
  options?: GenerationOptions;
}

/** An archive upload (multipart/form-data): the archive, the target in it, and the options as fields of their own. */
type ArchiveBody = GenerationOptions & { archive: Buffer; target: string };

export type { DrainOutcome } from '../jobs/generation-queue.port';

/** The generation jobs of a server, as its shutdown sees them. */
export interface GenerationService {
  /**
   * Stops intake (new POSTs: 503; readiness: 503) and drains the queue (`GenerationQueue.drain`): running jobs finish
   * for up to `timeoutMs`; in-process, queued jobs and those still running at the timeout are cancelled; with Redis,
   * queued jobs stay for the other replicas and those still running go back to the queue. Resolves with how the
   * jobs it found ended.
   */
  drain(timeoutMs: number): Promise<DrainOutcome>;
  /** The queue's readiness checks (`GenerationQueue.health`: Redis when `REDIS_URL` is set). */
  health(): Promise<HealthCheckResult[]>;
}

declare module 'fastify' {
  interface FastifyInstance {
    generations: GenerationService;
  }
}

/** What a job runs, before its options: its private folder `dir`, `target` and `outDir`, inline or server-side. */
type JobSpec = Omit<GenerationJobInput, 'options'>;

/**
 * The run's coverage, one sample per job (the job's own process records one per module: those are not replayed).
 * Everything else the job measured reaches this server's metrics through its events file (`replayJobMetrics`).
 */
function recordJob(metrics: Metrics, report: GenerateTestsReport): GenerateTestsReport {
  metrics.observe('test_agent_coverage_percentage', report.coverage.percent.line, { kind: 'line' });
  metrics.observe('test_agent_coverage_percentage', report.coverage.percent.branch, { kind: 'branch' });
  metrics.observe('test_agent_coverage_percentage', report.coverage.percent.combined, { kind: 'combined' });
  return report;
}

/** What the API shows of a job. */
function view(job: GenerationJob) {
  return {
    id: job.id,
    state: job.state,
    createdAt: new Date(job.createdAt).toISOString(),
    ...(job.startedAt ? { startedAt: new Date(job.startedAt).toISOString() } : {}),
    ...(job.finishedAt ? { finishedAt: new Date(job.finishedAt).toISOString() } : {}),
    progress: job.progress,
    ...(job.ranBy ? { ranBy: job.ranBy } : {}),
    ...(job.result ? { report: job.result } : {}),
    ...(job.error ? { error: job.error } : {}),
  };
}

/**
 * Generation jobs over HTTP. `POST /v1/generations` takes inline sources (`files`, `target`), a `.tar.gz`/`.zip`
 * upload (multipart: `archive`, `target`, the options as fields) or a server-side `path` and `outDir` inside
 * `serverRoots`, queues a job and answers 202 with its `Location`; the job runs as its own process
 * (`generate --json`). `GET /v1/generations/:id` gives its state, progress and report, `GET .../tests` its test
 * files as a `.tar.gz`, `DELETE` cancels it (its processes stop within seconds). Only the token that submitted a job
 * sees it. Decorates the app with `generations` (the drain of a shutdown); records the job metrics.
 */
export function registerGenerationRoutes(
  app: FastifyInstance,
  container: Container,
  tmpDir: string,
  lifecycle: Lifecycle,
  sources: SourceWork,
): void {
  const config = container.get(TOKENS.Config);
  const metrics = container.get(TOKENS.Metrics);
  const jobsRoot = mkdtempSync(path.join(tmpDir, 'test-agent-jobs-'));
  const logger = container.get(TOKENS.Logger).child('jobs');
  // The server's own secrets stay with it; the job gets the rest of its environment (LLM settings included).
  const { TEST_AGENT_API_TOKENS: _tokens, REDIS_URL: _redis, ...jobEnv } = config.baseEnv;
  // The server's own configuration file (where it read its settings), else an empty one.
  const serverConfig = path.resolve(process.cwd(), DEFAULT_CONFIG_FILE);
  const jobConfig = existsSync(serverConfig) ? serverConfig : path.join(jobsRoot, 'job-config.json');
  if (jobConfig !== serverConfig) writeFileSync(jobConfig, '{}\n');

  /** What a job's own process measured (its events file), added to this server's metrics however the job ended. */
  const replayJobMetrics = (file: string) => {
    if (!existsSync(file)) return;
    const { rejected } = replayMetricEvents(readFileSync(file, 'utf8'), metrics, {
      skip: ['test_agent_coverage_percentage'],
    });
    rmSync(file, { force: true });
    if (rejected.length > 0) logger.warn('Job metrics not replayed', { lines: rejected.length, first: rejected[0] });
  };
  /** The queue gauges, from the queue's own counts (with Redis: across every replica). */
  const refreshGauges = async () => {
    const counts = await queue.counts();
    metrics.set('test_agent_job_queue_depth', counts.queued);
    for (const [state, n] of Object.entries(counts)) metrics.set('test_agent_jobs', n, { state });
  };
  const gaugesFailed = (e: unknown) => logger.warn('Job gauges not updated', { error: (e as Error).message });

  // In-process by default; BullMQ on Redis, shared by every replica, when REDIS_URL is set.
  const queue = createGenerationQueue(
    {
      concurrency: config.workerConcurrency ?? os.availableParallelism(),
      maxQueued: config.maxQueuedJobs,
      resultTtlMs: config.resultTtlSeconds * 1000,
      configFile: jobConfig,
      env: jobEnv,
      onReport: (report) => recordJob(metrics, report),
      onMetricEvents: replayJobMetrics,
      onChange: (job) => {
        refreshGauges().catch(gaugesFailed);
        // How long a job took, on the replica that ran it (a queued job cancelled: how long it waited).
        if (job.finishedAt !== undefined)
          metrics.observe(
            'test_agent_job_duration_seconds',
            (job.finishedAt - (job.startedAt ?? job.createdAt)) / 1000,
            { state: job.state },
          );
      },
    },
    {
      redisUrl: config.redisUrl,
      jobStalledSeconds: config.jobStalledSeconds,
      jobsRoot,
      logger: container.get(TOKENS.Logger).child('queue'),
    },
  );
  app.decorate('generations', {
    async drain(timeoutMs: number): Promise<DrainOutcome> {
      lifecycle.draining = true;
      return queue.drain(timeoutMs);
    },
    health: () => queue.health(),
  } satisfies GenerationService);
  app.addHook('onReady', () => queue.start());
  // Other replicas change the counts too (and finished jobs expire): the gauges are read again at each scrape.
  app.addHook('onRequest', async (request) => {
    if (request.method === 'GET' && request.url.split('?')[0] === '/metrics') await refreshGauges().catch(gaugesFailed);
  });
  app.addHook('onClose', async () => {
    await queue.close();
    rmSync(jobsRoot, { recursive: true, force: true });
  });

  const ownJob = async (request: FastifyRequest<{ Params: { id: string } }>) => {
    const job = await queue.get(request.params.id);
    if (!job) throw new HttpProblem(404, 'TA_JOB_NOT_FOUND', `No generation job ${request.params.id}`);
    if (job.owner !== ownerOf(request.headers.authorization))
      throw new HttpProblem(403, 'TA_JOB_FORBIDDEN', 'This job belongs to another API token');
    return job;
  };

  /** A job folder holding `sources` under `src/`, and the job's spec; nothing is written when a file is refused. */
  const inlineJob = (
    sources: readonly SourceFile[],
    targetName: string | undefined,
    limits?: { files: number; bytes: number },
  ): JobSpec => {
    if (!targetName)
      throw new HttpProblem(
        400,
        'TA_BAD_GENERATION_REQUEST',
        '"target" names the module or folder among the sources to test ("." for all of them)',
      );
    const target = targetName === '.' ? '' : safeRelativePath(targetName);
    const dir = mkdtempSync(path.join(jobsRoot, 'job-'));
    const spec: JobSpec = { target: path.join(dir, 'src', target), outDir: path.join(dir, 'out'), dir, inline: true };
    try {
      writeSources(path.join(dir, 'src'), sources, limits);
      if (!existsSync(spec.target))
        throw new InvalidInputError(
          'TA_PATH_NOT_FOUND',
          `target ${targetName} is none of the files sent, nor a folder of them`,
        );
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    mkdirSync(spec.outDir);
    return spec;
  };

  // An upload over the limit is refused on its Content-Length, before a byte of it is read (a body without one is
  // cut off by the multipart limit instead).
  const multipartSlack = 64 * 1024;
  app.post<{ Body: GenerationBody | ArchiveBody }>(
    '/v1/generations',
    {
      bodyLimit: SOURCE_LIMITS.bytes * 2,
      onRequest: async (request) => {
        const length = Number(request.headers['content-length'] ?? 0);
        if (request.isMultipart() && length > config.archiveMaxBytes + multipartSlack)
          throw archiveTooLarge(config.archiveMaxBytes);
      },
      schema: {
        summary: 'Queue a generation job',
        description:
          'Sources inline (JSON: files and target), as a server-side path (JSON: path and outDir), or as a .tar.gz/.zip upload (multipart/form-data: archive, target and the options as fields).',
        body: {
          content: {
            'application/json': { schema: JSON_BODY_SCHEMA },
            'multipart/form-data': { schema: ARCHIVE_BODY_SCHEMA },
          },
        },
        response: { 202: JOB_ACCEPTED_SCHEMA },
      },
    },
    async (request, reply) => {
      // Only the two bodies above are validated: any other type (text/plain parses to a string) is refused.
      if (typeof request.body !== 'object' || request.body === null) {
        throw new HttpProblem(
          415,
          'TA_UNSUPPORTED_MEDIA_TYPE',
          'Send the job as application/json or as multipart/form-data (an archive upload)',
        );
      }
      const upload = Buffer.isBuffer((request.body as Partial<ArchiveBody>).archive)
        ? (request.body as ArchiveBody)
        : undefined;
      const body = (upload ? {} : request.body) as GenerationBody;
      const given: GenerationOptions = upload
        ? Object.fromEntries(OPTION_KEYS.filter((k) => upload[k] !== undefined).map((k) => [k, upload[k]]))
        : (body.options ?? {});
      const options = { ...given, jobs: 1 };
      if (options.timeBudgetSeconds !== undefined && options.timeBudgetSeconds > config.maxTimeBudgetSeconds) {
        throw new HttpProblem(
          400,
          'TA_BUDGET_TOO_LARGE',
          `timeBudgetSeconds ${options.timeBudgetSeconds} is over this server's limit of ${config.maxTimeBudgetSeconds} s per module`,
        );
      }
      // Every job runs from a private folder of its own, with the server's configuration file (never one the
      // sources bring: a test-agent.config.json among them could turn the sandbox off or redirect the LLM key).
      let spec: JobSpec;
      if (upload) {
        // Every entry is checked, in memory, before the first file is written.
        const entries = await sources.readArchive(upload.archive, {
          entries: config.archiveMaxEntries,
          unpackedBytes: config.archiveMaxUnpackedBytes,
        });
        spec = inlineJob(entries, upload.target, {
          files: config.archiveMaxEntries,
          bytes: config.archiveMaxUnpackedBytes,
        });
      } else if (body.files && body.path === undefined && body.outDir === undefined) {
        spec = inlineJob(body.files, body.target);
      } else if (body.path && body.outDir && !body.files && body.target === undefined) {
        const target = insideServerRoots(body.path, config.serverRoots, 'path');
        if (!existsSync(target))
          throw new InvalidInputError('TA_PATH_NOT_FOUND', `No such file or directory: ${body.path}`);
        const outDir = insideServerRoots(body.outDir, config.serverRoots, 'outDir');
        if (config.serverRoots.some((root) => path.resolve(root) === outDir))
          throw new HttpProblem(
            400,
            'TA_BAD_OUTPUT_FOLDER',
            'outDir must be a folder inside a server root, not the root itself',
          );
        const dir = mkdtempSync(path.join(jobsRoot, 'job-'));
        spec = { target, outDir, dir, inline: false };
      } else {
        throw new HttpProblem(
          400,
          'TA_BAD_GENERATION_REQUEST',
          'Send either "files" and "target" (inline sources) or "path" and "outDir" (server-side paths)',
        );
      }
      try {
        // The same job spec for inline sources and archive uploads: the queue owns the folder from here on.
        const job = await queue.submit(ownerOf(request.headers.authorization), { ...spec, options });
        return reply.status(202).header('Location', `/v1/generations/${job.id}`).send({ id: job.id, state: job.state });
      } catch (e) {
        rmSync(spec.dir, { recursive: true, force: true });
        if (e instanceof QueueFullError) {
          void reply.header('Retry-After', String(e.retryAfterSeconds));
          throw new HttpProblem(429, 'TA_QUEUE_FULL', `${e.message}; try again in ${e.retryAfterSeconds} s`);
        }
        throw e;
      }
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/generations/:id',
    { schema: { response: { 200: JOB_SCHEMA } } },
    async (request) => view(await ownJob(request)),
  );

  app.get<{ Params: { id: string } }>('/v1/generations/:id/tests', async (request, reply: FastifyReply) => {
    const job = await ownJob(request);
    if (job.state !== 'completed')
      throw new HttpProblem(
        409,
        'TA_JOB_NOT_COMPLETED',
        `The job is ${job.state}: its tests are there once it is completed`,
      );
    const archive = await queue.tests(job.id);
    if (!archive) throw new HttpProblem(410, 'TA_JOB_EXPIRED', 'The tests of this job are no longer kept');
    return reply
      .type('application/gzip')
      .header('Content-Disposition', `attachment; filename="tests-${job.id}.tar.gz"`)
      .send(archive);
  });

  app.delete<{ Params: { id: string } }>('/v1/generations/:id', async (request) => {
    const job = await ownJob(request);
    if (!(await queue.cancel(job.id))) throw new HttpProblem(409, 'TA_JOB_FINISHED', `The job is already ${job.state}`);
    return view((await queue.get(job.id)) ?? job);
  });
}
