import Fastify, { type FastifyInstance } from 'fastify';
import type { Container } from 'inversify';
import { TOKENS } from '@test-agent/composition';
import { TestAgentError, type ErrorKind } from '@test-agent/domain';
import { registerHealthRoutes } from './routes/health.routes';
import { registerGenerationRoutes } from './routes/generations.routes';
import { registerMetricsRoutes } from './routes/metrics.routes';
import { registerSecurity } from './security';

const statusByKind: Record<ErrorKind, number> = {
  'invalid-input': 400,
  config: 500,
  environment: 503,
  external: 502,
  timeout: 504,
  internal: 500,
};

/**
 * Builds the HTTP app on a container. `/v1` needs a bearer token (`apiTokens`); every request gets an access-log
 * line. Every error leaves as RFC 9457 problem+json, mapped here once.
 */
export function buildApp(container: Container): FastifyInstance {
  const app = Fastify({ logger: false });
  const logger = container.get(TOKENS.Logger).child('server');
  const metrics = container.get(TOKENS.Metrics);

  app.setErrorHandler((error, request, reply) => {
    let status = 500;
    let code = 'TA_INTERNAL';
    let detail = 'Unexpected failure';
    if (error instanceof TestAgentError) {
      status = statusByKind[error.kind];
      code = error.code;
      detail = error.message;
    } else if (typeof (error as { statusCode?: number }).statusCode === 'number' && (error as { statusCode: number }).statusCode < 500) {
      status = (error as { statusCode: number }).statusCode;
      code = (error as { code?: string }).code ?? 'TA_BAD_REQUEST';
      detail = (error as Error).message;
    }
    if (status >= 500) logger.error('Request failed', { url: request.url, code, error: (error as Error).message });
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
      .send({ type: 'about:blank', title: 'Not Found', status: 404, detail: `No route ${request.method} ${request.url}`, instance: request.url });
  });

  const config = container.get(TOKENS.Config);
  registerSecurity(app, { apiTokens: config.apiTokens, metricsAuth: config.metricsAuth === 'on' }, logger);
  registerHealthRoutes(app, container);
  registerMetricsRoutes(app, container);
  registerGenerationRoutes(app, container);
  return app;
}
