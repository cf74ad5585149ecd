import type { ChunkKind } from './chunking-strategy.value-object';

/**
 * A piece of a module that fits the model. Chunks of a module partition its lines: every line belongs to
 * exactly one chunk, and concatenating the chunks' `code` in order gives the module text back.
 */
export interface CodeChunk {
  /** The module file (absolute path, or the name given by the caller). */
  readonly file: string;
  /** Position of the chunk in its file, 0-based. */
  readonly index: number;
  readonly kind: ChunkKind;
  /** Definitions in the chunk (`func`, `Class`, `Class.method`), or names a statement chunk binds. */
  readonly symbols: readonly string[];
  /** First line owned by the chunk, 1-based. */
  readonly startLine: number;
  /** Last line owned by the chunk, 1-based, inclusive. */
  readonly endLine: number;
  /** Source text of lines `startLine..endLine`, exactly as in the file (line endings kept). */
  readonly code: string;
  /**
   * Read-only lines shown before the code, not owned by the chunk: the class header and `__init__` signature for
   * a method group, the definition header and overlap lines for a sliding window. '' when none.
   */
  readonly context: string;
  /** Import statements (source text) of the module that the chunk's code uses, in source order. */
  readonly imports: readonly string[];
  /** Module-level names the chunk uses that are defined in other chunks, sorted. */
  readonly dependencies: readonly string[];
  /** Tokens of `context + code` for the model's tokenizer. */
  readonly tokens: number;
  /** True when the chunk is over the budget because a single statement or line cannot be split. */
  readonly overBudget: boolean;
}
