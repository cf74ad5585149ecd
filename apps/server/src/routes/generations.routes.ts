import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Container } from 'inversify';
import type { GenerateTestsReport } from '@test-agent/application';
import { DEFAULT_CONFIG_FILE, TOKENS } from '@test-agent/composition';
import { InvalidInputError, type Metrics } from '@test-agent/domain';
import { QueueFullError } from '../jobs/job-queue';
import type { GenerationOptions } from '../jobs/generation-runner';
import { createGenerationQueue } from '../jobs/create-generation-queue';
import type { GenerationJob } from '../jobs/generation-queue.port';
import { SOURCE_LIMITS, safeRelativePath, writeSources, type InlineFile } from '../jobs/job-files';
import { HttpProblem, insideServerRoots, ownerOf } from '../security';

interface GenerationBody {
  /** Inline sources and the module or folder among them to test ... */
  files?: InlineFile[];
  target?: string;
  /** ... or a module or folder on the server (inside `serverRoots`) and where its tests go. */
  path?: string;
  outDir?: string;
  options?: GenerationOptions;
}

interface ChunkBody {
  path: string;
  strategy?: 'auto' | 'function' | 'class' | 'statement';
  maxTokens?: number;
  model?: string;
}

const positive = { type: 'number', exclusiveMinimum: 0 } as const;
const OPTIONS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    strategy: { type: 'string', enum: ['offline', 'llm', 'hybrid'] },
    timeBudgetSeconds: positive,
    targetCoverage: { type: 'number', minimum: 0, maximum: 100 },
    maxIterations: { type: 'integer', minimum: 1, maximum: 10 },
    maxTokens: { type: 'integer', minimum: 1, maximum: 2_000_000 },
    timeoutSeconds: { type: 'number', exclusiveMinimum: 0, maximum: 3600 },
    seed: { type: 'integer', minimum: 1 },
  },
} as const;

/**
 * A job runs in its own process, so this server records what its report says: each tested module's generation
 * time (by strategy) and the run's coverage.
 */
