import 'reflect-metadata';
import { Container } from 'inversify';
import type { TestAgentConfig } from './config/load-config';
import { coreModule, type CoreModuleOptions } from './modules/core.module';
import { pythonModule } from './modules/python.module';
import { llmModule } from './modules/llm.module';
import { observabilityModule } from './modules/observability.module';
import { generationModule } from './modules/generation.module';
import { codeModule } from './modules/code.module';

/** Builds the container with one module per area. Apps call this in their `main.ts` (the composition root). */
export function createContainer(config: TestAgentConfig, options: CoreModuleOptions = {}): Container {
  const container = new Container({ defaultScope: 'Singleton' });
  container.loadSync(
    coreModule(config, options),
    pythonModule(),
    observabilityModule(),
    llmModule(),
    generationModule(),
    codeModule(),
  );
  return container;
}
