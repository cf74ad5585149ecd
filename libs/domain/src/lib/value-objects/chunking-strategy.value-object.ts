import { InvalidInputError } from '../errors/test-agent.error';

/**
 * How a module larger than the small-module threshold is split.
 * - `function`: chunks of whole functions/methods; classes always split into method groups; module statements apart.
 * - `class`: each class whole in its own chunk (method groups only for a class over the budget).
 * - `statement`: top-level statements packed in source order; anything is split only when over the budget.
 * - `auto`: one chunk for a small module, otherwise `statement` packing that also splits a class at method
 *   boundaries to fill a chunk. Sliding windows are used by every strategy, only for a single definition
 *   bigger than the budget.
 */
export type ChunkingStrategy = 'auto' | 'function' | 'class' | 'statement';

export const CHUNKING_STRATEGIES: readonly ChunkingStrategy[] = ['auto', 'function', 'class', 'statement'];

/** Parses a user-given strategy name; throws `InvalidInputError` (`TA_BAD_STRATEGY`) listing the valid ones. */
export function parseChunkingStrategy(value: string): ChunkingStrategy {
  const found = CHUNKING_STRATEGIES.find((s) => s === value);
  if (!found)
    throw new InvalidInputError(
      'TA_BAD_STRATEGY',
      `Unknown chunking strategy "${value}": use one of ${CHUNKING_STRATEGIES.join(', ')}`,
    );
  return found;
}

/** What a chunk holds. */
export type ChunkKind =
  /** The whole module (small module: the old behaviour). */
  | 'module'
  /** Whole module-level functions. */
  | 'function'
  /** Whole classes. */
  | 'class'
  /** Part of one class (its header and/or some methods); carries the class header as context. */
  | 'methods'
  /** Module-level statements (imports, constants, `if __name__ == "__main__"`). */
  | 'statements'
  /** A slice of one definition bigger than the budget; carries overlap lines as context. */
  | 'window'
  /** A mix of the above. */
  | 'mixed';