function recordJob(metrics: Metrics, report: GenerateTestsReport): GenerateTestsReport {
  for (const m of report.modules) {
    if (!m.error) metrics.observe('test_agent_test_generation_duration_seconds', m.durationMs / 1000, { generator: report.strategy });
  }
  metrics.set('test_agent_coverage_percentage', report.coverage.percent.line, { kind: 'line' });
  metrics.set('test_agent_coverage_percentage', report.coverage.percent.branch, { kind: 'branch' });
  metrics.set('test_agent_coverage_percentage', report.coverage.percent.combined, { kind: 'combined' });
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
 * Generation jobs and chunk previews over HTTP. `POST /v1/generations` takes inline sources (`files`, `target`) or
 * a server-side `path` and `outDir` inside `serverRoots`, queues a job and answers 202 with its `Location`; the job
 * runs as its own process (`generate --json`). `GET /v1/generations/:id` gives its state, progress and report,
 * `GET .../tests` its test files as a `.tar.gz`, `DELETE` cancels it (its processes stop within seconds). Only the
 * token that submitted a job sees it. `POST /v1/chunks` answers the chunks of a server-side module.
 */
export function registerGenerationRoutes(app: FastifyInstance, container: Container): void {
  const config = container.get(TOKENS.Config);
  const metrics = container.get(TOKENS.Metrics);
  const jobsRoot = mkdtempSync(path.join(os.tmpdir(), 'test-agent-jobs-'));
  // The server's own secrets stay with it; the job gets the rest of its environment (LLM settings included).
  const { TEST_AGENT_API_TOKENS: _tokens, REDIS_URL: _redis, ...jobEnv } = process.env;
  // The server's own configuration file (where it read its settings), else an empty one.
  const serverConfig = path.resolve(process.cwd(), DEFAULT_CONFIG_FILE);
  const jobConfig = existsSync(serverConfig) ? serverConfig : path.join(jobsRoot, 'job-config.json');
  if (jobConfig !== serverConfig) writeFileSync(jobConfig, '{}\n');
  // In-process by default; BullMQ on Redis, shared by every replica, when REDIS_URL is set.
  const queue = createGenerationQueue(
    {
      concurrency: config.workerConcurrency,
      maxQueued: config.maxQueuedJobs,
      resultTtlMs: config.resultTtlSeconds * 1000,
      configFile: jobConfig,
      env: jobEnv,
      onReport: (report) => recordJob(metrics, report),
    },
    { redisUrl: config.redisUrl, jobStalledSeconds: config.jobStalledSeconds, jobsRoot, logger: container.get(TOKENS.Logger).child('queue') },
  );
  app.addHook('onReady', () => queue.start());
  app.addHook('onClose', async () => {
    await queue.close();
    rmSync(jobsRoot, { recursive: true, force: true });
  });

  const ownJob = async (request: FastifyRequest<{ Params: { id: string } }>) => {
    const job = await queue.get(request.params.id);
    if (!job) throw new HttpProblem(404, 'TA_JOB_NOT_FOUND', `No generation job ${request.params.id}`);
    if (job.owner !== ownerOf(request.headers.authorization)) throw new HttpProblem(403, 'TA_JOB_FORBIDDEN', 'This job belongs to another API token');
    return job;
  };

  app.post<{ Body: GenerationBody }>(
    '/v1/generations',
    {
      bodyLimit: SOURCE_LIMITS.bytes * 2,
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            files: {
              type: 'array',
              maxItems: SOURCE_LIMITS.files,
              items: { type: 'object', required: ['path', 'content'], additionalProperties: false, properties: { path: { type: 'string', minLength: 1 }, content: { type: 'string' } } },
            },
            target: { type: 'string', minLength: 1 },
            path: { type: 'string', minLength: 1 },
            outDir: { type: 'string', minLength: 1 },
            options: OPTIONS_SCHEMA,
          },
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const options = { ...body.options, jobs: 1 };
      if (options.timeBudgetSeconds !== undefined && options.timeBudgetSeconds > config.maxTimeBudgetSeconds) {
        throw new HttpProblem(400, 'TA_BUDGET_TOO_LARGE', `timeBudgetSeconds ${options.timeBudgetSeconds} is over this server's limit of ${config.maxTimeBudgetSeconds} s per module`);
      }
      // Every job runs from a private folder of its own, with the server's configuration file (never one the
      // sources bring: a test-agent.config.json among them could turn the sandbox off or redirect the LLM key).
      let spec: { target: string; outDir: string; dir: string; inline: boolean };
      if (body.files && body.path === undefined && body.outDir === undefined) {
        if (!body.target) throw new HttpProblem(400, 'TA_BAD_GENERATION_REQUEST', '"target" names the module or folder among "files" to test ("." for all of them)');
        const target = body.target === '.' ? '' : safeRelativePath(body.target);
        const dir = mkdtempSync(path.join(jobsRoot, 'job-'));
        spec = { target: path.join(dir, 'src', target), outDir: path.join(dir, 'out'), dir, inline: true };
        try {
          writeSources(path.join(dir, 'src'), body.files);
          if (!existsSync(spec.target)) throw new InvalidInputError('TA_PATH_NOT_FOUND', `target ${body.target} is none of the files sent, nor a folder of them`);
        } catch (e) {
          rmSync(dir, { recursive: true, force: true });
          throw e;
        }
        mkdirSync(spec.outDir);
      } else if (body.path && body.outDir && !body.files && body.target === undefined) {
        const target = insideServerRoots(body.path, config.serverRoots, 'path');
        if (!existsSync(target)) throw new InvalidInputError('TA_PATH_NOT_FOUND', `No such file or directory: ${body.path}`);
        const outDir = insideServerRoots(body.outDir, config.serverRoots, 'outDir');
        if (config.serverRoots.some((root) => path.resolve(root) === outDir)) throw new HttpProblem(400, 'TA_BAD_OUTPUT_FOLDER', 'outDir must be a folder inside a server root, not the root itself');
        const dir = mkdtempSync(path.join(jobsRoot, 'job-'));
        spec = { target, outDir, dir, inline: false };
      } else {
        throw new HttpProblem(400, 'TA_BAD_GENERATION_REQUEST', 'Send either "files" and "target" (inline sources) or "path" and "outDir" (server-side paths)');
      }
      try {
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

  app.get<{ Params: { id: string } }>('/v1/generations/:id', async (request) => view(await ownJob(request)));

  app.get<{ Params: { id: string } }>('/v1/generations/:id/tests', async (request, reply: FastifyReply) => {
    const job = await ownJob(request);
    if (job.state !== 'completed') throw new HttpProblem(409, 'TA_JOB_NOT_COMPLETED', `The job is ${job.state}: its tests are there once it is completed`);
    const archive = await queue.tests(job.id);
    if (!archive) throw new HttpProblem(410, 'TA_JOB_EXPIRED', 'The tests of this job are no longer kept');
    return reply.type('application/gzip').header('Content-Disposition', `attachment; filename="tests-${job.id}.tar.gz"`).send(archive);
  });

  app.delete<{ Params: { id: string } }>('/v1/generations/:id', async (request) => {
    const job = await ownJob(request);
    if (!(await queue.cancel(job.id))) throw new HttpProblem(409, 'TA_JOB_FINISHED', `The job is already ${job.state}`);
    return view((await queue.get(job.id)) ?? job);
  });

  app.post<{ Body: ChunkBody }>(
    '/v1/chunks',
    {
      schema: {
        body: {
          type: 'object',
          required: ['path'],
          additionalProperties: false,
          properties: {
            path: { type: 'string', minLength: 1 },
            strategy: { type: 'string', enum: ['auto', 'function', 'class', 'statement'] },
            maxTokens: { type: 'integer', minimum: 1 },
            model: { type: 'string', minLength: 1 },
          },
        },
      },
    },
    async (request) => {
      const result = await container.get(TOKENS.ChunkModule).execute({ ...request.body, path: insideServerRoots(request.body.path, config.serverRoots, 'path') });
      return { ...result, budget: result.budget.toJSON() };
    },
  );
}
