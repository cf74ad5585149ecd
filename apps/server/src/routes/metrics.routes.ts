import type { FastifyInstance } from 'fastify';
import type { Container } from 'inversify';
import { TOKENS } from '@test-agent/composition';

/**
 * `/metrics`: every Test Agent metric in the Prometheus text format. Also counts each handled request in
 * `test_agent_requests_total{operation="<METHOD> <route>", status="<code>"}`.
 */
export function registerMetricsRoutes(app: FastifyInstance, container: Container): void {
  const metrics = container.get(TOKENS.Metrics);
  const exporter = container.get(TOKENS.MetricsExporter);
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.increment('test_agent_requests_total', {
      operation: `${request.method} ${route}`,
      status: String(reply.statusCode),
    });
  });
  app.get(
    '/metrics',
    { schema: { summary: 'Prometheus metrics (open unless metricsAuth is on)' } },
    async (_request, reply) => reply.type(exporter.contentType).send(await exporter.render()),
  );
}
