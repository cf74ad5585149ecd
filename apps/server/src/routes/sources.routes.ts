import type { FastifyInstance } from 'fastify';
import { SOURCE_LIMITS } from '../jobs/job-files';
import { CONTENT_FILE, type ChunkBody, type SourcesBody } from '../sources/source-requests';
import type { SourceWork } from '../sources/source-work';
import { INLINE_FILE_SCHEMA } from './generation-schemas';

/** The answers are JSON text already (serialised where they were computed). */
const JSON_TYPE = 'application/json; charset=utf-8';

const SOURCE_PROPERTIES = {
  path: { type: 'string', minLength: 1, description: 'A server-side module or folder (inside serverRoots)' },
  files: {
    type: 'array',
    minItems: 1,
    maxItems: SOURCE_LIMITS.files,
    items: INLINE_FILE_SCHEMA,
    description: 'Inline sources; paths relative, answered relative',
  },
  target: { type: 'string', minLength: 1, description: 'With files: the module or folder among them (default: all)' },
  content: { type: 'string', description: `One module's source (answered as ${CONTENT_FILE})` },
  model: { type: 'string', minLength: 1, description: 'Model whose tokenizer applies (default: the configured model)' },
} as const;

/**
 * `POST /v1/chunks` and `POST /v1/tokens`: the chunks, or the token counts, of sources sent inline (`files`, or
 * one module's `content`) or named on the server (`path`, inside `serverRoots`; 403 otherwise). Answered directly,
 * computed by `work` (on source threads when the server has them).
 */
export function registerSourceRoutes(app: FastifyInstance, work: SourceWork): void {
  app.post<{ Body: ChunkBody }>(
    '/v1/chunks',
    {
      schema: {
        summary: 'Chunk Python sources for a model',
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...SOURCE_PROPERTIES,
            strategy: { type: 'string', enum: ['auto', 'function', 'class', 'statement'] },
            maxTokens: { type: 'integer', minimum: 1 },
          },
        },
      },
    },
    async (request, reply) => reply.type(JSON_TYPE).send(await work.answer({ kind: 'chunks', body: request.body })),
  );

  app.post<{ Body: SourcesBody }>(
    '/v1/tokens',
    {
      schema: {
        summary: "Count the tokens of Python sources for a model's tokenizer",
        body: { type: 'object', additionalProperties: false, properties: SOURCE_PROPERTIES },
      },
    },
    async (request, reply) => reply.type(JSON_TYPE).send(await work.answer({ kind: 'tokens', body: request.body })),
  );
}
