import type { ModelProfile, TokenizerId } from '../value-objects/model-profile.value-object';

/**
 * Counts tokens of text for one tokenizer. Counts are additive across line boundaries for the BPE tokenizers
 * (splitting text right before a non-blank line never changes the total), which the chunker relies on.
 */
export interface TokenCounter {
  readonly tokenizer: TokenizerId;
  /** False when counts are a local estimate (GigaChat without an API), true when they are the model's own. */
  readonly exact: boolean;
  /** Tokens of `text` (no special tokens added). */
  count(text: string): Promise<number>;
  /** Tokens of each text, in order. One round trip for remote counters. */
  countMany(texts: readonly string[]): Promise<number[]>;
}

/** Gives the counter for a model's profile. One encoder per tokenizer per process. */
export interface TokenCounterFactory {
  forProfile(profile: ModelProfile): TokenCounter;
}

/**
 * A tokenizer behind an API, e.g. GigaChat's `POST /tokens/count` (`{"model","input":[...]}` → `[{"tokens"}]`).
 * LLM client adapters implement this; when one is bound, the GigaChat profile counts through it instead of
 * estimating locally. Throws the client's typed errors (kind `external`) on failure.
 */
export interface RemoteTokenCounter {
  countTokens(model: string, texts: readonly string[]): Promise<number[]>;
}
