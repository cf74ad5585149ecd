import type { ServiceIdentifier } from 'inversify';
import type { HealthCheck, Logger } from '@test-agent/domain';
import type { PythonEnvironment } from '@test-agent/infrastructure';
import type { TestAgentConfig } from './config/load-config';

/** Service identifiers of the container. One symbol per service; `HealthCheck` is multi-bound. */
export const TOKENS = {
  Config: Symbol.for('TestAgent.Config') as ServiceIdentifier<TestAgentConfig>,
  Logger: Symbol.for('TestAgent.Logger') as ServiceIdentifier<Logger>,
  PythonEnvironment: Symbol.for('TestAgent.PythonEnvironment') as ServiceIdentifier<PythonEnvironment>,
  HealthCheck: Symbol.for('TestAgent.HealthCheck') as ServiceIdentifier<HealthCheck>,
} as const;
