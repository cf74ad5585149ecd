import type { ModelProfile, TokenizerId } from '../value-objects/model-profile.value-object';
import type { TokenCounter, TokenCounterFactory } from '../interfaces/token-counter.port';

/**
 * A `TokenCounter` that counts whitespace-separated words: additive across line boundaries like the real BPE
 * counters, predictable in tests. Records every text it was asked about.
 */
export class FakeTokenCounter implements TokenCounter {
  readonly exact = true;
  readonly calls: string[] = [];

  constructor(readonly tokenizer: TokenizerId = 'cl100k_base') {}

  static words(text: string): number {
    return text.match(/\S+/g)?.length ?? 0;
  }

  async count(text: string): Promise<number> {
    this.calls.push(text);
    return FakeTokenCounter.words(text);
  }

  async countMany(texts: readonly string[]): Promise<number[]> {
    this.calls.push(...texts);
    return texts.map(FakeTokenCounter.words);
  }
}

/** A factory handing out one `FakeTokenCounter` per tokenizer; `profiles` records what was asked. */
export class FakeTokenCounterFactory implements TokenCounterFactory {
  readonly profiles: ModelProfile[] = [];
  private readonly counters = new Map<TokenizerId, FakeTokenCounter>();

  forProfile(profile: ModelProfile): FakeTokenCounter {
    this.profiles.push(profile);
    let c = this.counters.get(profile.tokenizer);
    if (!c) this.counters.set(profile.tokenizer, (c = new FakeTokenCounter(profile.tokenizer)));
    return c;
  }
}
