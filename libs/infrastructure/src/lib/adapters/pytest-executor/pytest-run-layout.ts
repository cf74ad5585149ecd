import { mkdirSync, mkdtempSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestFile } from '@test-agent/domain';

/** The private folder of one run and what goes where inside it. */
export interface RunLayout {
  readonly root: string;
  readonly tests: string;
  readonly cwd: string;
  readonly home: string;
  readonly tmp: string;
  readonly control: string;
  readonly dataFile: string;
  readonly rcFile: string;
  readonly iniFile: string;
}

/** Where pytest runs: its rootdir, the configuration file it reads, and what it collects. */
export interface PytestRoots {
  readonly rootdir: string;
  /**
   * `-c` file: Test Agent's empty ini for generated tests (isolated from any project configuration), the user's
   * own configuration file for user test paths, or undefined when the user's project has none.
   */
  readonly inifile?: string;
  /** Conftests above this folder are not loaded (pytest's default: the ini file's folder, else the rootdir). */
  readonly confcutdir: string;
  readonly paths: string[];
}

/** Creates a run's private folder under `base` (the OS temp folder by default), with its subfolders. */
export function createRunLayout(base: string = os.tmpdir()): RunLayout {
  mkdirSync(base, { recursive: true });
  const root = realpathSync(mkdtempSync(path.join(base, 'test-agent-run-')));
  const control = path.join(root, 'control');
  const layout: RunLayout = {
    root,
    tests: path.join(root, 'tests'),
    cwd: path.join(root, 'cwd'),
    home: path.join(root, 'home'),
    tmp: path.join(root, 'tmp'),
    control,
    dataFile: path.join(control, 'coverage', '.coverage'),
    rcFile: path.join(control, 'coveragerc'),
    iniFile: path.join(control, 'pytest.ini'),
  };
  for (const dir of [layout.tests, layout.cwd, layout.home, layout.tmp, path.dirname(layout.dataFile)]) {
    mkdirSync(dir, { recursive: true });
  }
  return layout;
}

/** Writes the run's empty pytest ini and its coverage.py configuration (branch coverage of `targetFile` only). */
export function writeRunConfig(layout: RunLayout, targetFile: string): void {
  writeFileSync(layout.iniFile, '[pytest]\n');
  writeFileSync(
    layout.rcFile,
    [
      '[run]',
      'branch = True',
      'parallel = True',
      `data_file = ${layout.dataFile}`,
      `include = ${globLiteral(targetFile)}`,
      'disable_warnings = no-data-collected, module-not-imported',
      '',
    ].join('\n'),
  );
}

/** Writes (or rewrites: a test may have deleted them) the generated test files into the run's `tests/`. */
export function writeTestFiles(files: readonly TestFile[], layout: RunLayout): void {
  for (const file of files) {
    const target = path.join(layout.tests, file.name);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, file.content);
  }
}

/** coverage.py file patterns are globs: characters with a meaning there (and `$`, expanded in its config) become `?`. */
function globLiteral(file: string): string {
  return file.replace(/[*?[\]$]/g, '?');
}

/** The deepest folder holding every path (a file stands for its folder). */
export function commonFolder(paths: readonly string[]): string {
  const folders = paths.map((p) => (statSync(p).isDirectory() ? p : path.dirname(p)));
  let common = folders[0].split(path.sep);
  for (const folder of folders.slice(1)) {
    const parts = folder.split(path.sep);
    let i = 0;
    while (i < common.length && i < parts.length && common[i] === parts[i]) i++;
    common = common.slice(0, i);
  }
  return common.join(path.sep) || path.sep;
}
