import type { FastifyInstance } from 'fastify';
import type { Container } from 'inversify';
import { TOKENS } from '@test-agent/composition';

/**
 * `/health`: the process is alive. `/health/ready`: every health check passes, the job queue's (Redis) included
 * (503 otherwise, and while draining).
 */
export function registerHealthRoutes(
  app: FastifyInstance,
  container: Container,
  lifecycle: { readonly draining: boolean },
): void {
  app.get('/health', { schema: { summary: 'Liveness: the process answers', security: [] } }, async () => ({
    status: 'ok',
    app: 'test-agent',
  }));
  app.get(
    '/health/ready',
    { schema: { summary: 'Readiness: every health check passes (503 otherwise)', security: [] } },
    async (_request, reply) => {
      if (lifecycle.draining) return reply.status(503).send({ status: 'draining', checks: [] });
      // The container's checks (Python, pytest, the tokenizer, LLM endpoints) and the job queue's (Redis).
      const checks = (
        await Promise.all([...container.getAll(TOKENS.HealthCheck).map((c) => c.run()), app.generations.health()])
      ).flat();
      const ready = checks.every((c) => c.ok);
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not-ready', checks });
    },
  );
}
