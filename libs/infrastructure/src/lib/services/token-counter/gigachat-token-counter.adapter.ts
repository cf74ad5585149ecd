import type { RemoteTokenCounter, TokenCounter } from '@test-agent/domain';
import { TiktokenTokenCounter } from './tiktoken-token-counter.adapter';

/**
 * GigaChat publishes no tokenizer. Locally its counts are estimated as cl100k_base × this factor, rounded up:
 * a deliberate over-estimate so chunks stay within the real budget.
 */
export const GIGACHAT_ESTIMATE_FACTOR = 1.1;

/**
 * `TokenCounter` for GigaChat models: the API's exact `POST /tokens/count` when a `RemoteTokenCounter` is given
 * (an LLM is configured), otherwise a local estimate (`exact: false`).
 */
export class GigaChatTokenCounter implements TokenCounter {
  readonly tokenizer = 'gigachat' as const;
  readonly exact: boolean;
  private readonly local = new TiktokenTokenCounter('cl100k_base');

  constructor(
    private readonly model: string,
    private readonly remote?: RemoteTokenCounter,
  ) {
    this.exact = remote !== undefined;
  }

  async count(text: string): Promise<number> {
    return (await this.countMany([text]))[0];
  }

  async countMany(texts: readonly string[]): Promise<number[]> {
    if (this.remote) return this.remote.countTokens(this.model, texts);
    return texts.map((t) => Math.ceil(this.local.countSync(t) * GIGACHAT_ESTIMATE_FACTOR));
  }
}
