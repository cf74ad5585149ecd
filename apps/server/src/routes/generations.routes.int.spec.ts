import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createContainer, loadConfig, TOKENS } from '@test-agent/composition';
import { silentLogger } from '@test-agent/domain';
import { buildApp } from '../app';

// The generation use case over HTTP: real offline engine, real pytest + coverage.py.
const root = path.resolve(__dirname, '../../../..');

describe('POST /v1/generations and /v1/chunks', () => {
  jest.setTimeout(180_000);
  const cwd = mkdtempSync(path.join(tmpdir(), 'ta-server-gen-'));
  const container = createContainer(loadConfig({ env: {}, cwd, overrides: { flakyReruns: 2 } }), { logger: silentLogger });
  const app = buildApp(container);
  afterAll(() => app.close());

  it('generates tests and answers the report', async () => {
    const module = path.join(cwd, 'calculator.py');
    copyFileSync(path.join(root, 'examples', 'calculator.py'), module);
    const res = await app.inject({ method: 'POST', url: '/v1/generations', payload: { path: module, outDir: path.join(cwd, 'out'), timeBudgetSeconds: 5 } });
    expect(res.statusCode).toBe(200);
    const report = res.json() as { targetMet: boolean; coverage: { percent: { combined: number } }; files: string[] };
    expect(report.targetMet).toBe(true);
    expect(report.coverage.percent.combined).toBeGreaterThanOrEqual(80);
    expect(report.files).toContain(path.join(cwd, 'out', 'test_calculator.py'));
    expect(existsSync(path.join(cwd, 'out', 'test_calculator.py'))).toBe(true);
  });

  it('rejects an invalid body with 400 problem+json naming the field', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/generations', payload: { path: 'x.py', targetCoverage: 140 } });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((res.json() as { detail: string }).detail).toMatch(/outDir|targetCoverage/);
  });

  it('maps a missing module to 400 with its code and counts the error', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/generations', payload: { path: path.join(cwd, 'nope.py'), outDir: path.join(cwd, 'out2') } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ title: 'TA_PATH_NOT_FOUND', status: 400 });
    const scrape = await container.get(TOKENS.MetricsExporter).render();
    expect(scrape).toMatch(/test_agent_errors_total\{code="TA_PATH_NOT_FOUND",component="server"\} 1/);
  });

  it('answers the chunks of a module', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/chunks', payload: { path: path.join(root, 'examples', 'shopping_cart.py') } });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { chunks: { startLine: number; endLine: number; kind: string }[] };
    expect(body.chunks).toHaveLength(1);
    expect(body.chunks[0]).toMatchObject({ startLine: 1, kind: 'module' });
  });
});
