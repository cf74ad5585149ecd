import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Container } from 'inversify';
import { TOKENS } from '@test-agent/composition';
import { InvalidInputError } from '@test-agent/domain';
import { SOURCE_LIMITS, safeRelativePath, writeSources, type InlineFile } from '../jobs/job-files';
import { HttpProblem, insideServerRoots } from '../security';

/** What to chunk or count: a server-side `path`, inline `files` (with an optional `target` among them), or one module's `content`. */
interface SourcesBody {
  path?: string;
  files?: InlineFile[];
  target?: string;
  content?: string;
  model?: string;
}

interface ChunkBody extends SourcesBody {
  strategy?: 'auto' | 'function' | 'class' | 'statement';
  maxTokens?: number;
}

/** The file name a lone `content` is chunked and counted as. */
const CONTENT_FILE = 'module.py';

const SOURCE_PROPERTIES = {
  path: { type: 'string', minLength: 1, description: 'A server-side module or folder (inside serverRoots)' },
  files: {
    type: 'array',
    minItems: 1,
    maxItems: SOURCE_LIMITS.files,
    items: {
      type: 'object',
      required: ['path', 'content'],
      additionalProperties: false,
      properties: { path: { type: 'string', minLength: 1 }, content: { type: 'string' } },
    },
    description: 'Inline sources; paths relative, answered relative',
  },
  target: { type: 'string', minLength: 1, description: 'With files: the module or folder among them (default: all)' },
  content: { type: 'string', description: `One module's source (answered as ${CONTENT_FILE})` },
  model: { type: 'string', minLength: 1, description: 'Model whose tokenizer applies (default: the configured model)' },
} as const;

/**
 * The sources of a request on disk for the use cases: a server-side path (inside `serverRoots`) as it is, inline
 * sources in a private folder (checked before a byte is written, removed after). `relative` maps the use case's
 * absolute paths back to what the client sent.
 */
function materialize(
  body: SourcesBody,
  serverRoots: readonly string[],
  scratch: string,
): { path: string; relative: (file: string) => string; cleanup: () => void } {
  const given = [body.path, body.files, body.content].filter((v) => v !== undefined).length;
  if (given !== 1)
    throw new HttpProblem(
      400,
      'TA_BAD_SOURCES_REQUEST',
      'Send exactly one of "path" (server-side), "files" (inline sources) or "content" (one module)',
    );
  if (body.target !== undefined && body.files === undefined)
    throw new HttpProblem(400, 'TA_BAD_SOURCES_REQUEST', '"target" names a module or folder among "files"');
  if (body.path !== undefined)
    return {
      path: insideServerRoots(body.path, serverRoots, 'path'),
      relative: (file) => file,
      cleanup: () => undefined,
    };
  const files = body.files ?? [{ path: CONTENT_FILE, content: body.content ?? '' }];
  // A lone module is answered as that file (mode "file"); inline files as their folder unless a target is named.
  const target =
    body.content !== undefined
      ? CONTENT_FILE
      : body.target === undefined || body.target === '.'
        ? ''
        : safeRelativePath(body.target);
  const dir = mkdtempSync(path.join(scratch, 'sources-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    writeSources(dir, files);
  } catch (e) {
    cleanup();
    throw e;
  }
  const relative = (file: string) => {
    const name = path.relative(dir, file).split(path.sep).join('/');
    return name === '' ? '.' : name;
  };
  const where = path.join(dir, target);
  if (!existsSync(where)) {
    cleanup();
    throw new InvalidInputError(
      'TA_PATH_NOT_FOUND',
      `target ${body.target} is none of the files sent, nor a folder of them`,
    );
  }
  return { path: where, relative, cleanup };
}

/**
 * `POST /v1/chunks` and `POST /v1/tokens`: the chunks, or the token counts, of sources sent inline (`files`, or
 * one module's `content`) or named on the server (`path`, inside `serverRoots`; 403 otherwise). Answered directly.
 */
export function registerSourceRoutes(app: FastifyInstance, container: Container, tmpDir: string): void {
  const config = container.get(TOKENS.Config);
  const scratch = mkdtempSync(path.join(tmpDir, 'test-agent-sources-'));
  app.addHook('onClose', async () => rmSync(scratch, { recursive: true, force: true }));

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
    async (request) => {
      const { path: _p, files: _f, target: _t, content: _c, ...options } = request.body;
      const sources = materialize(request.body, config.serverRoots, scratch);
      try {
        const result = await container.get(TOKENS.ChunkModule).execute({ ...options, path: sources.path });
        return {
          ...result,
          path: sources.relative(result.path),
          budget: result.budget.toJSON(),
          files: result.files.map((f) => ({ ...f, file: sources.relative(f.file) })),
          chunks: result.chunks.map((c) => ({ ...c, file: sources.relative(c.file) })),
          skipped: result.skipped.map((s) => ({ ...s, file: sources.relative(s.file) })),
        };
      } finally {
        sources.cleanup();
      }
    },
  );

  app.post<{ Body: SourcesBody }>(
    '/v1/tokens',
    {
      schema: {
        summary: "Count the tokens of Python sources for a model's tokenizer",
        body: { type: 'object', additionalProperties: false, properties: SOURCE_PROPERTIES },
      },
    },
    async (request) => {
      const sources = materialize(request.body, config.serverRoots, scratch);
      try {
        const result = await container
          .get(TOKENS.CountTokens)
          .execute({ path: sources.path, model: request.body.model });
        return {
          ...result,
          path: sources.relative(result.path),
          budget: result.budget.toJSON(),
          files: result.files.map((f) => ({ ...f, file: sources.relative(f.file) })),
          skipped: result.skipped.map((s) => ({ ...s, file: sources.relative(s.file) })),
        };
      } finally {
        sources.cleanup();
      }
    },
  );
}
