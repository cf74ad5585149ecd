import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, open, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidInputError, type ModuleTarget, type TestWorkspace } from '@test-agent/domain';
import { resolveModuleTarget } from './python-source';

const SKIPPED_DIRS = new Set(['node_modules', '__pycache__', 'venv', 'env', 'site-packages', 'build', 'dist', 'tests', 'test']);

/** Is `name` a test file or pytest plumbing rather than a module under test? */
function isTestFile(name: string): boolean {
  return name === 'conftest.py' || name === 'setup.py' || /^test_.*\.py$/.test(name) || /_test\.py$/.test(name);
}

/** `TestWorkspace` on the local file system. */
export class FileSystemTestWorkspace implements TestWorkspace {
  async resolveTargets(inputPath: string): Promise<ModuleTarget[]> {
    if (!existsSync(inputPath)) throw new InvalidInputError('TA_PATH_NOT_FOUND', `No such file or directory: ${inputPath}`);
    if (statSync(inputPath).isFile()) return [resolveModuleTarget(inputPath)];
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        if (entry.name.startsWith('.')) continue;
        const p = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          if (!SKIPPED_DIRS.has(entry.name) && !existsSync(path.join(p, 'pyvenv.cfg'))) walk(p);
        } else if (entry.isFile() && entry.name.endsWith('.py') && !isTestFile(entry.name)) {
          // An empty `__init__.py` has nothing to test.
          if (entry.name === '__init__.py' && statSync(p).size === 0) continue;
          files.push(p);
        }
      }
    };
    walk(inputPath);
    if (files.length === 0) throw new InvalidInputError('TA_NO_MODULES', `No Python module to test under ${inputPath}`);
    return files.map((f) => resolveModuleTarget(f));
  }

  pathIn(dir: string, name: string): string {
    return path.resolve(dir, name);
  }

  relative(from: string, to: string): string {
    return path.relative(path.resolve(from), path.resolve(to)).split(path.sep).join('/');
  }

  async exists(file: string): Promise<boolean> {
    return existsSync(file);
  }

  async head(file: string, bytes: number): Promise<string> {
    const handle = await open(file, 'r');
    try {
      const buffer = Buffer.alloc(bytes);
      const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
      return buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
  }

  async write(file: string, content: string): Promise<void> {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content, 'utf8');
  }
}
