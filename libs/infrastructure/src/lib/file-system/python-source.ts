import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { InvalidInputError, type ModuleTarget } from '@test-agent/domain';

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
 * Locates a module the way its users import it: walks up while the folder is a package (has `__init__.py`).
 * `shop/cart.py` in package `shop` → import root = parent of `shop`, module name `shop.cart`.
 */
export function resolveModuleTarget(file: string): ModuleTarget {
  if (!existsSync(file)) throw new InvalidInputError('TA_PATH_NOT_FOUND', `No such file or directory: ${file}`);
  const resolved = realpathSync(file);
  if (!resolved.endsWith('.py')) throw new InvalidInputError('TA_NOT_PYTHON', `Not a Python file (.py): ${file}`);
  const base = path.basename(resolved, '.py');
  const parts = base === '__init__' ? [] : [base];
  let dir = path.dirname(resolved);
  while (existsSync(path.join(dir, '__init__.py'))) {
    parts.unshift(path.basename(dir));
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  if (parts.length === 0) throw new InvalidInputError('TA_NOT_PYTHON', `Cannot derive a module name for ${file}`);
  const invalid = parts.find((p) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(p));
  if (invalid) {
    throw new InvalidInputError('TA_BAD_MODULE_NAME', `"${invalid}" in ${file} is not a valid Python module name, so tests cannot import it`);
  }
  return { file: resolved, importRoot: dir, moduleName: parts.join('.') };
}
