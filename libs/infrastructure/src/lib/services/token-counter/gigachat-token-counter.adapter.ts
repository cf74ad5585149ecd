import { TestAgentError, type RemoteTokenCounter, type TokenCounter } from '@test-agent/domain';
import { TiktokenTokenCounter } from './tiktoken-token-counter.adapter';

/**
 * GigaChat publishes no tokenizer. Locally its counts are estimated as cl100k_base × this factor, rounded up:
 * a deliberate over-estimate so chunks stay within the real budget.
 */
export const GIGACHAT_ESTIMATE_FACTOR = 1.1;

/** After the remote counter failed, how long counts stay local estimates before it is asked again (5 min). */
export const REMOTE_COUNTER_RETRY_AFTER_MS = 5 * 60 * 1000;

/** Options of the GigaChat counter (tests inject the clock). */
export interface GigaChatTokenCounterOptions {
  /** Counts stay local estimates this long after a remote failure, ms (default 300,000). */
  readonly retryRemoteAfterMs?: number;
  readonly now?: () => number;
}

/**
 * `TokenCounter` for GigaChat models: the API's exact `POST /tokens/count` when a `RemoteTokenCounter` is given
 * (an LLM is configured), otherwise a local estimate (`exact: false`). When the remote counter fails (an outage,
 * a 503, an open circuit: any error of kind `external` or `timeout`) the counts fall back to the local estimate
 * instead of failing the run, and `exact` turns false for the rest of the counter's life, so whoever reports the
 * counts can flag them as estimated; the API is asked again `retryRemoteAfterMs` later. Other errors propagate.
 */
export class GigaChatTokenCounter implements TokenCounter {
  readonly tokenizer = 'gigachat' as const;
  private readonly local = new TiktokenTokenCounter('cl100k_base');
  private estimatedSince: number | undefined;
  private fellBack = false;

  constructor(
    private readonly model: string,
    private readonly remote?: RemoteTokenCounter,
    private readonly options: GigaChatTokenCounterOptions = {},
  ) {}

  /** False without a remote counter, and once any count had to be estimated because the remote one failed. */
  get exact(): boolean {
    return this.remote !== undefined && !this.fellBack;
  }

  async count(text: string): Promise<number> {
    return (await this.countMany([text]))[0];
  }

  async countMany(texts: readonly string[]): Promise<number[]> {
    if (this.remote && !this.remoteResting()) {
      try {
        return await this.remote.countTokens(this.model, texts);
      } catch (e) {
        if (!(e instanceof TestAgentError) || (e.kind !== 'external' && e.kind !== 'timeout')) throw e;
        this.fellBack = true;
        this.estimatedSince = (this.options.now ?? Date.now)();
      }
    }
    return texts.map((t) => this.estimate(t));
  }

  /** The local estimate of one text (cl100k × 1.1, rounded up). */
  estimate(text: string): number {
    return Math.ceil(this.local.countSync(text) * GIGACHAT_ESTIMATE_FACTOR);
  }

  private remoteResting(): boolean {
    if (this.estimatedSince === undefined) return false;
    const now = (this.options.now ?? Date.now)();
    return now - this.estimatedSince < (this.options.retryRemoteAfterMs ?? REMOTE_COUNTER_RETRY_AFTER_MS);
  }
}
