/** What changed in a source tree since a version-control reference (changed-code mode). */
export interface ChangedCode {
  /**
   * The Python files under `path` that differ from `ref` (committed, staged, unstaged or new), each with the
   * line numbers (1-based, in today's file) that were added or changed. Throws `InvalidInputError` when `path`
   * is not in a git work tree or `ref` is unknown.
   */
  changedSince(path: string, ref: string): Promise<ReadonlyMap<string, readonly number[]>>;
}
