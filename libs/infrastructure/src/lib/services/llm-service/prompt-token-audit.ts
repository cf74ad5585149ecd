import { LlmContextOverflowError, type ChatMessage, type Logger, type Metrics } from '@test-agent/domain';
import { createHash } from 'node:crypto';
import type { LlmServiceOptions } from './llm-service.options';
import {
  TokenAccuracyTracker,
  tokenCountAccuracy,
  type TokenAccuracy,
  type TokenCounts,
} from './token-accuracy.tracker';

/** A local token estimator (the configured tokenizer, sync or async). */
export type TokenEstimator = (text: string) => number | Promise<number>;

/** One answered chat as the audit sees it. */
export interface AuditedChat {
  /** The endpoint's label (metrics, messages). */
  readonly endpoint: string;
  readonly messages: readonly ChatMessage[];
  /** Prompt tokens the server reported, if any. */
  readonly reportedTokens: number | undefined;
  readonly estimator: TokenEstimator;
  /** The endpoint's window told by the server or the user, else the configured one (read when judged). */
  readonly window: () => number | undefined;
  /** What the prompts sent there were fitted with (the `counts` label of the accuracy metric). */
  readonly counts: () => TokenCounts;
}

/** Context sizes servers are commonly run with: a reported prompt of exactly one of them is likely cut there. */
const USUAL_WINDOWS = new Set([2_048, 4_096, 8_192, 16_384, 32_768, 65_536, 131_072]);

/** Prefix digests remembered per endpoint before the memory starts afresh. */
const MAX_REMEMBERED_PREFIXES = 10_000;

/**
 * Compares each answer's reported prompt tokens with the local estimate, per endpoint (keyed by `K`): a reported
 * prompt far below the estimate is a silent truncation (`LlmContextOverflowError`); otherwise the sample feeds the
 * running accuracy (`test_agent_token_count_accuracy`, a warning below the threshold) and the endpoint's
 * tokenizer bias. A call repeating earlier messages as its prefix (a repair turn) is judged on the part not shared.
 */
export class PromptTokenAudit<K> {
  private readonly accuracy = new TokenAccuracyTracker();
  private readonly warnedLowAccuracy = new Set<string>();
  /** Per endpoint: digests of the message prefixes it was sent (to recognise a cached prefix). */
  private readonly prefixes = new Map<K, Set<string>>();
  /** Per endpoint: running sum and count of reported / estimated prompt tokens on unshared prompts. */
  private readonly bias = new Map<K, { sum: number; samples: number }>();

