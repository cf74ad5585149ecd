import type { FastifyInstance } from 'fastify';
import type { Container } from 'inversify';
import type { GenerationStrategy } from '@test-agent/application';
import { TOKENS, generationDefaults } from '@test-agent/composition';
import { HttpProblem, insideServerRoots } from '../security';

interface GenerationBody {
  path: string;
  outDir: string;
  strategy?: GenerationStrategy;
  timeBudgetSeconds?: number;
  targetCoverage?: number;
  maxIterations?: number;
  maxTokens?: number;
  timeoutSeconds?: number;
  force?: boolean;
  resume?: boolean;
  seed?: number;
}

interface ChunkBody {
  path: string;
  strategy?: 'auto' | 'function' | 'class' | 'statement';
  maxTokens?: number;
  model?: string;
}

const positive = { type: 'number', exclusiveMinimum: 0 } as const;

/**
 * The same use cases as the CLI, over HTTP (paths are on the server's file system, inside `serverRoots` only):
 * `POST /v1/generations` runs `generate` and answers its report (200 when the coverage target is met, 422 with
 * the report when tests were written but the target was not reached); `POST /v1/chunks` answers the chunks.
 * Bodies are validated by fastify's JSON schemas; errors leave as problem+json from the app's error handler.
 */
export function registerGenerationRoutes(app: FastifyInstance, container: Container): void {
  app.post<{ Body: GenerationBody }>(
    '/v1/generations',
    {
      schema: {
        body: {
          type: 'object',
          required: ['path', 'outDir'],
          additionalProperties: false,
          properties: {
            path: { type: 'string', minLength: 1 },
            outDir: { type: 'string', minLength: 1 },
            strategy: { type: 'string', enum: ['offline', 'llm', 'hybrid'] },
            timeBudgetSeconds: positive,
            targetCoverage: { type: 'number', minimum: 0, maximum: 100 },
            maxIterations: { type: 'integer', minimum: 1 },
            maxTokens: { type: 'integer', minimum: 1 },
            timeoutSeconds: positive,
            force: { type: 'boolean' },
            resume: { type: 'boolean' },
            seed: { type: 'integer', minimum: 1 },
          },
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const config = container.get(TOKENS.Config);
      if (body.timeBudgetSeconds !== undefined && body.timeBudgetSeconds > config.maxTimeBudgetSeconds) {
        throw new HttpProblem(400, 'TA_BUDGET_TOO_LARGE', `timeBudgetSeconds ${body.timeBudgetSeconds} is over this server's limit of ${config.maxTimeBudgetSeconds} s per module`);
      }
      const report = await container.get(TOKENS.GenerateTests).execute({
        ...generationDefaults(config),
        ...body,
        path: insideServerRoots(body.path, config.serverRoots, 'path'),
        outDir: insideServerRoots(body.outDir, config.serverRoots, 'outDir'),
      });
      return reply.status(report.targetMet ? 200 : 422).send(report);
    },
  );

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
      const roots = container.get(TOKENS.Config).serverRoots;
      const result = await container.get(TOKENS.ChunkModule).execute({ ...request.body, path: insideServerRoots(request.body.path, roots, 'path') });
      return { ...result, budget: result.budget.toJSON() };
    },
  );
}
