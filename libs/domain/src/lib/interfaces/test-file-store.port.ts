/**
 * Where generated test files are written. Paths are absolute. Implementations create missing folders and
 * write atomically (a reader never sees half a file).
 */
export interface TestFileStore {
  /** The UTF-8 text of `file`, or `undefined` when it does not exist. */
  read(file: string): Promise<string | undefined>;
  /**
   * Writes `content` to `file` only if it does not exist yet (exclusive create); resolves `false`, writing
   * nothing, when it exists. Race-free: of two concurrent creators exactly one wins.
   */
  create(file: string, content: string): Promise<boolean>;
  /** Writes `content` to `file`, replacing what is there. */
  replace(file: string, content: string): Promise<void>;
}
