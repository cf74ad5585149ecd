import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { RouteOptions } from 'fastify';
import { createContainer, loadConfig } from '@test-agent/composition';
import { silentLogger } from '@test-agent/domain';
import { buildApp } from '../app';

interface Schema {
  properties?: Record<string, Schema & { enum?: string[] }>;
}

type Operation = {
  security?: unknown[];
  requestBody?: {
    content: Record<
      string,
      { schema: { properties?: Record<string, { type?: string; format?: string }>; required?: string[] } }
    >;
  };
};

describe('/openapi.json', () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'ta-openapi-'));
  const app = buildApp(
    createContainer(loadConfig({ env: {}, cwd, overrides: { apiTokens: ['t'] } }), { logger: silentLogger }),
  );
  // Every route the app really registers (the routes load when the app starts, after this hook is in place).
  const registered: string[] = [];
  app.addHook('onRoute', (route: RouteOptions) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') registered.push(`${method} ${route.url}`);
  });
  afterAll(() => app.close());

  it('is a valid OpenAPI 3 document, served without a token, listing every route', async () => {
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const document = res.json() as { openapi: string; paths: Record<string, Record<string, Operation>> };
    expect(document.openapi).toMatch(/^3\./);
    // The validator checks the document against the OpenAPI 3 schema (it mutates what it is given: a copy).
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeDefined();
    const listed = Object.entries(document.paths).flatMap(([url, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${url.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    expect(registered.length).toBeGreaterThanOrEqual(10);
    expect(listed.sort()).toEqual([...registered].sort());
    expect(registered).toEqual(
      expect.arrayContaining([
        'POST /v1/generations',
        'GET /v1/generations/:id/tests',
        'POST /v1/chunks',
        'POST /v1/tokens',
        'GET /health',
        'GET /metrics',
      ]),
    );
  });

  it('describes both bodies of POST /v1/generations and which routes need the bearer token', async () => {
    const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, Operation>>;
      security: unknown[];
    };
    const post = document.paths['/v1/generations'].post;
    expect(Object.keys(post.requestBody!.content).sort()).toEqual(['application/json', 'multipart/form-data']);
    const upload = post.requestBody!.content['multipart/form-data'].schema;
    expect(upload.properties!.archive).toMatchObject({ type: 'string', format: 'binary' });
    expect(upload.required).toEqual(['archive', 'target']);
    expect(upload.properties!.timeBudgetSeconds).toMatchObject({ type: 'number' });
    expect(document.security).toEqual([{ bearer: [] }]);
    expect(document.paths['/health'].get.security).toEqual([]);
    expect(document.paths['/v1/tokens'].post.security).toBeUndefined();
  });

  it("describes a job's answer: its state and its progress per module and chunk", async () => {
    const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content: Record<string, { schema: Schema }> }> }>
      >;
    };
    const job = document.paths['/v1/generations/{id}'].get.responses['200'].content['application/json'].schema;
    expect(job.properties!.state).toMatchObject({ enum: ['queued', 'running', 'completed', 'failed', 'cancelled'] });
    const progress = job.properties!.progress as Schema;
    const perModule = (progress.properties!.perModule as { items: Schema }).items;
    expect(Object.keys(perModule.properties!)).toEqual(
      expect.arrayContaining(['module', 'state', 'tests', 'combinedPercent', 'chunks']),
    );
    expect(Object.keys((perModule.properties!.chunks as Schema).properties!)).toEqual([
      'of',
      'round',
      'done',
      'current',
      'stopped',
    ]);
  });
});