  constructor(
    private readonly options: LlmServiceOptions,
    private readonly estimatePromptTokens: (
      messages: readonly ChatMessage[],
      estimator: TokenEstimator,
    ) => Promise<number>,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {}

  /** Running token-count accuracy per endpoint that reported prompt tokens. */
  snapshot(): TokenAccuracy[] {
    return this.accuracy.snapshot();
  }

  /** @throws LlmContextOverflowError when the prompt was silently truncated. */
  async check(key: K, chat: AuditedChat): Promise<void> {
    const { endpoint, messages, estimator } = chat;
    const prefix = await this.sharedPrefixTokens(key, messages, estimator);
    this.remember(key, messages);
    const reported = chat.reportedTokens;
    if (reported === undefined || reported <= 0) return;
    const estimate = await this.estimatePromptTokens(messages, estimator);
    // Only a substantial shared prefix (a repair turn repeating the first prompt, not just the system message) counts.
    const shared = prefix >= 0.25 * estimate ? prefix : 0;
    const ratio = this.options.overflowRatio ?? 0.75;
    const bias = this.bias.get(key);
    const scale = bias ? Math.min(1.5, Math.max(0.6, bias.sum / bias.samples)) : 1;
    const window = chat.window();
    // A prompt larger than the window reported at or below it; or, with no window configured, reported at exactly
    // a usual window size (Ollama's default num_ctx is 2,048 or 4,096) while the estimate is larger.
    const overWindow =
      window !== undefined
        ? estimate * scale > window && reported <= window
        : USUAL_WINDOWS.has(reported) && estimate * scale > reported;
    // A prompt repeating an earlier one as its prefix may be reported without the cached prefix: judge what is new.
    const expected = (shared > 0 ? Math.max(0, estimate - shared) : estimate) * scale;
    // With the window known (told by the server or the user), a prompt that fits it by our own count (10 % margin
    // for the tokenizers' disagreement) had nothing to be cut for: a low count then is the server's tokenizer.
    const mayExceed = window === undefined || estimate * scale * 1.1 > window;
    const belowRatio = mayExceed && reported < expected * ratio;
    if (estimate >= (this.options.overflowMinTokens ?? 256) && (belowRatio || overWindow)) {
      this.metrics.increment('test_agent_llm_errors_total', { endpoint, reason: 'context-overflow' });
      throw new LlmContextOverflowError(
        endpoint,
        `${endpoint}: the prompt was silently truncated: the server counted ${reported} prompt tokens where ~${estimate} were sent (context window too small; Ollama truncates without an error)`,
        { estimatedTokens: estimate, reportedTokens: reported },
      );
    }
    // A prompt whose prefix may have been cached says nothing reliable about the tokenizer.
    if (shared > 0 && reported < estimate * 0.9) return;
    if (reported < (this.options.accuracyMinTokens ?? 32)) return;
    if (shared === 0) {
      const b = bias ?? { sum: 0, samples: 0 };
      b.sum += reported / estimate;
      b.samples += 1;
      this.bias.set(key, b);
    }
    this.sampleAccuracy(endpoint, estimate, reported, chat.counts());
  }

  /** Records one accuracy sample; warns once when the running accuracy drops below the threshold. */
  private sampleAccuracy(endpoint: string, estimate: number, reported: number, counts: TokenCounts): void {
    const sample = tokenCountAccuracy(estimate, reported);
    const running = this.accuracy.record(endpoint, estimate, reported, counts);
    this.metrics.set('test_agent_token_count_accuracy', running, { endpoint, counts });
    const threshold = this.options.accuracyWarnBelow ?? 0.9;
    if (running < threshold) {
      if (!this.warnedLowAccuracy.has(endpoint)) {
        this.warnedLowAccuracy.add(endpoint);
        this.log.warn('Token count accuracy is below the threshold', {
          endpoint,
          accuracy: Number(running.toFixed(4)),
          threshold,
          lastEstimate: estimate,
          lastReported: reported,
          lastAccuracy: Number(sample.toFixed(4)),
          counts,
        });
      }
    } else {
      this.warnedLowAccuracy.delete(endpoint);
    }
  }

  /** Estimated tokens of the longest run of leading messages this endpoint was already sent (0: none). */
  private async sharedPrefixTokens(
    key: K,
    messages: readonly ChatMessage[],
    estimator: TokenEstimator,
  ): Promise<number> {
    const seen = this.prefixes.get(key);
    if (!seen || messages.length < 2) return 0;
    const digests = prefixDigests(messages);
    let k = 0;
    for (let i = digests.length - 2; i >= 0; i--) {
      if (seen.has(digests[i])) {
        k = i + 1;
        break;
      }
    }
    if (k === 0) return 0;
    return this.estimatePromptTokens(messages.slice(0, k), estimator);
  }

  private remember(key: K, messages: readonly ChatMessage[]): void {
    let seen = this.prefixes.get(key);
    if (!seen) this.prefixes.set(key, (seen = new Set()));
    if (seen.size > MAX_REMEMBERED_PREFIXES) seen.clear();
    for (const d of prefixDigests(messages)) seen.add(d);
  }
}

/** Digest of messages[0..i] for each i: equal digests mean equal leading messages. */
function prefixDigests(messages: readonly ChatMessage[]): string[] {
  const hash = createHash('sha1');
  return messages.map((m) => {
    hash.update(`${m.role}\u0000${m.content.length}\u0000${m.content}\u0000`);
    return hash.copy().digest('base64');
  });
}
