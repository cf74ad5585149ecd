import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createContainer, loadConfig } from '@test-agent/composition';
import { silentLogger } from '@test-agent/domain';
import { buildApp } from './app';

describe('server app', () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'ta-server-'));

  it('answers /health', async () => {
    const app = buildApp(createContainer(loadConfig({ env: {}, cwd }), { logger: silentLogger }));
    const res = await app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', app: 'test-agent' });
  });

  it('answers /health/ready with 503 and the failing check when the venv is missing', async () => {
    const config = loadConfig({ env: { TEST_AGENT_VENV: path.join(cwd, 'no-venv') }, cwd });
    const app = buildApp(createContainer(config, { logger: silentLogger }));
    const res = await app.inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(503);
    const body = res.json() as { status: string; checks: { name: string; ok: boolean }[] };
    expect(body.status).toBe('not-ready');
    expect(body.checks.find((c) => c.name === 'venv')?.ok).toBe(false);
  });

  it('answers unknown routes with problem+json', async () => {
    const app = buildApp(createContainer(loadConfig({ env: {}, cwd }), { logger: silentLogger }));
    const res = await app.inject({ method: 'GET', url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 404, title: 'Not Found', instance: '/nope' });
  });
});
