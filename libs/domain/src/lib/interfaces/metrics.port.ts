/**
 * The label names each metric accepts (Prometheus needs them declared up front). A metric may be recorded with
 * any subset of its labels; unknown labels are a type error. Names come from the runbook (docs/DESIGN.md).
 */
export interface MetricLabelNames {
  /** Requests handled: HTTP routes of the server (`operation` = `GET /health/ready`) and LLM chats (`llm.chat`). */
  test_agent_requests_total: 'operation' | 'status';
  test_agent_chunking_duration_seconds: 'strategy';
  /**
   * Running token-count accuracy, 0..1, per LLM endpoint (alert below 0.9); `counts` = what the prompts were
   * fitted with: `exact` (the endpoint's own counter), `estimated` (its counter failed), `local` (it has none).
   */
  test_agent_token_count_accuracy: 'endpoint' | 'counts';
  /** Coverage of the code under test, percent 0..100, one sample per run (a histogram); `kind` = line, branch or combined. */
  test_agent_coverage_percentage: 'kind';
  /** Server: generation jobs waiting to run. */
  test_agent_job_queue_depth: never;
  /** Server: generation jobs this replica holds, by `state` (queued, running, completed, failed, cancelled). */
  test_agent_jobs: 'state';
  /** Server: time from a job's start (or its cancelling while queued) to its end, seconds, by final `state`. */
  test_agent_job_duration_seconds: 'state';
  /**
   * Failed LLM calls per endpoint and reason (see `LlmFailureReason`); `reason="fallback"` counts the calls that
   * moved from this endpoint to the next one of the chain.
   */
  test_agent_llm_errors_total: 'endpoint' | 'reason';
  test_agent_summarization_duration_seconds: 'model';
  test_agent_chunks_generated_total: 'strategy';
  test_agent_test_generation_duration_seconds: 'generator';
  /** Errors by `TestAgentError.code` and the component that raised them. */
  test_agent_errors_total: 'code' | 'component';
}

export type MetricName = keyof MetricLabelNames;
export type CounterName =
  | 'test_agent_requests_total'
  | 'test_agent_llm_errors_total'
  | 'test_agent_chunks_generated_total'
  | 'test_agent_errors_total';
/** Histograms: durations in seconds (`*_seconds`), coverage in percent. */
export type HistogramName =
  | 'test_agent_chunking_duration_seconds'
  | 'test_agent_summarization_duration_seconds'
  | 'test_agent_test_generation_duration_seconds'
  | 'test_agent_job_duration_seconds'
  | 'test_agent_coverage_percentage';
export type GaugeName = 'test_agent_token_count_accuracy' | 'test_agent_job_queue_depth' | 'test_agent_jobs';

export type MetricLabels<N extends MetricName> = Partial<Record<MetricLabelNames[N], string>>;

/**
 * Counting what Test Agent does, as the core needs it. Implementations never throw from these calls
 * (metrics must not break a run).
 */
export interface Metrics {
  /** Adds `value` (default 1, must be >= 0) to a counter. */
  increment<N extends CounterName>(name: N, labels?: MetricLabels<N>, value?: number): void;
  /** Records one observation: a duration in seconds, or a coverage percentage. */
  observe<N extends HistogramName>(name: N, value: number, labels?: MetricLabels<N>): void;
  /** Sets a gauge to `value`. */
  set<N extends GaugeName>(name: N, value: number, labels?: MetricLabels<N>): void;
}

/** Metrics that go nowhere: for embedders without Prometheus, and unit tests that do not look at metrics. */
export const noopMetrics: Metrics = {
  increment: () => undefined,
  observe: () => undefined,
  set: () => undefined,
};
