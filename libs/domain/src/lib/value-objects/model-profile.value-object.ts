/**
 * Tokenizers Test Agent can count with. `cl100k_base` / `o200k_base` are OpenAI's BPE encodings, `qwen` is the
 * Qwen2/2.5/3 byte-level BPE (151,643 tokens), `gigachat` is GigaChat's unpublished tokenizer (counted by its
 * API when an LLM is configured, estimated locally otherwise).
 */
export type TokenizerId = 'cl100k_base' | 'o200k_base' | 'qwen' | 'gigachat';

/** What Test Agent knows about a model: how to count its tokens and how much it can read. */
export interface ModelProfile {
  /** The model name as configured (`qwen2.5:7b`, `GigaChat-2-Max`, `gpt-4o`), or `default`. */
  readonly model: string;
  /** The profile that matched, e.g. `qwen2.5`, `gigachat-2`, `default`. */
  readonly profile: string;
  readonly tokenizer: TokenizerId;
  /** Context window in tokens (prompt + completion). */
  readonly contextWindow: number;
  /** Tokens kept free for the model's answer. */
  readonly reservedCompletionTokens: number;
}

interface ProfileRule {
  readonly profile: string;
  readonly match: RegExp;
  readonly tokenizer: TokenizerId;
  readonly contextWindow: number;
  readonly reservedCompletionTokens: number;
}

// First match wins. Sources: docs/LLM-APIS.md (Qwen2.5 32,768 native context, 8,192 max generation; GigaChat Lite
// 8k / Lite+ 32k / Pro 8k in 2024 docs, GigaChat 2 line 128k) and the vendors' model cards.
const RULES: readonly ProfileRule[] = [
  { profile: 'qwen', match: /qwen/i, tokenizer: 'qwen', contextWindow: 32_768, reservedCompletionTokens: 4_096 },
  {
    profile: 'gigachat-2',
    match: /^gigachat-2/i,
    tokenizer: 'gigachat',
    contextWindow: 128_000,
    reservedCompletionTokens: 4_096,
  },
  {
    profile: 'gigachat-plus',
    match: /^gigachat[-:]?(plus|lite\+)/i,
    tokenizer: 'gigachat',
    contextWindow: 32_768,
    reservedCompletionTokens: 2_048,
  },
  {
    profile: 'gigachat',
    match: /^gigachat/i,
    tokenizer: 'gigachat',
    contextWindow: 8_192,
    reservedCompletionTokens: 1_024,
  },
  {
    profile: 'gpt-4o',
    match: /^(gpt-4o|gpt-4\.1|gpt-5|o[134](-|$))/i,
    tokenizer: 'o200k_base',
    contextWindow: 128_000,
    reservedCompletionTokens: 4_096,
  },
  {
    profile: 'gpt-4-turbo',
    match: /^gpt-4-(turbo|1106|0125)/i,
    tokenizer: 'cl100k_base',
    contextWindow: 128_000,
    reservedCompletionTokens: 4_096,
  },
  {
    profile: 'gpt-4',
    match: /^gpt-4/i,
    tokenizer: 'cl100k_base',
    contextWindow: 8_192,
    reservedCompletionTokens: 1_024,
  },
  {
    profile: 'gpt-3.5',
    match: /^gpt-3\.5/i,
    tokenizer: 'cl100k_base',
    contextWindow: 16_385,
    reservedCompletionTokens: 2_048,
  },
];

/** Used for unknown models and when no model is configured (the offline engine): cl100k and a small 8k window. */
const DEFAULT_RULE: ProfileRule = {
  profile: 'default',
  match: /.*/,
  tokenizer: 'cl100k_base',
  contextWindow: 8_192,
  reservedCompletionTokens: 1_024,
};

/** Overrides from configuration (`llmContextWindow`, `reservedCompletionTokens`). */
export interface ModelProfileOverrides {
  readonly contextWindow?: number;
  readonly reservedCompletionTokens?: number;
}

/**
 * The profile of `model` (case-insensitive prefix rules: `qwen*`, `GigaChat-2*`, `GigaChat*`, `gpt-4o*`, ...),
 * with the context window and reserved completion tokens overridable. Unknown or absent models get `default`.
 */
export function resolveModelProfile(model: string | undefined, overrides: ModelProfileOverrides = {}): ModelProfile {
  const name = model?.trim() || 'default';
  const rule = (model && RULES.find((r) => r.match.test(name))) || DEFAULT_RULE;
  return {
    model: name,
    profile: rule.profile,
    tokenizer: rule.tokenizer,
    contextWindow: overrides.contextWindow ?? rule.contextWindow,
    reservedCompletionTokens: overrides.reservedCompletionTokens ?? rule.reservedCompletionTokens,
  };
}
