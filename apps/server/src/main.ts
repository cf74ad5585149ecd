import 'reflect-metadata';
import { createContainer, loadConfig, runCleanups, TOKENS } from '@test-agent/composition';
import { buildApp } from './app';

/** How long in-flight requests may finish after SIGTERM before their test processes are killed, in milliseconds. */
const SHUTDOWN_GRACE_MS = 10_000;

/**
 * Composition root of the server: config from env, listen, close gracefully on SIGTERM/SIGINT. In-flight
 * requests get `SHUTDOWN_GRACE_MS` to finish; then (or at once, on a second signal) the registered cleanups kill
 * their test processes and remove their temp folders, and the process exits.
 */
async function main(): Promise<void> {
  const config = loadConfig({ env: process.env, cwd: process.cwd() });
  const container = createContainer(config, { isTty: Boolean(process.stderr.isTTY) });
  const logger = container.get(TOKENS.Logger).child('server');
  const app = buildApp(container);
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
    logger.info('Shutting down', { signal });
    // Requests still running past the grace period lose their test processes, so close() can complete.
    const grace = setTimeout(() => cleanUp('shutdown grace period over'), SHUTDOWN_GRACE_MS);
    grace.unref();
    app.close().then(
      () => {
        clearTimeout(grace);
        cleanUp('shutdown');
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
