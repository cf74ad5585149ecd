import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import fastifyMultipart from '@fastify/multipart';
import fastifySwagger from '@fastify/swagger';
import fastifyPlugin from 'fastify-plugin';
import type { Container } from 'inversify';
import { TOKENS } from '@test-agent/composition';
import { TestAgentError, type ErrorKind } from '@test-agent/domain';
import { registerHealthRoutes } from './routes/health.routes';
import { registerGenerationRoutes } from './routes/generations.routes';
import { registerMetricsRoutes } from './routes/metrics.routes';
import { registerSourceRoutes } from './routes/sources.routes';
import { optionField } from './option-fields';
import { registerSecurity, HttpProblem } from './security';
import { archiveTooLarge } from './jobs/archive-sources';
import { SourceWork } from './sources/source-work';

const statusByKind: Record<ErrorKind, number> = {
  'invalid-input': 400,
  config: 500,
  environment: 503,
  external: 502,
  timeout: 504,
  internal: 500,
};

/** The part of the OpenAPI document that describes the upload field. */
interface UploadDocument {
  paths?: Record<
    string,
    { post?: { requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, object> } }> } } }
  >;
}

/** Whether the server is draining (after SIGTERM): shared by the routes that refuse work and the readiness probe. */
export interface Lifecycle {
  draining: boolean;
}

export interface AppOptions {
  /** Where the server keeps job folders and inline sources while it uses them (default: the OS temp folder). */
  readonly tmpDir?: string;
  /**
   * The built source-thread script (`source-thread.js` beside the server bundle): chunk previews and token counts
   * then run on `sourceThreads` worker threads. Without it (an embedder on the TypeScript sources) they run on the
   * event loop.
   */
  readonly sourceThreadScript?: string;
}

/**
 * Builds the HTTP app on a container: the probes, `/metrics`, `/openapi.json`, the jobs API (inline, server-side or
 * uploaded sources) and the chunk and token previews. `/v1` needs a bearer token (`apiTokens`); every request gets
 * an access-log line. Every error leaves as RFC 9457 problem+json, mapped here once. The app is decorated with
 * `generations` (its `drain` is the first step of a graceful shutdown).
 */
