import type { Container } from 'inversify';
import { Piscina } from 'piscina';
import { replayMetricEvents, TOKENS } from '@test-agent/composition';
import { answerSources, type SourcesTask } from './source-requests';
import { rebuildFailure, type SourcesReply } from './source-replies';
import type { SourceThreadData } from './source-thread';

export interface SourceWorkOptions {
  /** Threads that chunk and count (`sourceThreads`); 0 answers on the event loop. */
  readonly threads: number;
  /** The built thread script (`source-thread.js` beside the server's bundle); without it, answers on the event loop. */
  readonly script?: string;
}

/**
 * Where chunk previews and token counts are computed: on a pool of worker threads (piscina), so parsing and
 * tokenizing a large request never holds the event loop that answers `/health` and every other request; or on the
 * event loop itself when no thread is configured or no thread script exists (an embedder's `buildApp` on sources).
 * A thread's metrics are replayed into the server's registry; its errors are rebuilt as the same HTTP problems.
 */
export class SourceWork {
  private readonly pool?: Piscina<SourcesTask, SourcesReply>;

  constructor(
    private readonly container: Container,
    private readonly scratch: string,
    options: SourceWorkOptions,
  ) {
    if (options.threads > 0 && options.script) {
      const workerData: SourceThreadData = { config: container.get(TOKENS.Config), scratch };
      this.pool = new Piscina({
        filename: options.script,
        minThreads: options.threads,
        maxThreads: options.threads,
        idleTimeout: Number.POSITIVE_INFINITY,
        workerData,
      });
    }
  }

  /** How many threads answer (0: the event loop). */
  get threads(): number {
    return this.pool ? this.pool.options.maxThreads : 0;
  }

  /** The answer as JSON text, ready to send. */
  async answer(task: SourcesTask): Promise<string> {
    if (!this.pool) return JSON.stringify(await answerSources(this.container, task, this.scratch));
    const reply = await this.pool.run(task);
    const metrics = this.container.get(TOKENS.Metrics);
    const { rejected } = replayMetricEvents(reply.metrics.map((e) => JSON.stringify(e)).join('\n'), metrics);
    if (rejected.length > 0)
      this.container.get(TOKENS.Logger).warn('Source thread metrics not replayed', { rejected: rejected.length });
    if (!reply.ok) throw rebuildFailure(reply.failure);
    return reply.json;
  }

  async close(): Promise<void> {
    await this.pool?.destroy();
  }
}
