import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pack } from 'tar-stream';
import { createGzip } from 'node:zlib';
import { HttpProblem } from '../security';

/** Limits of the sources one job may send. */
export const SOURCE_LIMITS = { files: 2_000, bytes: 16 * 1024 * 1024 } as const;

export interface InlineFile {
  readonly path: string;
  readonly content: string;
}

/**
 * The relative path of an entry, checked: `/`-separated, not absolute, no `.`/`..`/empty segment, no NUL or
 * backslash, each segment a plain name. A 400 `HttpProblem` otherwise (zip-slip and friends), before anything is written.
 */
export function safeRelativePath(name: string): string {
  const parts = name.split('/');
  const bad = name.length === 0 || name.length > 1024 || name.startsWith('/') || /[\\\0]/.test(name) || parts.some((p) => p === '' || p === '.' || p === '..');
  if (bad) throw new HttpProblem(400, 'TA_BAD_SOURCE_PATH', `Source path ${JSON.stringify(name.slice(0, 200))} must be relative, with no "..", "." or empty segment`);
  return parts.join('/');
}

/** Checks every entry and the totals, then writes the files under `dir`; nothing is written when one is refused. */
export function writeSources(dir: string, files: readonly InlineFile[]): void {
  if (files.length === 0) throw new HttpProblem(400, 'TA_NO_SOURCES', 'files is empty');
  if (files.length > SOURCE_LIMITS.files) throw new HttpProblem(400, 'TA_TOO_MANY_FILES', `${files.length} files, over the limit of ${SOURCE_LIMITS.files}`);
  const bytes = files.reduce((n, f) => n + Buffer.byteLength(f.content, 'utf8'), 0);
  if (bytes > SOURCE_LIMITS.bytes) throw new HttpProblem(400, 'TA_SOURCES_TOO_LARGE', `${bytes} bytes of sources, over the limit of ${SOURCE_LIMITS.bytes}`);
  const names = files.map((f) => safeRelativePath(f.path));
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw new HttpProblem(400, 'TA_DUPLICATE_SOURCE', `${name} is given twice`);
    seen.add(name);
  }
  files.forEach((file, i) => {
    const target = path.join(dir, names[i]);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, file.content, { flag: 'wx' });
  });
}

/** Every regular file under `dir`, relative, sorted. */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(path.join(dir, prefix), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(dir, `${prefix}${e.name}/`) : e.isFile() ? [`${prefix}${e.name}`] : []))
    .sort();
}

/** The files under `dir` (the job's tests and reports; checkpoints and caches left out) as a gzipped tar. */
export function testsArchive(dir: string): NodeJS.ReadableStream {
  const tar = pack();
  for (const name of filesUnder(dir).filter((f) => !f.split('/').some((p) => p.startsWith('.') || p === '__pycache__'))) {
    tar.entry({ name, mode: 0o644 }, readFileSync(path.join(dir, name)));
  }
  tar.finalize();
  return tar.pipe(createGzip());
}
