import { copyFileSync, existsSync, mkdtempSync, symlinkSync } from 'node:fs';
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
  const examples = path.join(root, 'examples');
  const container = createContainer(loadConfig({ env: {}, cwd, overrides: { flakyReruns: 2, apiTokens: ['spec-token'], serverRoots: [cwd, examples], maxTimeBudgetSeconds: 60 } }), { logger: silentLogger });
  const app = buildApp(container);
  const auth = { authorization: 'Bearer spec-token' };
  afterAll(() => app.close());

  it('generates tests and answers the report', async () => {
    const module = path.join(cwd, 'calculator.py');
    copyFileSync(path.join(root, 'examples', 'calculator.py'), module);
    const res = await app.inject({ method: 'POST', url: '/v1/generations', headers: auth, payload: { path: module, outDir: path.join(cwd, 'out'), timeBudgetSeconds: 5 } });
    expect(res.statusCode).toBe(200);
    const report = res.json() as { targetMet: boolean; coverage: { percent: { combined: number } }; files: string[] };
    expect(report.targetMet).toBe(true);
    expect(report.coverage.percent.combined).toBeGreaterThanOrEqual(80);
    expect(report.files).toContain(path.join(cwd, 'out', 'test_calculator.py'));
    expect(existsSync(path.join(cwd, 'out', 'test_calculator.py'))).toBe(true);
  });

  it('rejects an invalid body with 400 problem+json naming the field', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/generations', headers: auth, payload: { path: 'x.py', targetCoverage: 140 } });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((res.json() as { detail: string }).detail).toMatch(/outDir|targetCoverage/);
  });

  it('maps a missing module to 400 with its code and counts the error', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/generations', headers: auth, payload: { path: path.join(cwd, 'nope.py'), outDir: path.join(cwd, 'out2') } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ title: 'TA_PATH_NOT_FOUND', status: 400 });
    const scrape = await container.get(TOKENS.MetricsExporter).render();
    expect(scrape).toMatch(/test_agent_errors_total\{code="TA_PATH_NOT_FOUND",component="server"\} 1/);
  });

  it('answers the chunks of a module', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/chunks', headers: auth, payload: { path: path.join(examples, 'shopping_cart.py') } });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { chunks: { startLine: number; endLine: number; kind: string }[] };
    expect(body.chunks).toHaveLength(1);
    expect(body.chunks[0]).toMatchObject({ startLine: 1, kind: 'module' });
  });

  it('refuses a request without a valid token (401), with no body read', async () => {
    const none = await app.inject({ method: 'POST', url: '/v1/chunks', payload: { path: path.join(examples, 'shopping_cart.py') } });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(none.json()).toMatchObject({ title: 'TA_UNAUTHENTICATED', status: 401 });
    const wrong = await app.inject({ method: 'POST', url: '/v1/chunks', headers: { authorization: 'Bearer spec-tokeN' }, payload: { path: path.join(examples, 'shopping_cart.py') } });
    expect(wrong.statusCode).toBe(401);
    expect(JSON.stringify(wrong.json())).not.toContain('spec-token');
    // Probes stay open.
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
  });

  it('refuses server-side paths outside serverRoots (403), symbolic links and .. included', async () => {
    const outside = await app.inject({ method: 'POST', url: '/v1/chunks', headers: auth, payload: { path: path.join(root, 'tools', 'bench', 'chunking', 'ast_chunker.py') } });
    expect(outside.statusCode).toBe(403);
    expect(outside.json()).toMatchObject({ title: 'TA_PATH_OUTSIDE_SERVER_ROOTS' });
    const dotted = await app.inject({ method: 'POST', url: '/v1/chunks', headers: auth, payload: { path: path.join(examples, '..', 'tools', 'bench', 'chunking', 'ast_chunker.py') } });
    expect(dotted.statusCode).toBe(403);
    symlinkSync(path.join(root, 'tools', 'bench', 'chunking', 'ast_chunker.py'), path.join(cwd, 'link.py'));
    const linked = await app.inject({ method: 'POST', url: '/v1/chunks', headers: auth, payload: { path: path.join(cwd, 'link.py') } });
    expect(linked.statusCode).toBe(403);
    const out = await app.inject({ method: 'POST', url: '/v1/generations', headers: auth, payload: { path: path.join(examples, 'calculator.py'), outDir: path.join(tmpdir(), 'ta-elsewhere') } });
    expect(out.statusCode).toBe(403);
    expect(existsSync(path.join(tmpdir(), 'ta-elsewhere'))).toBe(false);
  });

  it('refuses a budget over the configured limit (400) and a huge body (413)', async () => {
    const budget = await app.inject({ method: 'POST', url: '/v1/generations', headers: auth, payload: { path: path.join(examples, 'calculator.py'), outDir: path.join(cwd, 'out3'), timeBudgetSeconds: 100000 } });
    expect(budget.statusCode).toBe(400);
    expect(budget.json()).toMatchObject({ title: 'TA_BUDGET_TOO_LARGE' });
    const huge = await app.inject({ method: 'POST', url: '/v1/chunks', headers: { ...auth, 'content-type': 'application/json' }, payload: JSON.stringify({ path: 'x'.repeat(5 * 1024 * 1024) }) });
    expect(huge.statusCode).toBe(413);
  });
});
