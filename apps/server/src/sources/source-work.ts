import type { Container } from 'inversify';
import { Piscina } from 'piscina';
import { applyMetricEvent, TOKENS } from '@test-agent/composition';
import { readArchive, type ArchiveFile, type ArchiveLimits } from '../jobs/archive-sources';
import { answerSources, type PreviewTask, type SourcesTask } from './source-requests';
import { rebuildFailure, type SourcesReply } from './source-replies';
import type { SourceThreadData } from './source-thread';

export interface SourceWorkOptions {
  /** Threads that chunk and count (`sourceThreads`); 0 answers on the event loop. */
  readonly threads: number;
  /** The built thread script (`source-thread.js` beside the server's bundle); without it, answers on the event loop. */
  readonly script?: string;
}

/**
 * Where chunk previews, token counts and uploaded archives are computed: on a pool of worker threads (piscina), so
 * parsing, tokenizing or unpacking a large request never holds the event loop that answers `/health` and every other
 * request; or on the event loop itself when no thread is configured or no thread script exists (an embedder's
 * `buildApp` on sources).
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
      const config = container.get(TOKENS.Config);
      // A plain copy of the environment: it is cloned into each thread (process.env may be an exotic object).
      const workerData: SourceThreadData = { config: { ...config, baseEnv: { ...config.baseEnv } }, scratch };
      this.pool = new Piscina({
        filename: options.script,
        minThreads: options.threads,
        maxThreads: options.threads,
        idleTimeout: Number.POSITIVE_INFINITY,
        workerData,
      });
    }
  }

  /** The answer as JSON text, ready to send. */
  async answer(task: PreviewTask): Promise<string> {
    if (!this.pool) return JSON.stringify(await answerSources(this.container, task, this.scratch));
    const reply = await this.run(task);
    if (!('json' in reply)) throw new Error('A source thread answered a preview without JSON');
    return reply.json;
  }

  /** An uploaded archive's files, every entry checked before any is returned (`readArchive`, on a thread). */
  async readArchive(data: Buffer, limits: ArchiveLimits): Promise<ArchiveFile[]> {
    if (!this.pool) return readArchive(data, limits);
    const reply = await this.run({ kind: 'archive', data, limits });
    if (!('files' in reply)) throw new Error('A source thread answered an archive without files');
    return reply.files.map((f) => ({
      path: f.path,
      content: Buffer.from(f.content.buffer, f.content.byteOffset, f.content.byteLength),
    }));
  }

  /** Runs a task on a thread: its metrics replayed here, its failure rethrown as the error it was. */
  private async run(task: SourcesTask): Promise<Extract<SourcesReply, { ok: true }>> {
    const reply = await this.pool!.run(task);
    const metrics = this.container.get(TOKENS.Metrics);
    const rejected = reply.metrics.filter((event) => applyMetricEvent(event, metrics) === 'rejected').length;
    if (rejected > 0) this.container.get(TOKENS.Logger).warn('Source thread metrics not replayed', { rejected });
    if (!reply.ok) throw rebuildFailure(reply.failure);
    return reply;
  }

  async close(): Promise<void> {
    await this.pool?.destroy();
  }
}
