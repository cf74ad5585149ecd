import { InvalidInputError } from '../errors/test-agent.error';
import type { ModelProfile } from './model-profile.value-object';

/** Share of the context window a prompt may use: the runbook's 10 % safety buffer, applied as a cap. */
export const CONTEXT_SAFETY_RATIO = 0.9;

/** Default tokens of a prompt that are not the chunk: instructions, module skeleton, summaries, uncovered lines. */
export const DEFAULT_PROMPT_OVERHEAD_TOKENS = 1_500;

/**
 * How many tokens one chunk may have. From a model:
 * `maxTokens = floor(0.9 × contextWindow) − reservedCompletionTokens − promptOverheadTokens`;
 * or given directly (`--max-tokens`). Always a positive integer.
 */
export class TokenBudget {
  private constructor(
    /** Tokens one chunk (its context lines + code) may have. */
    readonly maxTokens: number,
    /** Where the figure came from: `model` (computed) or `explicit`. */
    readonly source: 'model' | 'explicit',
    readonly contextWindow?: number,
    readonly reservedCompletionTokens?: number,
    readonly promptOverheadTokens?: number,
  ) {}

  /** Throws `InvalidInputError` (`TA_BUDGET_TOO_SMALL`) when nothing is left for the chunk. */
  static forModel(profile: ModelProfile, promptOverheadTokens = DEFAULT_PROMPT_OVERHEAD_TOKENS): TokenBudget {
    const max =
      Math.floor(CONTEXT_SAFETY_RATIO * profile.contextWindow) -
      profile.reservedCompletionTokens -
      promptOverheadTokens;
    if (!(max > 0)) {
      throw new InvalidInputError(
        'TA_BUDGET_TOO_SMALL',
        `No room for code: floor(0.9 × ${profile.contextWindow}) − ${profile.reservedCompletionTokens} reserved − ${promptOverheadTokens} prompt overhead = ${max} tokens`,
      );
    }
    return new TokenBudget(max, 'model', profile.contextWindow, profile.reservedCompletionTokens, promptOverheadTokens);
  }

  /** A budget of exactly `maxTokens` per chunk. Throws `InvalidInputError` (`TA_BAD_MAX_TOKENS`) unless a positive integer. */
  static ofMaxTokens(maxTokens: number): TokenBudget {
    if (!Number.isInteger(maxTokens) || maxTokens <= 0) {
      throw new InvalidInputError(
        'TA_BAD_MAX_TOKENS',
        `max tokens must be a positive integer, got ${String(maxTokens)}`,
      );
    }
    return new TokenBudget(maxTokens, 'explicit');
  }

  toJSON(): Record<string, unknown> {
    return {
      maxTokens: this.maxTokens,
      source: this.source,
      contextWindow: this.contextWindow,
      reservedCompletionTokens: this.reservedCompletionTokens,
      promptOverheadTokens: this.promptOverheadTokens,
    };
  }
}
