import { existsSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
  const bad =
    name.length === 0 ||
    name.length > 1024 ||
    name.startsWith('/') ||
    /[\\\0]/.test(name) ||
    parts.some((p) => p === '' || p === '.' || p === '..' || Buffer.byteLength(p) > 255);
  if (bad)
    throw new HttpProblem(
      400,
      'TA_BAD_SOURCE_PATH',
      `Source path ${JSON.stringify(name.slice(0, 200))} must be relative, with no "..", "." or empty segment`,
    );
  return parts.join('/');
}

/** A file to write: a relative path and its text or bytes (an archive's entries are bytes). */
export interface SourceFile {
  readonly path: string;
  readonly content: string | Buffer;
}

/**
 * Checks every entry and the totals (`limits`: inline sources by default; an archive's come from the settings),
 * then writes the files under `dir`; nothing is written when one is refused.
 */
export function writeSources(
  dir: string,
  files: readonly SourceFile[],
  limits: { readonly files: number; readonly bytes: number } = SOURCE_LIMITS,
): void {
  if (files.length === 0) throw new HttpProblem(400, 'TA_NO_SOURCES', 'No source files were sent');
  if (files.length > limits.files)
    throw new HttpProblem(400, 'TA_TOO_MANY_FILES', `${files.length} files, over the limit of ${limits.files}`);
  const bytes = files.reduce(
    (n, f) => n + (typeof f.content === 'string' ? Buffer.byteLength(f.content, 'utf8') : f.content.length),
    0,
  );
  if (bytes > limits.bytes)
    throw new HttpProblem(400, 'TA_SOURCES_TOO_LARGE', `${bytes} bytes of sources, over the limit of ${limits.bytes}`);
  const names = files.map((f) => safeRelativePath(f.path));
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw new HttpProblem(400, 'TA_DUPLICATE_SOURCE', `${name} is given twice`);
    seen.add(name);
  }
  // A name that is also another's folder (`a` and `a/b.py`) cannot be written: bad input, not a server failure.
  const folders = new Set(
    names.flatMap((n) =>
      n
        .split('/')
        .slice(0, -1)
        .map((_, i, parts) => parts.slice(0, i + 1).join('/')),
    ),
  );
  const clash = names.find((n) => folders.has(n));
  if (clash) throw new HttpProblem(400, 'TA_BAD_SOURCE_PATH', `${clash} is both a file and a folder of other files`);
  files.forEach((file, i) => {
    const target = path.join(dir, names[i]);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, file.content, { flag: 'wx' });
  });
}

/**
 * The files a job wrote (`written`, absolute: its tests, conftest and reports) that lie under `dir`, as a gzipped
 * tar named relative to `dir` — nothing else a server-side output folder may hold.
 */
export function testsArchive(dir: string, written: readonly string[]): NodeJS.ReadableStream {
  const tar = pack();
  for (const file of [...written].sort()) {
    const name = path.relative(dir, file).split(path.sep).join('/');
    if (name.startsWith('..') || path.isAbsolute(name) || !existsSync(file) || !lstatSync(file).isFile()) continue;
    tar.entry({ name, mode: 0o644 }, readFileSync(file));
  }
  tar.finalize();
  return tar.pipe(createGzip());
}
