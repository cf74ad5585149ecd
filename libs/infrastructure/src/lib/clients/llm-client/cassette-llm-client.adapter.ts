import { performance } from 'node:perf_hooks';
import {
  LlmCassetteMissError,
  LlmReplayedError,
  type ChatMessage,
  type ChatOptions,
  type ChatResult,
  type LlmClient,
  type LlmHealth,
} from '@test-agent/domain';
import { cassetteKey, readCassette, type CassetteEntry } from './llm-cassette';

/**
 * `LlmClient` that replays a recorded cassette without any network: each request gets the recorded outcomes of
 * identical requests (same messages and answer-changing options) in recorded order; a recorded failure is thrown
 * again with its code and reason. A request the cassette does not hold is an `LlmCassetteMissError`.
 */
export class CassetteLlmClient implements LlmClient {
  readonly endpoint: string;
  private readonly queues = new Map<string, CassetteEntry[]>();
  private readonly total: number;

  constructor(readonly file: string) {
    this.endpoint = `cassette ${file}`;
    const entries = readCassette(file);
    this.total = entries.length;
    for (const entry of entries) {
      const key = cassetteKey(entry.request.messages, entry.request.options ?? {});
      const queue = this.queues.get(key) ?? [];
      queue.push(entry);
      this.queues.set(key, queue);
    }
  }

  /** Recorded exchanges not replayed yet. */
  get remaining(): number {
    return [...this.queues.values()].reduce((sum, q) => sum + q.length, 0);
  }

  async chat(messages: readonly ChatMessage[], options: ChatOptions = {}): Promise<ChatResult> {
    const entry = this.queues.get(cassetteKey(messages, options))?.shift();
    if (!entry) {
      const last = messages.at(-1)?.content ?? '';
      throw new LlmCassetteMissError(
        this.endpoint,
        `${this.endpoint}: no recorded answer left for this request (${messages.length} messages, last starts "${last.slice(0, 60).replace(/\s+/g, ' ')}")`,
      );
    }
    if (entry.error) throw new LlmReplayedError(entry.endpoint, entry.error);
    const r = entry.response as NonNullable<CassetteEntry['response']>;
    return {
      text: r.text,
      usage: r.usage,
      model: r.model,
      finishReason: r.finishReason,
      latencyMs: r.latencyMs,
      endpoint: entry.endpoint,
    };
  }

  async health(): Promise<LlmHealth> {
    const started = performance.now();
    return {
      endpoint: this.endpoint,
      ok: true,
      latencyMs: Math.round(performance.now() - started),
      detail: `replaying ${this.total} recorded exchange(s), ${this.remaining} left`,
    };
  }
}
