import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createContainer, loadConfig } from '@test-agent/composition';
import { silentLogger } from '@test-agent/domain';
import { buildApp } from '../app';

describe('/metrics', () => {
  it('exposes every runbook metric and counts handled requests', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'ta-metrics-'));
    const app = buildApp(createContainer(loadConfig({ env: {}, cwd }), { logger: silentLogger }));
    await app.inject({ method: 'GET', url: '/health' });
    await app.inject({ method: 'GET', url: '/health' });
    await app.inject({ method: 'GET', url: '/nope' });
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
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
    ]) {
      expect(res.body).toContain(`# TYPE ${name} `);
    }
    expect(res.body).toContain('test_agent_requests_total{operation="GET /health",status="200"} 2');
    expect(res.body).toContain('test_agent_requests_total{operation="GET unmatched",status="404"} 1');
  });
});
