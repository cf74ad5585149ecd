import 'reflect-metadata';
import path from 'node:path';
import { createContainer, loadConfig, runCleanups, TOKENS } from '@test-agent/composition';
import { buildApp } from './app';

/** How long in-flight requests may finish after the drain before their test processes are killed, in milliseconds. */
const SHUTDOWN_GRACE_MS = 10_000;

/**
 * Composition root of the server: config from env, listen, drain and close on SIGTERM/SIGINT. The drain stops
 * intake (new POSTs answer 503, readiness 503) and lets running jobs finish for up to `drainTimeoutSeconds`
 * (in-process: queued jobs and the rest cancelled; with Redis: queued jobs left to the other replicas, the rest
 * handed back to the queue); the server then closes (in-flight requests get `SHUTDOWN_GRACE_MS`),
 * the registered cleanups kill what is left and remove temp folders, and the process exits 0. A second signal stops
 * at once.
 */
async function main(): Promise<void> {
  const config = loadConfig({ env: process.env, cwd: process.cwd() });
  const container = createContainer(config, { isTty: Boolean(process.stderr.isTTY) });
  const logger = container.get(TOKENS.Logger).child('server');
  // The bundle's thread script sits beside this one (tools/build/build.cjs builds both).
  const app = buildApp(container, { sourceThreadScript: path.join(__dirname, 'source-thread.js') });
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  logger.info('Listening', { address: typeof address === 'string' ? address : `${address?.address}:${address?.port}` });
  let closing = false;
  const cleanUp = (why: string) => {
    for (const error of runCleanups()) logger.warn('Cleanup failed', { why, error: error.message });
  };
  const shutdown = (signal: string) => {
    if (closing) {
      logger.warn('Second signal: stopping now', { signal });
      cleanUp(`second ${signal}`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    closing = true;
    logger.info('Shutting down: draining', { signal, drainTimeoutSeconds: config.drainTimeoutSeconds });
    let grace: NodeJS.Timeout | undefined;
    app.generations
      .drain(config.drainTimeoutSeconds * 1000)
      .then((outcome) => {
        logger.info('Drained', { ...outcome });
        // Requests still running past the grace period lose their test processes, so close() can complete.
        grace = setTimeout(() => cleanUp('shutdown grace period over'), SHUTDOWN_GRACE_MS);
        grace.unref();
        return app.close();
      })
      .then(
        () => {
          clearTimeout(grace);
          cleanUp('shutdown');
          logger.info('Stopped');
          process.exit(0);
        },
        (e: unknown) => {
          clearTimeout(grace);
          cleanUp('failed shutdown');
          logger.error('Shutdown failed', { error: (e as Error).message });
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((e: unknown) => {
  process.stderr.write(`error: ${(e as Error).message}\n`);
  process.exit(e && typeof e === 'object' && 'kind' in e && e.kind === 'config' ? 4 : 1);
});
