import { existsSync } from 'node:fs';
import path from 'node:path';

let cached: string | undefined;

/**
 * The root of the Test Agent package (the folder holding `libs/infrastructure`), found by walking up from this
 * file. Works from the TypeScript sources (tests) and from the bundled CLI in `dist/`.
 */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = __dirname;
  for (;;) {
    if (existsSync(path.join(dir, 'libs', 'infrastructure', 'src', 'lib'))) return (cached = dir);
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`Cannot find the Test Agent package root above ${__dirname}`);
    dir = parent;
  }
}

/** Absolute path of a file shipped with the infrastructure library (Python helpers, requirements). */
export function infrastructureAsset(relativePath: string): string {
  return path.join(packageRoot(), 'libs', 'infrastructure', 'src', 'lib', relativePath);
}
