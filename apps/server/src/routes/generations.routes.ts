import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Container } from 'inversify';
import type { GenerateTestsReport } from '@test-agent/application';
import { DEFAULT_CONFIG_FILE, replayMetricEvents, TOKENS } from '@test-agent/composition';
import { InvalidInputError, type Metrics } from '@test-agent/domain';
import { InProcessJobQueue, QueueFullError, type Job } from '../jobs/job-queue';
import { runGeneration, type GenerationOptions } from '../jobs/generation-runner';
import { SOURCE_LIMITS, safeRelativePath, testsArchive, writeSources, type InlineFile, type SourceFile } from '../jobs/job-files';
import { archiveTooLarge, readArchive } from '../jobs/archive-sources';
import { HttpProblem, insideServerRoots, ownerOf } from '../security';
import type { Lifecycle } from '../app';

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

const positive = { type: 'number', exclusiveMinimum: 0 } as const;
const OPTION_PROPERTIES = {
  strategy: { type: 'string', enum: ['offline', 'llm', 'hybrid'] },
  timeBudgetSeconds: positive,
  targetCoverage: { type: 'number', minimum: 0, maximum: 100 },
  maxIterations: { type: 'integer', minimum: 1, maximum: 10 },
  maxTokens: { type: 'integer', minimum: 1, maximum: 2_000_000 },
  timeoutSeconds: { type: 'number', exclusiveMinimum: 0, maximum: 3600 },
  seed: { type: 'integer', minimum: 1 },
} as const;
const OPTIONS_SCHEMA = { type: 'object', additionalProperties: false, properties: OPTION_PROPERTIES } as const;
const OPTION_KEYS = Object.keys(OPTION_PROPERTIES) as (keyof GenerationOptions)[];

const JSON_BODY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    files: {
      type: 'array',
      maxItems: SOURCE_LIMITS.files,
      items: { type: 'object', required: ['path', 'content'], additionalProperties: false, properties: { path: { type: 'string', minLength: 1 }, content: { type: 'string' } } },
    },
    target: { type: 'string', minLength: 1, description: 'The module or folder among files to test ("." for all)' },
    path: { type: 'string', minLength: 1, description: 'A server-side module or folder (inside serverRoots)' },
    outDir: { type: 'string', minLength: 1, description: 'Where the tests of a server-side path go (inside serverRoots)' },
    options: OPTIONS_SCHEMA,
  },
} as const;

// Form fields arrive as strings; the validator coerces the numeric ones.
const ARCHIVE_BODY_SCHEMA = {
  type: 'object',
  required: ['archive', 'target'],
  additionalProperties: false,
  properties: {
    archive: { description: 'The sources as a .tar.gz or .zip' },
    target: { type: 'string', minLength: 1, description: 'The module or folder in the archive to test ("." for all)' },
    ...OPTION_PROPERTIES,
  },
} as const;

const JOB_ACCEPTED_SCHEMA = { type: 'object', properties: { id: { type: 'string' }, state: { type: 'string' } } } as const;

/** The generation jobs of a server, as its shutdown sees them. */
export interface GenerationService {
  /**
   * Stops intake (new POSTs: 503; readiness: 503), cancels queued jobs, lets running ones finish for up to `timeoutMs`, then
   * cancels those still running. Resolves with how the jobs it found ended.
   */
  drain(timeoutMs: number): Promise<DrainOutcome>;
}

/** How the jobs a drain found ended: running ones completed or failed within the timeout, the rest cancelled. */
export interface DrainOutcome {
  readonly completed: number;
  readonly failed: number;
  readonly cancelled: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    generations: GenerationService;
  }
}

/** What a job runs: from `cwd` (its private folder `dir`), `target` to `outDir`, with the server's config file. */
interface JobSpec {
  readonly cwd: string;
  readonly target: string;
  readonly outDir: string;
  readonly dir: string;
  readonly configFile: string;
}

