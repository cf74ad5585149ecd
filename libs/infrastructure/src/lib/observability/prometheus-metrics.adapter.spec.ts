import { PrometheusMetrics } from './prometheus-metrics.adapter';

describe('PrometheusMetrics', () => {
  it('exports every metric named in the runbook, at zero, from the start', async () => {
    const text = await new PrometheusMetrics().render();
    for (const name of [
      'test_agent_requests_total',
      'test_agent_chunking_duration_seconds',
      'test_agent_token_count_accuracy',
      'test_agent_coverage_percentage',
      'test_agent_llm_errors_total',
      'test_agent_summarization_duration_seconds',
      'test_agent_chunks_generated_total',
      'test_agent_test_generation_duration_seconds',
      'test_agent_errors_total',
      'test_agent_job_queue_depth',
      'test_agent_jobs',
      'test_agent_job_duration_seconds',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
  });

  it('keeps one coverage sample per run, in percent buckets (a histogram, not the last value)', async () => {
    const metrics = new PrometheusMetrics();
    for (const percent of [95, 72.5, 88])
      metrics.observe('test_agent_coverage_percentage', percent, { kind: 'combined' });
    const text = await metrics.render();
    expect(text).toContain('# TYPE test_agent_coverage_percentage histogram');
    expect(text).toContain('test_agent_coverage_percentage_count{kind="combined"} 3');
    expect(text).toContain('test_agent_coverage_percentage_sum{kind="combined"} 255.5');
    expect(text).toContain('test_agent_coverage_percentage_bucket{le="80",kind="combined"} 1');
    expect(text).toContain('test_agent_coverage_percentage_bucket{le="90",kind="combined"} 2');
  });

  it('records counters, histograms and gauges with labels', async () => {
    const metrics = new PrometheusMetrics();
    metrics.increment('test_agent_llm_errors_total', { endpoint: 'gigachat x', reason: 'timeout' });
    metrics.increment('test_agent_llm_errors_total', { endpoint: 'gigachat x', reason: 'timeout' }, 2);
    metrics.observe('test_agent_chunking_duration_seconds', 0.2, { strategy: 'function' });
    metrics.set('test_agent_token_count_accuracy', 0.93, { endpoint: 'gigachat x' });
    const text = await metrics.render();
    expect(text).toContain('test_agent_llm_errors_total{endpoint="gigachat x",reason="timeout"} 3');
    expect(text).toContain('test_agent_chunking_duration_seconds_count{strategy="function"} 1');
    expect(text).toContain('test_agent_token_count_accuracy{endpoint="gigachat x"} 0.93');
  });

  it('reports a bad value instead of throwing', () => {
    const problems: string[] = [];
    const metrics = new PrometheusMetrics((m) => problems.push(m));
    expect(() => metrics.increment('test_agent_errors_total', { code: 'X' }, -1)).not.toThrow();
    expect(problems).toEqual(['metric test_agent_errors_total not recorded: It is not possible to decrease a counter']);
  });
});