export function buildApp(container: Container, options: AppOptions = {}): FastifyInstance {
  const tmpDir = options.tmpDir ?? os.tmpdir();
  // Set once SIGTERM starts the drain: new work is refused (503) and readiness fails, so traffic moves elsewhere.
  const lifecycle: Lifecycle = { draining: false };
  // An unknown field is a 400 (Fastify's default would drop it silently: a misspelt option would be ignored).
  const app = Fastify({ logger: false, ajv: { customOptions: { removeAdditional: false } } });
  const logger = container.get(TOKENS.Logger).child('server');
  const metrics = container.get(TOKENS.Metrics);

  // A multipart body that fails before the handler runs is the client's: busboy's parse errors carry no status.
  const handled = new WeakSet<object>();
  app.addHook('preHandler', async (request) => {
    handled.add(request);
  });
  app.setErrorHandler((error, request, reply) => {
    let status = 500;
    let code = 'TA_INTERNAL';
    let detail = 'Unexpected failure';
    const statusCode = (error as { statusCode?: unknown }).statusCode;
    if (
      request.isMultipart() &&
      !handled.has(request) &&
      statusCode === undefined &&
      !(error instanceof TestAgentError)
    ) {
      status = 400;
      code = 'TA_BAD_UPLOAD';
      detail = `The multipart body cannot be read: ${(error as Error).message}`;
    } else if (error instanceof HttpProblem) {
      // The server's own refusals carry their status (503 while draining included).
      status = error.statusCode;
      code = error.code;
      detail = error.message;
    } else if (error instanceof TestAgentError) {
      status = statusByKind[error.kind];
      code = error.code;
      detail = `${error.message}${optionField(error.option)}`;
    } else if (
      typeof (error as { statusCode?: number }).statusCode === 'number' &&
      (error as { statusCode: number }).statusCode < 500
    ) {
      status = (error as { statusCode: number }).statusCode;
      code = (error as { code?: string }).code ?? 'TA_BAD_REQUEST';
      detail = (error as Error).message;
    }
    if (status >= 500 && !(error instanceof HttpProblem))
      logger.error('Request failed', { url: request.url, code, error: (error as Error).message });
    metrics.increment('test_agent_errors_total', { code, component: 'server' });
    void reply
      .status(status)
      .type('application/problem+json')
      .send({ type: `https://test-agent.dev/problems/${code}`, title: code, status, detail, instance: request.url });
  });
  app.setNotFoundHandler((request, reply) => {
    void reply
      .status(404)
      .type('application/problem+json')
      .send({
        type: 'about:blank',
        title: 'Not Found',
        status: 404,
        detail: `No route ${request.method} ${request.url}`,
        instance: request.url,
      });
  });

  const config = container.get(TOKENS.Config);
  const scratch = mkdtempSync(path.join(tmpDir, 'test-agent-sources-'));
  const sources = new SourceWork(container, scratch, {
    threads: config.sourceThreads ?? os.availableParallelism(),
    script: options.sourceThreadScript,
  });
  app.addHook('onClose', async () => {
    await sources.close();
    rmSync(scratch, { recursive: true, force: true });
  });
  registerSecurity(app, { apiTokens: config.apiTokens, metricsAuth: config.metricsAuth === 'on' }, logger);
  // After the body is read (refusing before it would reset a client still sending it).
  app.addHook('preHandler', async (request, reply) => {
    if (lifecycle.draining && request.method === 'POST') {
      void reply.header('Retry-After', '5');
      throw new HttpProblem(
        503,
        'TA_SHUTTING_DOWN',
        'This server is shutting down and takes no new work; try again (another replica)',
      );
    }
  });
  // The OpenAPI document is built from the routes' JSON schemas, so swagger comes before every route.
  void app.register(fastifySwagger, {
    // The upload's field is bytes: described so in the document, while the validator (which sees a Buffer) checks no type.
    transformObject: (documentObject) => {
      if (!('openapiObject' in documentObject)) return documentObject.swaggerObject;
      const { openapiObject } = documentObject;
      const upload = (openapiObject as UploadDocument).paths?.['/v1/generations']?.post?.requestBody?.content?.[
        'multipart/form-data'
      ]?.schema?.properties;
      if (upload?.archive) upload.archive = { ...upload.archive, type: 'string', format: 'binary' };
      return openapiObject;
    },
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Test Agent',
        version: '1',
        description: 'Generation jobs, chunk previews and token counts for Python code; probes and metrics.',
      },
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: "One of the server's API tokens (TEST_AGENT_API_TOKENS)",
          },
        },
      },
      security: [{ bearer: [] }],
    },
  });
  // Archive uploads (multipart/form-data, field `archive`): one file, bounded, read to memory and checked before use.
  void app.register(fastifyMultipart, {
    attachFieldsToBody: 'keyValues',
    limits: { fileSize: config.archiveMaxBytes, files: 1, fields: 20, fieldSize: 4096, parts: 21 },
    async onFile(part) {
      if (part.fieldname !== 'archive') {
        part.file.resume();
        throw new HttpProblem(
          400,
          'TA_BAD_UPLOAD',
          `Unexpected file field "${part.fieldname}": the sources go in the field "archive"`,
        );
      }
      try {
        await part.toBuffer();
      } catch (e) {
        if ((e as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw archiveTooLarge(config.archiveMaxBytes);
        throw e;
      }
    },
  });
  // One scope, not encapsulated, so the hooks and handlers above apply to every route.
  void app.register(
    fastifyPlugin(async (scope: FastifyInstance) => {
      registerHealthRoutes(scope, container, lifecycle);
      registerMetricsRoutes(scope, container);
      registerGenerationRoutes(scope, container, tmpDir, lifecycle, sources);
      registerSourceRoutes(scope, sources);
      scope.get('/openapi.json', { schema: { summary: 'This OpenAPI document', security: [] } }, async () =>
        scope.swagger(),
      );
    }),
  );
  return app;
}