/** Where a job's files live; removed when the job expires. */
interface JobFiles {
  readonly dir?: string;
  readonly outDir: string;
}

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
function view(job: Job<GenerateTestsReport>) {
  return {
    id: job.id,
    state: job.state,
    createdAt: new Date(job.createdAt).toISOString(),
    ...(job.startedAt ? { startedAt: new Date(job.startedAt).toISOString() } : {}),
    ...(job.finishedAt ? { finishedAt: new Date(job.finishedAt).toISOString() } : {}),
    progress: job.progress,
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
export function registerGenerationRoutes(app: FastifyInstance, container: Container, tmpDir: string, lifecycle: Lifecycle): void {
  const config = container.get(TOKENS.Config);
  const metrics = container.get(TOKENS.Metrics);
  const jobsRoot = mkdtempSync(path.join(tmpDir, 'test-agent-jobs-'));
  const files = new Map<string, JobFiles>();
  const queue = new InProcessJobQueue<GenerateTestsReport>({
    concurrency: config.workerConcurrency,
    maxQueued: config.maxQueuedJobs,
    resultTtlMs: config.resultTtlSeconds * 1000,
    onExpire: (job) => {
      const dir = files.get(job.id)?.dir;
      if (dir) rmSync(dir, { recursive: true, force: true });
      files.delete(job.id);
    },
    onChange: (job) => {
      const counts = queue.counts();
      metrics.set('test_agent_job_queue_depth', counts.queued);
      for (const [state, n] of Object.entries(counts)) metrics.set('test_agent_jobs', n, { state });
      if (job.finishedAt !== undefined && files.has(job.id)) {
        metrics.observe('test_agent_job_duration_seconds', (job.finishedAt - (job.startedAt ?? job.createdAt)) / 1000, { state: job.state });
      }
    },
  });
  app.decorate('generations', {
    async drain(timeoutMs: number): Promise<DrainOutcome> {
      lifecycle.draining = true;
      const held = () => [...files.keys()].map((id) => queue.get(id)).filter((job): job is Job<GenerateTestsReport> => job !== undefined);
      // Queued jobs would start only to be cut short: they are cancelled at once.
      let cancelled = 0;
      for (const job of held()) if (job.state === 'queued' && queue.cancel(job.id)) cancelled++;
      const running = held().filter((job) => job.state === 'running');
      const deadline = Date.now() + timeoutMs;
      while (running.some((job) => job.state === 'running') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      for (const job of running) if (queue.cancel(job.id)) cancelled++;
      const ended = (state: string) => running.filter((job) => job.state === state).length;
      return { completed: ended('completed'), failed: ended('failed'), cancelled };
    },
  } satisfies GenerationService);
  // The server's own secrets stay with it; the job gets the rest of its environment (LLM settings included).
  const { TEST_AGENT_API_TOKENS: _tokens, ...jobEnv } = process.env;
  // The server's own configuration file (where it read its settings), else an empty one.
  const serverConfig = path.resolve(process.cwd(), DEFAULT_CONFIG_FILE);
  const jobConfig = existsSync(serverConfig) ? serverConfig : path.join(jobsRoot, 'job-config.json');
  if (jobConfig !== serverConfig) writeFileSync(jobConfig, '{}\n');
  app.addHook('onClose', async () => {
    queue.cancelAll();
    rmSync(jobsRoot, { recursive: true, force: true });
  });

  const logger = container.get(TOKENS.Logger).child('jobs');
  const replayJobMetrics = (file: string) => {
    if (!existsSync(file)) return;
    const { rejected } = replayMetricEvents(readFileSync(file, 'utf8'), metrics, { skip: ['test_agent_coverage_percentage'] });
    rmSync(file, { force: true });
    if (rejected.length > 0) logger.warn('Job metrics not replayed', { lines: rejected.length, first: rejected[0] });
  };

  const ownJob = (request: FastifyRequest<{ Params: { id: string } }>) => {
    const job = queue.get(request.params.id);
    if (!job) throw new HttpProblem(404, 'TA_JOB_NOT_FOUND', `No generation job ${request.params.id}`);
    if (job.owner !== ownerOf(request.headers.authorization)) throw new HttpProblem(403, 'TA_JOB_FORBIDDEN', 'This job belongs to another API token');
    return job;
  };

  /** A job folder holding `sources` under `src/`, and the job's spec; nothing is written when a file is refused. */
  const inlineJob = (sources: readonly SourceFile[], targetName: string | undefined, limits?: { files: number; bytes: number }): JobSpec => {
    if (!targetName) throw new HttpProblem(400, 'TA_BAD_GENERATION_REQUEST', '"target" names the module or folder among the sources to test ("." for all of them)');
    const target = targetName === '.' ? '' : safeRelativePath(targetName);
    const dir = mkdtempSync(path.join(jobsRoot, 'job-'));
    const spec = { cwd: dir, target: path.join(dir, 'src', target), outDir: path.join(dir, 'out'), dir, configFile: jobConfig };
    try {
      writeSources(path.join(dir, 'src'), sources, limits);
      if (!existsSync(spec.target)) throw new InvalidInputError('TA_PATH_NOT_FOUND', `target ${targetName} is none of the files sent, nor a folder of them`);
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
        if (request.isMultipart() && length > config.archiveMaxBytes + multipartSlack) throw archiveTooLarge(config.archiveMaxBytes);
      },
      schema: {
        summary: 'Queue a generation job',
        description: 'Sources inline (JSON: files and target), as a server-side path (JSON: path and outDir), or as a .tar.gz/.zip upload (multipart/form-data: archive, target and the options as fields).',
        body: { content: { 'application/json': { schema: JSON_BODY_SCHEMA }, 'multipart/form-data': { schema: ARCHIVE_BODY_SCHEMA } } },
        response: { 202: JOB_ACCEPTED_SCHEMA },
      },
    },
    async (request, reply) => {
      // Only the two bodies above are validated: any other type (text/plain parses to a string) is refused.
      if (typeof request.body !== 'object' || request.body === null) {
        throw new HttpProblem(415, 'TA_UNSUPPORTED_MEDIA_TYPE', 'Send the job as application/json or as multipart/form-data (an archive upload)');
      }
      const upload = Buffer.isBuffer((request.body as Partial<ArchiveBody>).archive) ? (request.body as ArchiveBody) : undefined;
      const body = (upload ? {} : request.body) as GenerationBody;
      const given: GenerationOptions = upload ? Object.fromEntries(OPTION_KEYS.filter((k) => upload[k] !== undefined).map((k) => [k, upload[k]])) : (body.options ?? {});
      const options = { ...given, jobs: 1 };
      if (options.timeBudgetSeconds !== undefined && options.timeBudgetSeconds > config.maxTimeBudgetSeconds) {
        throw new HttpProblem(400, 'TA_BUDGET_TOO_LARGE', `timeBudgetSeconds ${options.timeBudgetSeconds} is over this server's limit of ${config.maxTimeBudgetSeconds} s per module`);
      }
      // Every job runs from a private folder of its own, with the server's configuration file (never one the
      // sources bring: a test-agent.config.json among them could turn the sandbox off or redirect the LLM key).
      let spec: JobSpec;
      if (upload) {
        // Every entry is checked, in memory, before the first file is written.
        const entries = await readArchive(upload.archive, { entries: config.archiveMaxEntries, unpackedBytes: config.archiveMaxUnpackedBytes });
        spec = inlineJob(entries, upload.target, { files: config.archiveMaxEntries, bytes: config.archiveMaxUnpackedBytes });
      } else if (body.files && body.path === undefined && body.outDir === undefined) {
        spec = inlineJob(body.files, body.target);
      } else if (body.path && body.outDir && !body.files && body.target === undefined) {
        const target = insideServerRoots(body.path, config.serverRoots, 'path');
        if (!existsSync(target)) throw new InvalidInputError('TA_PATH_NOT_FOUND', `No such file or directory: ${body.path}`);
        const outDir = insideServerRoots(body.outDir, config.serverRoots, 'outDir');
        if (config.serverRoots.some((root) => path.resolve(root) === outDir)) throw new HttpProblem(400, 'TA_BAD_OUTPUT_FOLDER', 'outDir must be a folder inside a server root, not the root itself');
        const dir = mkdtempSync(path.join(jobsRoot, 'job-'));
        spec = { cwd: dir, target, outDir, dir, configFile: jobConfig };
      } else {
        throw new HttpProblem(400, 'TA_BAD_GENERATION_REQUEST', 'Send either "files" and "target" (inline sources) or "path" and "outDir" (server-side paths)');
      }
      try {
        const job = queue.submit(ownerOf(request.headers.authorization), async (signal, progress) => {
          // The job's process appends each metric it records here (LLM calls and errors, token accuracy, chunking,
          // generation times); they are added to this server's metrics however the job ends.
          const events = path.join(spec.dir, 'job-metrics.jsonl');
          try {
            const report = await runGeneration({ ...spec, options }, { ...jobEnv, TEST_AGENT_METRICS_EVENTS: events }, signal, progress).finally(() => replayJobMetrics(events));
            return recordJob(metrics, report);
          } catch (e) {
            // Only a completed job's tests can be downloaded: a failed or cancelled one's files go at once.
            rmSync(spec.dir, { recursive: true, force: true });
            throw e;
          }
        });
        files.set(job.id, { dir: spec.dir, outDir: spec.outDir });
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

  app.get<{ Params: { id: string } }>('/v1/generations/:id', async (request) => view(ownJob(request)));

  app.get<{ Params: { id: string } }>('/v1/generations/:id/tests', async (request, reply: FastifyReply) => {
    const job = ownJob(request);
    if (job.state !== 'completed') throw new HttpProblem(409, 'TA_JOB_NOT_COMPLETED', `The job is ${job.state}: its tests are there once it is completed`);
    const where = files.get(job.id);
    if (!where) throw new HttpProblem(410, 'TA_JOB_EXPIRED', 'The tests of this job are no longer kept');
    // Only the files the job wrote (a server-side outDir may hold other things).
    return reply.type('application/gzip').header('Content-Disposition', `attachment; filename="tests-${job.id}.tar.gz"`).send(testsArchive(where.outDir, job.result?.files ?? []));
  });

  app.delete<{ Params: { id: string } }>('/v1/generations/:id', async (request) => {
    const job = ownJob(request);
    if (!queue.cancel(job.id)) throw new HttpProblem(409, 'TA_JOB_FINISHED', `The job is already ${job.state}`);
    return view(job);
  });
}
