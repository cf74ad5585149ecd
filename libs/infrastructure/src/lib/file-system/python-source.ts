import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { InvalidInputError, type ModuleTarget } from '@test-agent/domain';
import { projectRootAbove } from '../python/project-python';

/** Default largest Python file Test Agent reads, in bytes (10 MiB; the largest stdlib module is under 1 MiB). */
export const DEFAULT_MAX_SOURCE_BYTES = 10 * 1024 * 1024;

/**
 * Reads a Python source file as UTF-8 text, rejecting with a clear `InvalidInputError` what cannot be a
 * module: a missing path, a folder, a file over `maxBytes`, a binary file (NUL bytes) or invalid UTF-8.
 * An empty file is returned as '' — callers decide whether that is an error.
 */
export function readPythonSource(file: string, maxBytes = DEFAULT_MAX_SOURCE_BYTES): string {
  if (!existsSync(file)) throw new InvalidInputError('TA_PATH_NOT_FOUND', `No such file or directory: ${file}`);
  const stat = statSync(file);
  if (!stat.isFile()) throw new InvalidInputError('TA_NOT_A_FILE', `Not a file: ${file}`);
  const bytes = checkedBytes(file, stat.size, maxBytes);
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch (cause) {
    throw new InvalidInputError('TA_NOT_UTF8', `${file} is not valid UTF-8 text`, { cause });
  }
}

/**
 * Refuses, without decoding it, a file that cannot be a Python module: over `maxBytes` (`TA_FILE_TOO_LARGE`) or
 * binary (NUL bytes, `TA_BINARY_FILE`) — the same limits and messages as `readPythonSource`. Text in another
 * encoding passes: Python honours a `# -*- coding: ... -*-` declaration.
 */
export function checkPythonSourceFile(file: string, maxBytes = DEFAULT_MAX_SOURCE_BYTES): void {
  checkedBytes(file, statSync(file).size, maxBytes);
}

/** The bytes of a file of `size` bytes, unless it is over `maxBytes` or binary. */
function checkedBytes(file: string, size: number, maxBytes: number): Buffer {
  if (size > maxBytes) {
    throw new InvalidInputError(
      'TA_FILE_TOO_LARGE',
      `${file} is ${(size / 1048576).toFixed(1)} MiB, over the ${(maxBytes / 1048576).toFixed(1)} MiB limit for one Python module`,
    );
  }
  const bytes = readFileSync(file);
  if (bytes.includes(0)) throw new InvalidInputError('TA_BINARY_FILE', `${file} is a binary file, not Python source`);
  return bytes;
}

/**
 * Locates a module the way its users import it. First walks up while the folder is a regular package (has
 * `__init__.py`): `shop/cart.py` in package `shop` → import root = parent of `shop`, module name `shop.cart`.
 * Then, inside a project (the nearest folder above with `pyproject.toml`, `setup.cfg`, `setup.py` or `.git`),
 * PEP 420 namespace packages (folders without `__init__.py`) lead to the module too:
 * - src layout: a file under `<project>/src/` is imported from `<project>/src`, every folder between being a
 *   package: `src/acme/util/strings.py` → `acme.util.strings`;
 * - flat layout, when the project root has `pyproject.toml`, `setup.cfg` or `setup.py`: a module in a regular
 *   package under `__init__`-less folders is imported from the project root: `acme/util/strings.py` with
 *   `acme/util/__init__.py` → `acme.util.strings`. A folder of scripts (no `__init__.py`) stays its own import root.
 * When a folder on the way is not a valid identifier, the `__init__.py` walk's result stands.
 * @throws InvalidInputError `TA_PATH_NOT_FOUND`; `TA_NOT_PYTHON` (not a `.py` file, or no module name can be
 *   derived); `TA_BAD_MODULE_NAME` (a part of the module name is not a valid Python identifier).
 */
export function resolveModuleTarget(file: string): ModuleTarget {
  if (!existsSync(file)) throw new InvalidInputError('TA_PATH_NOT_FOUND', `No such file or directory: ${file}`);
  const resolved = realpathSync(file);
  if (!resolved.endsWith('.py')) throw new InvalidInputError('TA_NOT_PYTHON', `Not a Python file (.py): ${file}`);
  let dir = path.dirname(resolved);
  while (existsSync(path.join(dir, '__init__.py')) && path.dirname(dir) !== dir) dir = path.dirname(dir);

  const namespaceRoot = namespaceImportRoot(path.dirname(resolved), dir);
  if (namespaceRoot !== undefined) {
    const parts = moduleParts(namespaceRoot, resolved);
    if (parts.every(isIdentifier)) return { file: resolved, importRoot: namespaceRoot, moduleName: parts.join('.') };
  }
  const parts = moduleParts(dir, resolved);
  if (parts.length === 0) throw new InvalidInputError('TA_NOT_PYTHON', `Cannot derive a module name for ${file}`);
  const invalid = parts.find((p) => !isIdentifier(p));
  if (invalid) {
    throw new InvalidInputError(
      'TA_BAD_MODULE_NAME',
      `"${invalid}" in ${file} is not a valid Python module name, so tests cannot import it`,
    );
  }
  return { file: resolved, importRoot: dir, moduleName: parts.join('.') };
}

/** Files that make a folder a Python project one can package (`.git` alone does not). */
const PACKAGING_MARKERS = ['pyproject.toml', 'setup.cfg', 'setup.py'];

/**
 * The folder a module in `folder` is imported from when namespace packages lead to it (the src and flat layouts of
 * `resolveModuleTarget`), or undefined when the `__init__.py` walk, which stopped at `walkedTo`, stands.
 */
function namespaceImportRoot(folder: string, walkedTo: string): string | undefined {
  const project = projectRootAbove(folder);
  if (project === undefined) return undefined;
  const src = path.join(project, 'src');
  // At or below src/: a `src/__init__.py` (code imported as `src.x`) walks above it and keeps the regular rule.
  if (isWithin(walkedTo, src)) return src;
  const inRegularPackage = walkedTo !== folder;
  const packaged = PACKAGING_MARKERS.some((m) => existsSync(path.join(project, m)));
  return packaged && inRegularPackage && walkedTo !== project && isWithin(walkedTo, project) ? project : undefined;
}

/** The dotted name parts of `file` imported from `root` (an `__init__.py` names its package). */
function moduleParts(root: string, file: string): string[] {
  const base = path.basename(file, '.py');
  const folders = path.relative(root, path.dirname(file)).split(path.sep).filter(Boolean);
  return base === '__init__' ? folders : [...folders, base];
}

/** Whether `dir` is `ancestor` or inside it. */
function isWithin(dir: string, ancestor: string): boolean {
  const relative = path.relative(ancestor, dir);
  return relative === '' || (relative.split(path.sep)[0] !== '..' && !path.isAbsolute(relative));
}

const isIdentifier = (name: string) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
