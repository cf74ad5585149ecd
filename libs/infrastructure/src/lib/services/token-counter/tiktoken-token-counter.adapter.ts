import { get_encoding, type Tiktoken, type TiktokenEncoding } from '@dqbd/tiktoken';
import type { TokenCounter } from '@test-agent/domain';
import { PieceCounter, toJsPattern } from './piece-counter';

/** The OpenAI encodings Test Agent uses. */
export type TiktokenEncodingName = 'cl100k_base' | 'o200k_base';

/** Characters on which V8's `\s` / case folding differ from the Rust regex tiktoken uses: count those texts whole. */
const ENGINE_SENSITIVE = /[\u0085\ufeff\u017f\u212a]/;

const encoders = new Map<TiktokenEncodingName, { encoder: Tiktoken; counter: PieceCounter }>();

/**
 * Pre-tokenizer patterns of the encodings, as shipped in `@dqbd/tiktoken/encoders/<name>.json` (`pat_str`; a test
 * checks they are the same). Kept here so the 2-4 MB encoder files are not parsed just for this string.
 */
export const TIKTOKEN_PATTERNS: Record<TiktokenEncodingName, string> = {
  cl100k_base:
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  o200k_base:
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
};

/** The process-wide encoder of an encoding (built once: 0.1-1 s of WASM start and rank loading). */
function shared(name: TiktokenEncodingName): { encoder: Tiktoken; counter: PieceCounter } {
  let entry = encoders.get(name);
  if (!entry) {
    const encoder = get_encoding(name as TiktokenEncoding);
    const counter = new PieceCounter({
      split: toJsPattern(TIKTOKEN_PATTERNS[name]),
      encode: (text) => encoder.encode_ordinary(text).length,
      needsWholeText: (text) => ENGINE_SENSITIVE.test(text),
    });
    entry = { encoder, counter };
    encoders.set(name, entry);
  }
  return entry;
}

/**
 * `TokenCounter` on tiktoken (WASM), exact for OpenAI models and a close proxy (±3 % on code) for others.
 * Special-token text such as `<|endoftext|>` is counted as ordinary text, never rejected.
 */
export class TiktokenTokenCounter implements TokenCounter {
  readonly exact = true;
  private readonly counter: PieceCounter;

  constructor(readonly tokenizer: TiktokenEncodingName = 'cl100k_base') {
    this.counter = shared(tokenizer).counter;
  }

  /** Synchronous count, for adapters that wrap this one. */
  countSync(text: string): number {
    return this.counter.count(text);
  }

  async count(text: string): Promise<number> {
    return this.counter.count(text);
  }

  async countMany(texts: readonly string[]): Promise<number[]> {
    return texts.map((t) => this.counter.count(t));
  }

  /** Counts with the real encoder on the whole text, bypassing the piece cache (used to check it). */
  countDirect(text: string): number {
    return shared(this.tokenizer).encoder.encode_ordinary(text).length;
  }

  /** Forgets cached counts of this encoding (the encoder itself stays). */
  clearCache(): void {
    this.counter.clear();
  }
}
