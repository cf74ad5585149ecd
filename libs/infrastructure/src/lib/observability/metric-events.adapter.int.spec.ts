import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MetricEventsFileMetrics, replayMetricEvents } from './metric-events.adapter';
import { PrometheusMetrics } from './prometheus-metrics.adapter';

// Metrics recorded in one process (a job), written to a real file and replayed into another registry (the server's).
describe('MetricEventsFileMetrics and replayMetricEvents', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ta-metric-events-'));

  it('records into its own registry and the file; the replay gives the same series elsewhere', async () => {
    const file = path.join(dir, 'events.jsonl');
    const local = new PrometheusMetrics();
    const job = new MetricEventsFileMetrics(local, file);
    job.increment('test_agent_requests_total', { operation: 'llm.chat', status: 'error' });
    job.increment('test_agent_llm_errors_total', { endpoint: 'openai http://127.0.0.1:9', reason: 'network' }, 3);
    job.observe('test_agent_chunking_duration_seconds', 0.25, { strategy: 'auto' });
    job.set('test_agent_token_count_accuracy', 0.87, { endpoint: 'openai http://127.0.0.1:9' });
    job.observe('test_agent_coverage_percentage', 91, { kind: 'combined' });
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(5);

    const server = new PrometheusMetrics();
    server.increment('test_agent_requests_total', { operation: 'llm.chat', status: 'error' });
    expect(
      replayMetricEvents(readFileSync(file, 'utf8'), server, { skip: ['test_agent_coverage_percentage'] }),
    ).toEqual({ replayed: 4, rejected: [] });
    const text = await server.render();
    expect(text).toContain('test_agent_requests_total{operation="llm.chat",status="error"} 2');
    expect(text).toContain('test_agent_llm_errors_total{endpoint="openai http://127.0.0.1:9",reason="network"} 3');
    expect(text).toContain('test_agent_chunking_duration_seconds_sum{strategy="auto"} 0.25');
    expect(text).toContain('test_agent_token_count_accuracy{endpoint="openai http://127.0.0.1:9"} 0.87');
    expect(text).not.toContain('test_agent_coverage_percentage_count');
    expect(await local.render()).toContain('test_agent_coverage_percentage_count{kind="combined"} 1');
  });

  it('checks what it replays: unknown metrics, wrong kinds, undeclared labels, bad values and broken lines are rejected', async () => {
    const lines = [
      '{"kind":"increment","name":"test_agent_made_up_total","value":1,"labels":{}}',
      '{"kind":"set","name":"test_agent_errors_total","value":1,"labels":{}}',
      '{"kind":"increment","name":"test_agent_errors_total","value":1,"labels":{"secret":"x"}}',
      '{"kind":"observe","name":"test_agent_chunking_duration_seconds","value":"NaN","labels":{}}',
      '{"kind":"constructor","name":"test_agent_errors_total","value":1,"labels":{}}',
      'not json',
      '{"kind":"increment","name":"test_agent_errors_total","value":2,"labels":{"code":"TA_X","component":"llm"}}',
    ];
    const server = new PrometheusMetrics();
    const { replayed, rejected } = replayMetricEvents(lines.join('\n'), server);
    expect(replayed).toBe(1);
    expect(rejected).toEqual(lines.slice(0, 6));
    expect(await server.render()).toContain('test_agent_errors_total{code="TA_X",component="llm"} 2');
  });

  it('reports a file it cannot append to instead of throwing, and still records locally', async () => {
    const problems: string[] = [];
    const local = new PrometheusMetrics();
    const metrics = new MetricEventsFileMetrics(local, path.join(dir, 'no-such-folder', 'events.jsonl'), (m) =>
      problems.push(m),
    );
    expect(() => metrics.increment('test_agent_errors_total', { code: 'TA_X' })).not.toThrow();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^metric test_agent_errors_total not written to .*no-such-folder.*ENOENT/);
    expect(await local.render()).toContain('test_agent_errors_total{code="TA_X"} 1');
  });
});
