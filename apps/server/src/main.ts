import 'reflect-metadata';
import { createContainer, loadConfig, TOKENS } from '@test-agent/composition';
import { buildApp } from './app';

/** Composition root of the server: config from env, listen, close gracefully on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const config = loadConfig({ env: process.env, cwd: process.cwd() });
  const container = createContainer(config, { isTty: Boolean(process.stderr.isTTY) });
  const logger = container.get(TOKENS.Logger).child('server');
  const app = buildApp(container);
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  logger.info('Listening', { address: typeof address === 'string' ? address : `${address?.address}:${address?.port}` });
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info('Shutting down', { signal });
    app.close().then(
      () => process.exit(0),
      (e: unknown) => {
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
