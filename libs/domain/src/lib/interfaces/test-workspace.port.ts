import type { ModuleTarget } from '../value-objects/module-target.value-object';

/**
 * The files a generation run reads and writes: where the modules are and where the tests go.
 * Paths are absolute unless said otherwise.
 */
export interface TestWorkspace {
  /**
   * The modules to test under `inputPath`: the file itself, or every `.py` file below a folder (tests,
   * `conftest.py`, hidden folders, virtual environments and `node_modules` skipped), in path order.
   * Throws `InvalidInputError` for a missing path or a folder with no Python module.
   */
  resolveTargets(inputPath: string): Promise<ModuleTarget[]>;
  /**
   * Refuses, writing nothing, an output folder that cannot take the tests, with `InvalidInputError`: an existing
   * file or a path under one, a path under `/proc`, `/sys` or `/dev`, a folder that is not writable, and — when
   * `inputPath` is a folder — that folder itself or a path inside one of its packages holding `targets`.
   */
  checkOutputFolder(outDir: string, inputPath: string, targets: readonly ModuleTarget[]): Promise<void>;
  /**
   * Refuses, before any of it runs, a module file that cannot be Python source, with `InvalidInputError`: over
   * the size limit `chunk` applies (`TA_FILE_TOO_LARGE`) or binary (`TA_BINARY_FILE`).
   */
  checkModule(target: ModuleTarget): Promise<void>;
  /** `name` (a relative file name) inside `dir`, absolute. */
  pathIn(dir: string, name: string): string;
  /** Path of `to` relative to folder `from`, with `/` separators. */
  relative(from: string, to: string): string;
  exists(file: string): Promise<boolean>;
  /** First `bytes` characters of a file (to recognise files Test Agent wrote). */
  head(file: string, bytes: number): Promise<string>;
  /** Writes a UTF-8 file, creating its folder. */
  write(file: string, content: string): Promise<void>;
  /**
   * The pytest test files (`test_*.py`) already under `dir`, relative to it with `/` separators, hidden folders
   * and `__pycache__` skipped; none when `dir` does not exist. Test files of one pytest run need distinct base
   * names, so new files are named around these.
   */
  testFilesUnder(dir: string): Promise<string[]>;
}
