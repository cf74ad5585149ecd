import { ContainerModule } from 'inversify';
import type { Logger } from '@test-agent/domain';
import { WinstonLogger } from '@test-agent/infrastructure';
import { secretsOf, type TestAgentConfig } from '../config/load-config';
import { TOKENS } from '../tokens';

export interface CoreModuleOptions {
  /** Use this logger instead of building one from config (embedders, tests). */
  readonly logger?: Logger;
  /** Whether stderr is a terminal (decides `logFormat: auto`). */
  readonly isTty?: boolean;
}

/** Configuration and logging. */
export const coreModule = (config: TestAgentConfig, options: CoreModuleOptions = {}) =>
  new ContainerModule(({ bind }) => {
    bind(TOKENS.Config).toConstantValue(config);
    bind(TOKENS.Logger)
      .toDynamicValue(
        () =>
          options.logger ??
          WinstonLogger.create({
            level: config.logLevel,
            format: config.logFormat === 'auto' ? (options.isTty ? 'pretty' : 'json') : config.logFormat,
            secrets: secretsOf(config),
          }),
      )
      .inSingletonScope();
  });
