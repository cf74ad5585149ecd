import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// The alert-metric check against the real built server's /metrics: it passes on the shipped rules and fails the
// test command on a rule naming a metric the server does not export.
const root = path.resolve(__dirname, '../..');
const script = path.join(__dirname, 'check-alert-metrics.cjs');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureBuilt } = require(path.join(root, 'tools/build/build.cjs')) as { ensureBuilt: () => Promise<void> };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { metricNames } = require(script) as { metricNames: (expr: string) => string[] };

describe('check-alert-metrics', () => {
  jest.setTimeout(60_000);
  beforeAll(() => ensureBuilt());
  const dir = mkdtempSync(path.join(tmpdir(), 'ta-alert-check-'));
  const check = (...files: string[]) =>
    spawnSync(process.execPath, [script, ...files], { encoding: 'utf8', cwd: root });
  const rules = (name: string, expr: string) => {
    const file = path.join(dir, `${name}.yml`);
    writeFileSync(
      file,
      `groups:\n  - name: t\n    rules:\n      - alert: ${name}\n        expr: ${JSON.stringify(expr)}\n`,
    );
    return file;
  };

  it('reads the metric names out of PromQL, not functions, labels, ranges or grouping clauses', () => {
    expect(
      metricNames(
        'sum by (endpoint) (rate(test_agent_llm_errors_total{reason="all-failed", x="a_b"}[5m])) / clamp_min(sum(rate(test_agent_requests_total[5m])), 1e-9) > 0.01',
      ),
    ).toEqual(['test_agent_llm_errors_total', 'test_agent_requests_total']);
    expect(
      metricNames(
        'histogram_quantile(0.95, sum without (instance) (rate(foo_bucket[5m] offset 1h))) and on (job) up == 0',
      ),
    ).toEqual(['foo_bucket', 'up']);
  });

  it('passes on the shipped alert rules', () => {
    const run = check(path.join(root, 'docker/prometheus/test-agent-alerts.yml'));
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^5 alerts checked/);
    expect(run.status).toBe(0);
  });

  it("fails on an alert naming a metric the server does not export, a histogram's series excepted", () => {
    const bad = check(rules('Made', 'rate(test_agent_made_up_total[5m]) > 0'));
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('Made uses test_agent_made_up_total, which the server does not export');
    // _bucket exists for a histogram, not for a gauge.
    expect(
      check(
        rules('Hist', 'histogram_quantile(0.9, sum by (le) (rate(test_agent_job_duration_seconds_bucket[5m]))) > 60'),
      ).status,
    ).toBe(0);
    expect(check(rules('Gauge', 'rate(test_agent_jobs_bucket[5m]) > 0')).status).toBe(1);
    expect(check(rules('Other', 'node_load1 > 4')).stderr).toContain('node_load1');
  });
});
