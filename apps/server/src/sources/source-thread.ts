import 'reflect-metadata';
import { workerData } from 'node:worker_threads';
import { createContainer, TOKENS, type MetricEvent, type TestAgentConfig } from '@test-agent/composition';
import type { CounterName, GaugeName, HistogramName, MetricLabels, Metrics } from '@test-agent/domain';
import { readArchive } from '../jobs/archive-sources';
import { answerSources, type SourcesTask } from './source-requests';
import { describeFailure, type SourcesReply } from './source-replies';

/** What a source thread is started with: the server's configuration and its scratch folder for inline sources. */
export interface SourceThreadData {
  readonly config: TestAgentConfig;
  readonly scratch: string;
}

/**
 * `Metrics` that keep each call for the server: a thread has no registry of its own that Prometheus scrapes, so each
 * reply carries what the task recorded and the event loop applies it (`applyMetricEvent`).
 */
class CollectedMetrics implements Metrics {
  private events: MetricEvent[] = [];

  increment<N extends CounterName>(name: N, labels: MetricLabels<N> = {}, value = 1): void {
    this.events.push({ kind: 'increment', name, value, labels: labels as Record<string, string> });
  }

  observe<N extends HistogramName>(name: N, value: number, labels: MetricLabels<N> = {}): void {
    this.events.push({ kind: 'observe', name, value, labels: labels as Record<string, string> });
  }

  set<N extends GaugeName>(name: N, value: number, labels: MetricLabels<N> = {}): void {
    this.events.push({ kind: 'set', name, value, labels: labels as Record<string, string> });
  }

  take(): MetricEvent[] {
    const events = this.events;
    this.events = [];
    return events;
  }
}

const { config, scratch } = workerData as SourceThreadData;
const metrics = new CollectedMetrics();
const container = createContainer(config, { isTty: false });
container.rebindSync(TOKENS.Metrics).toConstantValue(metrics);
// Loaded when the pool starts the thread (with the server): tree-sitter and the tokenizer start now, not on the
// first request. A failure here is the first request's to report.
const ready = answerSources(container, { kind: 'chunks', body: { content: 'def warm():\n    return 1\n' } }, scratch)
  .then(() => metrics.take())
  .then(() => undefined);
ready.catch(() => undefined);

/** One task per call (the pool gives a thread one task at a time): the answer or the failure, and its metrics. */
export default async function answer(task: SourcesTask): Promise<SourcesReply> {
  try {
    if (task.kind === 'archive') {
      const files = await readArchive(
        Buffer.from(task.data.buffer, task.data.byteOffset, task.data.byteLength),
        task.limits,
      );
      return { ok: true, files, metrics: metrics.take() };
    }
    await ready;
    // Serialised here: the event loop sends the text as it is (a string crosses to it cheaply, and no stringify
    // of a large answer holds it).
    const json = JSON.stringify(await answerSources(container, task, scratch));
    return { ok: true, json, metrics: metrics.take() };
  } catch (e) {
    return { ok: false, failure: describeFailure(e), metrics: metrics.take() };
  }
}
