import { existsSync, statSync } from 'node:fs';
import { mkdir, open, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidInputError, type ModuleTarget, type TestWorkspace } from '@test-agent/domain';
import { FileSystemPythonSourceReader } from './file-system-python-source-reader.adapter';
import { checkOutputFolder } from './output-folder';
import { checkPythonSourceFile, resolveModuleTarget } from './python-source';

/** Is `name` a test file or pytest/packaging plumbing rather than a module under test? */
function isTestFile(name: string): boolean {
  return name === 'conftest.py' || name === 'setup.py' || /^test_.*\.py$/.test(name) || /_test\.py$/.test(name);
}

/**
 * `TestWorkspace` on the local file system. A folder's modules are listed by the same walker as `chunk`'s
 * (`FileSystemPythonSourceReader.listPythonFiles`: every `.gitignore` honoured; virtual environments, caches and
 * VCS folders skipped), minus test files (`test_*.py`, `*_test.py`, `conftest.py`), `setup.py` and empty
 * `__init__.py` files. Folders are not skipped for their name: `build/`, `env/` or `tests/` holding modules
 * are searched like any other folder.
 */
export class FileSystemTestWorkspace implements TestWorkspace {
  constructor(private readonly sources: FileSystemPythonSourceReader = new FileSystemPythonSourceReader()) {}

  async resolveTargets(inputPath: string): Promise<ModuleTarget[]> {
    if (!existsSync(inputPath))
      throw new InvalidInputError('TA_PATH_NOT_FOUND', `No such file or directory: ${inputPath}`);
    if (statSync(inputPath).isFile()) return [resolveModuleTarget(inputPath)];
    const files = (await this.sources.listPythonFiles(inputPath)).filter((file) => {
      const name = path.basename(file);
      // An empty `__init__.py` has nothing to test.
      return !isTestFile(name) && !(name === '__init__.py' && statSync(file).size === 0);
    });
    if (files.length === 0) throw new InvalidInputError('TA_NO_MODULES', `No Python module to test under ${inputPath}`);
    return files.map((f) => resolveModuleTarget(f));
  }

  async checkOutputFolder(outDir: string, inputPath: string, targets: readonly ModuleTarget[]): Promise<void> {
    checkOutputFolder(outDir, inputPath, targets);
  }

  /** The same limit as `chunk`'s reader (`FileSystemPythonSourceReader.maxBytes`). */
  async checkModule(target: ModuleTarget): Promise<void> {
    checkPythonSourceFile(target.file, this.sources.maxBytes);
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

  async testFilesUnder(dir: string): Promise<string[]> {
    const found: string[] = [];
    const walk = async (folder: string, prefix: string): Promise<void> => {
      for (const entry of await readdir(folder, { withFileTypes: true })) {
        if (entry.name.startsWith('.') || entry.name === '__pycache__' || entry.name === 'node_modules') continue;
        const child = path.join(folder, entry.name);
        if (entry.isDirectory() && !existsSync(path.join(child, 'pyvenv.cfg')))
          await walk(child, `${prefix}${entry.name}/`);
        else if (entry.isFile() && /^test_.*\.py$/.test(entry.name)) found.push(`${prefix}${entry.name}`);
      }
    };
    if (existsSync(dir) && statSync(dir).isDirectory()) await walk(dir, '');
    return found.sort();
  }
}
