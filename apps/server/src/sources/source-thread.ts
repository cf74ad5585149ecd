import 'reflect-metadata';
import { workerData } from 'node:worker_threads';
import {
  createContainer,
  MetricEventRecorder,
  TOKENS,
  type MetricEvent,
  type TestAgentConfig,
} from '@test-agent/composition';
import { noopMetrics } from '@test-agent/domain';
import { readArchive } from '../jobs/archive-sources';
import { answerSources, type SourcesTask } from './source-requests';
import { describeFailure, type SourcesReply } from './source-replies';

/** What a source thread is started with: the server's configuration and its scratch folder for inline sources. */
export interface SourceThreadData {
  readonly config: TestAgentConfig;
  readonly scratch: string;
}

const { config, scratch } = workerData as SourceThreadData;
// A thread has no registry Prometheus scrapes: each reply carries the events its task recorded, and the event loop
// applies them (`applyMetricEvent`).
let recorded: MetricEvent[] = [];
const metrics = new MetricEventRecorder(noopMetrics, (event) => recorded.push(event));
const take = (): MetricEvent[] => {
  const events = recorded;
  recorded = [];
  return events;
};
const container = createContainer(config, { isTty: false });
container.rebindSync(TOKENS.Metrics).toConstantValue(metrics);
// Loaded when the pool starts the thread (with the server): tree-sitter and the tokenizer start now, not on the
// first request. A failure here is the first request's to report.
const ready = answerSources(container, { kind: 'chunks', body: { content: 'def warm():\n    return 1\n' } }, scratch)
  .then(() => take())
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
      return { ok: true, files, metrics: take() };
    }
    await ready;
    // Serialised here: the event loop sends the text as it is (a string crosses to it cheaply, and no stringify
    // of a large answer holds it).
    const json = JSON.stringify(await answerSources(container, task, scratch));
    return { ok: true, json, metrics: take() };
  } catch (e) {
    return { ok: false, failure: describeFailure(e), metrics: take() };
  }
}
