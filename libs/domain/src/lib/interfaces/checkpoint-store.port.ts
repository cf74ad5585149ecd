/**
 * Where a long run keeps its progress so `--resume` can continue it after an interruption. Values are plain
 * JSON-serialisable objects; `key` identifies one module's run (its path and content digest).
 */
export interface CheckpointStore {
  /** The saved value, or undefined when there is none. Throws when a checkpoint exists but is unreadable. */
  load(key: string): Promise<unknown>;
  /** Saves atomically (a crash mid-write never leaves a half-written checkpoint). */
  save(key: string, value: unknown): Promise<void>;
}
