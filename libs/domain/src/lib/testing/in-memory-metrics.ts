import type {
  CounterName,
  GaugeName,
  HistogramName,
  MetricLabels,
  MetricName,
  Metrics,
} from '../interfaces/metrics.port';

/** One recorded metric call. */
export interface MetricRecord {
  readonly type: 'counter' | 'histogram' | 'gauge';
  readonly name: MetricName;
  readonly value: number;
  readonly labels: Record<string, string>;
}

/** `Metrics` that keeps every call in memory, with helpers to read them back in assertions. */
export class InMemoryMetrics implements Metrics {
  readonly records: MetricRecord[] = [];

  increment<N extends CounterName>(name: N, labels: MetricLabels<N> = {}, value = 1): void {
    this.records.push({ type: 'counter', name, value, labels: { ...(labels as Record<string, string>) } });
  }
  observe<N extends HistogramName>(name: N, seconds: number, labels: MetricLabels<N> = {}): void {
    this.records.push({ type: 'histogram', name, value: seconds, labels: { ...(labels as Record<string, string>) } });
  }
  set<N extends GaugeName>(name: N, value: number, labels: MetricLabels<N> = {}): void {
    this.records.push({ type: 'gauge', name, value, labels: { ...(labels as Record<string, string>) } });
  }

  /** Sum of a counter over the calls whose labels include `labels`. */
  counter(name: CounterName, labels: Record<string, string> = {}): number {
    return this.matching(name, labels).reduce((sum, r) => sum + r.value, 0);
  }

  /** Last value set on a gauge with labels including `labels`, or undefined. */
  gauge(name: GaugeName, labels: Record<string, string> = {}): number | undefined {
    return this.matching(name, labels).at(-1)?.value;
  }

  private matching(name: MetricName, labels: Record<string, string>): MetricRecord[] {
    return this.records.filter((r) => r.name === name && Object.entries(labels).every(([k, v]) => r.labels[k] === v));
  }
}
