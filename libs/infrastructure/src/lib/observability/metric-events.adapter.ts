import { appendFileSync } from 'node:fs';
import type { CounterName, GaugeName, HistogramName, MetricLabels, MetricName, Metrics } from '@test-agent/domain';
import { COUNTERS, GAUGES, HISTOGRAMS, METRIC_CATALOGUE } from './prometheus-metrics.adapter';

/** One recorded metric call: what `Metrics` was asked, as one JSON line. */
export interface MetricEvent {
  readonly kind: 'increment' | 'observe' | 'set';
  readonly name: MetricName;
  readonly value: number;
  readonly labels: Readonly<Record<string, string>>;
}

/** `Metrics` that hands every call, as a `MetricEvent`, to `record` after passing it to `inner`. */
export class MetricEventRecorder implements Metrics {
  constructor(
    private readonly inner: Metrics,
    private readonly record: (event: MetricEvent) => void,
  ) {}

  increment<N extends CounterName>(name: N, labels: MetricLabels<N> = {}, value = 1): void {
    this.inner.increment(name, labels, value);
    this.record({ kind: 'increment', name, value, labels: labels as Record<string, string> });
  }

  observe<N extends HistogramName>(name: N, value: number, labels: MetricLabels<N> = {}): void {
    this.inner.observe(name, value, labels);
    this.record({ kind: 'observe', name, value, labels: labels as Record<string, string> });
  }

  set<N extends GaugeName>(name: N, value: number, labels: MetricLabels<N> = {}): void {
    this.inner.set(name, value, labels);
    this.record({ kind: 'set', name, value, labels: labels as Record<string, string> });
  }
}

/**
 * `Metrics` that also appends every call to a JSON-lines file, so another process can replay them
 * (`replayMetricEvents`): a generation job run as its own process hands its metrics — LLM calls, token accuracy,
 * chunking, generation times — to the server that scrapes them. Appends are synchronous, so the file is complete
 * when the process exits. Never throws: a failed append is reported through `onError`.
 */
export class MetricEventsFileMetrics extends MetricEventRecorder {
  constructor(inner: Metrics, file: string, onError: (message: string) => void = () => undefined) {
    super(inner, (event) => {
      try {
        appendFileSync(file, `${JSON.stringify(event)}\n`);
      } catch (e) {
        onError(`metric ${event.name} not written to ${file}: ${(e as Error).message}`);
      }
    });
  }
}

const KINDS: Record<MetricEvent['kind'], readonly MetricName[]> = {
  increment: COUNTERS,
  observe: HISTOGRAMS,
  set: GAUGES,
};

/**
 * Applies the events of a `MetricEventsFileMetrics` file to `metrics`, in order. A line that is not JSON, or not an
 * event `applyMetricEvent` accepts, is not applied and is listed in `rejected`. `skip` names metrics the caller
 * records itself.
 */
export function replayMetricEvents(
  text: string,
  metrics: Metrics,
  options: { readonly skip?: readonly MetricName[] } = {},
): { replayed: number; rejected: string[] } {
  let replayed = 0;
  const rejected: string[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      rejected.push(line.slice(0, 200));
      continue;
    }
    const outcome = applyMetricEvent(event, metrics, options);
    if (outcome === 'rejected') rejected.push(line.slice(0, 200));
    else if (outcome === 'applied') replayed++;
  }
  return { replayed, rejected };
}

/**
 * Applies one recorded metric event (another process's or thread's) to `metrics`. An event that is not a known
 * metric of the right kind, with its declared labels and a finite value, is `rejected` (it comes from elsewhere: it
 * is checked, not trusted); one of the `skip` metrics is `skipped`.
 */
export function applyMetricEvent(
  candidate: unknown,
  metrics: Metrics,
  options: { readonly skip?: readonly MetricName[] } = {},
): 'applied' | 'skipped' | 'rejected' {
  const event = candidate as MetricEvent;
  const known =
    typeof event === 'object' &&
    event !== null &&
    Object.hasOwn(KINDS, event.kind) &&
    KINDS[event.kind].includes(event.name);
  const labels =
    known && typeof event.labels === 'object' && event.labels !== null ? Object.entries(event.labels) : undefined;
  const allowed = known ? (METRIC_CATALOGUE[event.name].labels as readonly string[]) : [];
  if (
    !known ||
    !labels ||
    !Number.isFinite(event.value) ||
    labels.some(([k, v]) => !allowed.includes(k) || typeof v !== 'string')
  )
    return 'rejected';
  if (options.skip?.includes(event.name)) return 'skipped';
  const values = Object.fromEntries(labels);
  if (event.kind === 'increment') metrics.increment(event.name as CounterName, values, event.value);
  else if (event.kind === 'observe') metrics.observe(event.name as HistogramName, event.value, values);
  else metrics.set(event.name as GaugeName, event.value, values);
  return 'applied';
}
