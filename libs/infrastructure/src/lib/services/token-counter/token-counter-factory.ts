import type { ModelProfile, RemoteTokenCounter, TokenCounter, TokenCounterFactory } from '@test-agent/domain';
import { GigaChatTokenCounter } from './gigachat-token-counter.adapter';
import { QwenTokenCounter } from './qwen-token-counter.adapter';
import { TiktokenTokenCounter } from './tiktoken-token-counter.adapter';

/** Options of the factory. */
export interface LocalTokenCounterFactoryOptions {
  /** GigaChat's `/tokens/count`, when a GigaChat LLM is configured (bound by the LLM module). */
  readonly gigachatRemote?: RemoteTokenCounter;
}

/**
 * Picks the counter for a model profile: tiktoken for `cl100k_base` / `o200k_base`, the Qwen tokenizer for Qwen
 * models, GigaChat's API (or a local estimate) for GigaChat. Counters share one encoder per tokenizer per process.
 */
export class LocalTokenCounterFactory implements TokenCounterFactory {
  private readonly counters = new Map<string, TokenCounter>();

  constructor(private readonly options: LocalTokenCounterFactoryOptions = {}) {}

  forProfile(profile: ModelProfile): TokenCounter {
    const key = profile.tokenizer === 'gigachat' ? `gigachat:${profile.model}` : profile.tokenizer;
    let counter = this.counters.get(key);
    if (!counter) {
      switch (profile.tokenizer) {
        case 'qwen':
          counter = new QwenTokenCounter();
          break;
        case 'gigachat':
          counter = new GigaChatTokenCounter(profile.model, this.options.gigachatRemote);
          break;
        default:
          counter = new TiktokenTokenCounter(profile.tokenizer);
      }
      this.counters.set(key, counter);
    }
    return counter;
  }
}
