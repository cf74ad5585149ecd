import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Container } from 'inversify';
import { TOKENS } from '@test-agent/composition';
import { InvalidInputError } from '@test-agent/domain';
import type { ArchiveLimits } from '../jobs/archive-sources';
import { safeRelativePath, writeSources, type InlineFile } from '../jobs/job-files';
import { HttpProblem, insideServerRoots } from '../security';

/** What to chunk or count: a server-side `path`, inline `files` (with an optional `target` among them), or one module's `content`. */
export interface SourcesBody {
  path?: string;
  files?: InlineFile[];
  target?: string;
  content?: string;
  model?: string;
}

export interface ChunkBody extends SourcesBody {
  strategy?: 'auto' | 'function' | 'class' | 'statement';
  maxTokens?: number;
}

/** One chunk preview, token count or archive, as a route hands it to a source thread (plain data: it is cloned). */
export type SourcesTask =
  | { readonly kind: 'chunks'; readonly body: ChunkBody }
  | { readonly kind: 'tokens'; readonly body: SourcesBody }
  /** An uploaded archive, unpacked and checked in memory (`readArchive`). */
  | { readonly kind: 'archive'; readonly data: Uint8Array; readonly limits: ArchiveLimits };

/** The preview tasks (the ones answered as JSON). */
export type PreviewTask = Exclude<SourcesTask, { kind: 'archive' }>;

/** The file name a lone `content` is chunked and counted as. */
export const CONTENT_FILE = 'module.py';

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
 * Answers one chunk preview or token count with the container's use cases: the answer as the route sends it
 * (file names as the client sent them, the budget as JSON). Runs on a source thread, or on the event loop when the
 * server has none.
 */
export async function answerSources(container: Container, task: PreviewTask, scratch: string): Promise<object> {
  const config = container.get(TOKENS.Config);
  const sources = materialize(task.body, config.serverRoots, scratch);
  const relativeFiles = <T extends { file: string }>(items: readonly T[]) =>
    items.map((item) => ({ ...item, file: sources.relative(item.file) }));
  try {
    if (task.kind === 'chunks') {
      const { path: _p, files: _f, target: _t, content: _c, ...options } = task.body;
      const result = await container.get(TOKENS.ChunkModule).execute({ ...options, path: sources.path });
      return {
        ...result,
        path: sources.relative(result.path),
        budget: result.budget.toJSON(),
        files: relativeFiles(result.files),
        chunks: relativeFiles(result.chunks),
        skipped: relativeFiles(result.skipped),
      };
    }
    const result = await container.get(TOKENS.CountTokens).execute({ path: sources.path, model: task.body.model });
    return {
      ...result,
      path: sources.relative(result.path),
      budget: result.budget.toJSON(),
      files: relativeFiles(result.files),
      skipped: relativeFiles(result.skipped),
    };
  } finally {
    sources.cleanup();
  }
}
