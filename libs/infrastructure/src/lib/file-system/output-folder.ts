import { accessSync, constants, existsSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { InvalidInputError, type ModuleTarget } from '@test-agent/domain';

/** Kernel file systems: no generated file belongs there (and `mkdir -p` under `/proc` never returns). */
const KERNEL_ROOTS = ['/proc', '/sys', '/dev'];

/** Is `p` the folder `dir` or inside it? Both absolute and normalised. */
const within = (dir: string, p: string): boolean =>
  p === dir || p.startsWith(dir.endsWith(path.sep) ? dir : `${dir}${path.sep}`);

/**
 * Refuses, before anything is written, a folder that cannot take the generated tests: an existing file, a path
 * under a file, a path under `/proc`, `/sys` or `/dev`, a folder whose nearest existing ancestor is not writable,
 * and — when `inputPath` is a folder — that folder itself or a path inside one of its packages (a folder with
 * `__init__.py` holding a module under test). A `tests/` folder inside a project root is fine.
 */
export function checkOutputFolder(outDir: string, inputPath: string, targets: readonly ModuleTarget[]): void {
  const out = path.resolve(outDir);
  let ancestor = out;
  while (!existsSync(ancestor) && path.dirname(ancestor) !== ancestor) ancestor = path.dirname(ancestor);
  // Symbolic links resolved, so that a link into /proc or into the package is seen for what it is.
  const real = path.join(realpathSync(ancestor), path.relative(ancestor, out));
  const kernel = KERNEL_ROOTS.find((root) => within(root, out) || within(root, real));
  if (kernel)
    throw new InvalidInputError(
      'TA_OUTPUT_UNUSABLE',
      `The output folder ${outDir} is under ${kernel}, a kernel file system: choose a folder on disk`,
    );
  if (!statSync(ancestor).isDirectory()) {
    throw new InvalidInputError(
      'TA_OUTPUT_NOT_A_FOLDER',
      ancestor === out
        ? `The output folder ${outDir} is an existing file, not a folder`
        : `The output folder ${outDir} lies under ${ancestor}, which is a file`,
    );
  }
  try {
    accessSync(ancestor, constants.W_OK | constants.X_OK);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? String(e);
    throw new InvalidInputError(
      'TA_OUTPUT_NOT_WRITABLE',
      `The output folder ${outDir} cannot be written: ${ancestor} is not writable (${why})`,
    );
  }
  checkOutsidePackage(outDir, real, inputPath, targets);
}

/** `real` (the output folder, symbolic links resolved) must not be the folder under test nor inside one of its packages. */
function checkOutsidePackage(outDir: string, real: string, inputPath: string, targets: readonly ModuleTarget[]): void {
  if (!existsSync(inputPath) || !statSync(inputPath).isDirectory()) return;
  const root = realpathSync(inputPath);
  if (real === root) {
    throw new InvalidInputError(
      'TA_OUTPUT_INSIDE_SOURCES',
      `The output folder ${outDir} is the folder under test: the tests would mix with its modules; choose another folder (e.g. tests/ beside it)`,
    );
  }
  if (!within(root, real)) return;
  for (let dir = real; within(root, dir); dir = path.dirname(dir)) {
    const holdsTargets = targets.some((t) => within(dir, path.dirname(t.file)));
    if (holdsTargets && existsSync(path.join(dir, '__init__.py'))) {
      throw new InvalidInputError(
        'TA_OUTPUT_INSIDE_SOURCES',
        `The output folder ${outDir} lies inside ${dir}, a package under test: choose a folder outside it (e.g. tests/ beside it)`,
      );
    }
    if (dir === root) break;
  }
}
