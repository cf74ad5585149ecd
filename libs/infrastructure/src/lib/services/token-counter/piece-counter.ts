import { createHash } from 'node:crypto';

/** Pieces whose BPE count is remembered (they repeat a lot in code: `self`, ` =`, indentation). */
const MAX_PIECES = 200_000;
/** Whole texts whose count is remembered, by SHA-1 of their content. */
const MAX_TEXTS = 20_000;
/** Texts shorter than this are not worth hashing: their pieces are cached anyway. */
const MIN_HASHED_LENGTH = 256;

/**
 * Converts a Rust/Python pre-tokenizer pattern to a JavaScript one: Node 20 has no inline `(?i:...)`, so the
 * contraction group is spelled out case by case. Returns undefined when the pattern uses other syntax.
 */
export function toJsPattern(pattern: string): RegExp | undefined {
  const js = pattern.replace(/\(\?i:((?:'[a-z]+\|?)+)\)/g, (_m, body: string) => {
    const alts = body.split('|').map((alt) => alt.replace(/[a-z]/g, (ch) => `[${ch}${ch.toUpperCase()}]`));
    return `(?:${alts.join('|')})`;
  });
  if (js.includes('(?i')) return undefined;
  try {
    return new RegExp(js, 'gu');
  } catch {
    return undefined;
  }
}

/** Options of a `PieceCounter`. */
export interface PieceCounterOptions {
  /** The tokenizer's pre-tokenization regex (global, unicode); undefined to always count whole texts. */
  readonly split: RegExp | undefined;
  /** Exact count of one text by the real tokenizer. */
  readonly encode: (text: string) => number;
  /** Texts the split cannot reproduce exactly (special tokens, characters whose class differs between regex engines). */
  readonly needsWholeText: (text: string) => boolean;
  /** Normalization the tokenizer applies first (Qwen: NFC). */
  readonly normalize?: (text: string) => string;
}

/**
 * Exact BPE token counts, fast: BPE tokenizers (tiktoken, Qwen) first split text with a regex and then encode
 * each piece on its own, so a text's count is the sum of its pieces' counts. Pieces are split here with V8's
 * regex engine and each distinct piece is encoded once by the real tokenizer; whole-text counts are also cached
 * by content hash. Texts the split cannot reproduce go to the tokenizer whole.
 */
export class PieceCounter {
  private readonly pieces = new Map<string, number>();
  private readonly texts = new Map<string, number>();

  constructor(private readonly options: PieceCounterOptions) {}

  count(raw: string): number {
    if (raw.length === 0) return 0;
    const hashed = raw.length >= MIN_HASHED_LENGTH;
    const key = hashed ? createHash('sha1').update(raw).digest('base64') : '';
    if (hashed) {
      const known = this.texts.get(key);
      if (known !== undefined) return known;
    }
    const text = this.options.normalize ? this.options.normalize(raw) : raw;
    const split = this.options.split;
    let total = 0;
    if (!split || this.options.needsWholeText(text)) {
      total = this.options.encode(text);
    } else {
      split.lastIndex = 0;
      for (let m = split.exec(text); m !== null; m = split.exec(text)) {
        const piece = m[0];
        let n = this.pieces.get(piece);
        if (n === undefined) {
          n = this.options.encode(piece);
          if (this.pieces.size >= MAX_PIECES) this.pieces.clear();
          this.pieces.set(piece, n);
        }
        total += n;
      }
    }
    if (hashed) {
      if (this.texts.size >= MAX_TEXTS) this.texts.clear();
      this.texts.set(key, total);
    }
    return total;
  }

  /** Forgets every cached count (benchmarks measure cold counts with it). */
  clear(): void {
    this.pieces.clear();
    this.texts.clear();
  }
}
