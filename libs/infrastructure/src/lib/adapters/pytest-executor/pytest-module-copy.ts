import { mkdirSync, readdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidInputError, type ModuleTarget, type TestRunRequest } from '@test-agent/domain';

/**
 * Writes `source` as the module of `target` into a mirror of its import root at `folder` (a new folder inside a
 * run's private folder): each folder from the import root down to the module's is a real folder whose other
 * entries are symbolic links to the originals, so the module's siblings, packages and data files resolve as they
 * do for the original; `__pycache__` folders are left out, so no bytecode of the original stands in for the copy.
 * Nothing is written outside `folder` (removing it removes the links, never what they point to). Returns the
 * target as imported from the mirror.
 * @throws InvalidInputError when the module is not under its import root.
 */
export function placeModuleCopy(folder: string, target: ModuleTarget, source: string): ModuleTarget {
  const importRoot = realpathSync(target.importRoot);
  const relative = path.relative(importRoot, realpathSync(target.file));
  if (!relative || relative.startsWith('..') || path.isAbsolute(relative)) {
    throw new InvalidInputError(
      'TA_MODULE_OUTSIDE_IMPORT_ROOT',
      `${target.file} is not under its import root ${target.importRoot}`,
    );
  }
  const parts = relative.split(path.sep);
  let original = importRoot;
  let mirror = folder;
  mkdirSync(mirror, { recursive: true });
  parts.forEach((part, i) => {
    for (const entry of readdirSync(original)) {
      if (entry !== part && entry !== '__pycache__') symlinkSync(path.join(original, entry), path.join(mirror, entry));
    }
    if (i === parts.length - 1) {
      writeFileSync(path.join(mirror, part), source);
      return;
    }
    original = path.join(original, part);
    mirror = path.join(mirror, part);
    mkdirSync(mirror);
  });
  return { ...target, importRoot: folder, file: path.join(folder, relative) };
}

/** `request` as run: with `moduleSource`, its target imported from a copy placed at `folder` (see `placeModuleCopy`). */
export function withModuleCopy(request: TestRunRequest, folder: string): TestRunRequest {
  if (request.moduleSource === undefined) return request;
  return { ...request, target: placeModuleCopy(folder, request.target, request.moduleSource) };
}
