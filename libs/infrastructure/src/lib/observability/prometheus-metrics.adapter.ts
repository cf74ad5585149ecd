import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type {
  CounterName,
  GaugeName,
  HistogramName,
  MetricLabelNames,
  MetricLabels,
  MetricName,
  Metrics,
} from '@test-agent/domain';

/** Renders metrics for a scrape: `/metrics` in the server. */
export interface MetricsExporter {
  /** The exposition format's content type. */
  readonly contentType: string;
  /** Every metric in the Prometheus text format. */
  render(): Promise<string>;
}

type Catalogue = {
  readonly [N in MetricName]: { readonly help: string; readonly labels: readonly MetricLabelNames[N][] };
};

/** Every metric Test Agent exports (names from the runbook), its help text and labels. */
export const METRIC_CATALOGUE = {
  test_agent_requests_total: {
    help: 'Requests handled: server routes and LLM chats, by operation and status',
    labels: ['operation', 'status'],
  },
  test_agent_chunking_duration_seconds: { help: 'Time to split one module into chunks, seconds', labels: ['strategy'] },
  test_agent_token_count_accuracy: {
    help: 'Running accuracy of local prompt-token estimates against server counts (0..1); counts: what the prompts were fitted with (exact, estimated after the counter failed, local)',
    labels: ['endpoint', 'counts'],
  },
  test_agent_coverage_percentage: { help: 'Coverage of the code under test per run, percent', labels: ['kind'] },
  test_agent_llm_errors_total: {
    help: 'Failed LLM calls by endpoint and reason (reason="fallback": calls moved on to the next endpoint)',
    labels: ['endpoint', 'reason'],
  },
  test_agent_summarization_duration_seconds: { help: 'Time to summarise one chunk, seconds', labels: ['model'] },
  test_agent_chunks_generated_total: { help: 'Chunks produced by the chunker, by strategy', labels: ['strategy'] },
  test_agent_test_generation_duration_seconds: {
    help: 'Time to generate tests for one target, seconds',
    labels: ['generator'],
  },
  test_agent_errors_total: { help: 'Errors by code and component', labels: ['code', 'component'] },
  test_agent_job_queue_depth: { help: 'Generation jobs waiting to run', labels: [] },
  test_agent_jobs: { help: 'Generation jobs held by this server, by state', labels: ['state'] },
  test_agent_job_duration_seconds: { help: 'Time a generation job ran, seconds, by final state', labels: ['state'] },
} as const satisfies Catalogue;

export const COUNTERS: readonly CounterName[] = [
  'test_agent_requests_total',
  'test_agent_llm_errors_total',
  'test_agent_chunks_generated_total',
  'test_agent_errors_total',
];
export const HISTOGRAMS: readonly HistogramName[] = [
  'test_agent_chunking_duration_seconds',
  'test_agent_summarization_duration_seconds',
  'test_agent_test_generation_duration_seconds',
  'test_agent_job_duration_seconds',
  'test_agent_coverage_percentage',
];
export const GAUGES: readonly GaugeName[] = [
  'test_agent_token_count_accuracy',
  'test_agent_job_queue_depth',
  'test_agent_jobs',
];
/** Histogram buckets, seconds: from 10 ms (chunking a small module) to 30 min (a whole tree). */
const BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];
/** Coverage buckets, percent: fine around the 80 % target. */
const PERCENT_BUCKETS = [10, 20, 30, 40, 50, 60, 70, 75, 80, 85, 90, 95, 99, 100];

/**
 * `Metrics` on a private prom-client registry holding every metric of the catalogue from the start (so a scrape
 * shows them all, at zero). Recording never throws: an invalid value is dropped and reported through `onError`.
 */
export class PrometheusMetrics implements Metrics, MetricsExporter {
  readonly registry = new Registry();
  private readonly counters = new Map<CounterName, Counter<string>>();
  private readonly histograms = new Map<HistogramName, Histogram<string>>();
  private readonly gauges = new Map<GaugeName, Gauge<string>>();

  constructor(private readonly onError: (message: string) => void = () => undefined) {
    const spec = (name: MetricName) => ({
      name,
      help: METRIC_CATALOGUE[name].help,
      labelNames: [...METRIC_CATALOGUE[name].labels] as string[],
      registers: [this.registry],
    });
    for (const name of COUNTERS) this.counters.set(name, new Counter(spec(name)));
    for (const name of HISTOGRAMS)
      this.histograms.set(
        name,
        new Histogram({
          ...spec(name),
          buckets: name === 'test_agent_coverage_percentage' ? PERCENT_BUCKETS : BUCKETS,
        }),
      );
    for (const name of GAUGES) this.gauges.set(name, new Gauge(spec(name)));
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  increment<N extends CounterName>(name: N, labels: MetricLabels<N> = {}, value = 1): void {
    this.safely(name, () => this.counters.get(name)?.inc(labels as Record<string, string>, value));
  }

  observe<N extends HistogramName>(name: N, value: number, labels: MetricLabels<N> = {}): void {
    this.safely(name, () => this.histograms.get(name)?.observe(labels as Record<string, string>, value));
  }

  set<N extends GaugeName>(name: N, value: number, labels: MetricLabels<N> = {}): void {
    this.safely(name, () => this.gauges.get(name)?.set(labels as Record<string, string>, value));
  }

  private safely(name: MetricName, record: () => void): void {
    try {
      record();
    } catch (e) {
      this.onError(`metric ${name} not recorded: ${(e as Error).message}`);
    }
  }
}
