import { existsSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import {
  InvalidInputError,
  type ListPythonFilesOptions,
  type PythonSourceReader,
  type ResolvedSourcePath,
} from '@test-agent/domain';
import { DEFAULT_MAX_SOURCE_BYTES, readPythonSource } from './python-source';

/** Folders never searched for the user's modules: environments, caches, VCS metadata, build output of tools. */
const SKIPPED_DIRS = new Set([
  '.git',
  '.hg',
  '.svn',
  '__pycache__',
  'site-packages',
  'dist-packages',
  'node_modules',
  '.venv',
  'venv',
  '.tox',
  '.nox',
  '.mypy_cache',
  '.pytest_cache',
  '.ruff_cache',
  '.eggs',
  '.test-agent',
]);

/**
 * `PythonSourceReader` on the local file system. Files are read by `readPythonSource` (missing, binary,
 * non-UTF-8 and oversized files rejected with `InvalidInputError`). Listing honours every `.gitignore` in the
 * tree, extra exclude patterns, and skips virtual environments (any folder holding `pyvenv.cfg`).
 */
export class FileSystemPythonSourceReader implements PythonSourceReader {
  /** `maxBytes`: the largest module read (`TA_FILE_TOO_LARGE` past it); `generate` refuses the same modules up front. */
  constructor(readonly maxBytes = DEFAULT_MAX_SOURCE_BYTES) {}

  async resolve(p: string): Promise<ResolvedSourcePath> {
    if (!p || !existsSync(p))
      throw new InvalidInputError('TA_PATH_NOT_FOUND', `No such file or directory: ${p || '(empty path)'}`);
    const resolved = realpathSync(p);
    const stat = statSync(resolved);
    if (stat.isDirectory()) return { path: resolved, kind: 'directory' };
    if (stat.isFile()) return { path: resolved, kind: 'file' };
    throw new InvalidInputError('TA_NOT_A_FILE', `Not a file or directory: ${p}`);
  }

  async read(file: string): Promise<string> {
    return readPythonSource(file, this.maxBytes);
  }

  async listPythonFiles(directory: string, options: ListPythonFilesOptions = {}): Promise<string[]> {
    const root = path.resolve(directory);
    const found: string[] = [];
    const extra = ignore().add([...(options.exclude ?? [])]);
    const walk = (dir: string, rules: { base: string; ig: Ignore }[]): void => {
      const gitignore = path.join(dir, '.gitignore');
      const scoped = existsSync(gitignore)
        ? [...rules, { base: dir, ig: ignore().add(readFileSync(gitignore, 'utf8')) }]
        : rules;
      const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
        a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
      );
      for (const entry of entries) {
        const full = path.join(dir, entry.name);
        const isDir = entry.isDirectory();
        if (isDir && (SKIPPED_DIRS.has(entry.name) || existsSync(path.join(full, 'pyvenv.cfg')))) continue;
        if (!isDir && !(entry.isFile() && entry.name.endsWith('.py'))) continue;
        const rel = (base: string): string => path.relative(base, full).split(path.sep).join('/') + (isDir ? '/' : '');
        if (extra.ignores(rel(root)) || scoped.some((r) => r.ig.ignores(rel(r.base)))) continue;
        if (isDir) walk(full, scoped);
        else found.push(full);
      }
    };
    walk(root, []);
    return found;
  }
}
