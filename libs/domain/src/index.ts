export * from './lib/result';
export * from './lib/errors/test-agent.error';
export * from './lib/value-objects/module-target.value-object';
export * from './lib/value-objects/coverage-report.value-object';
export * from './lib/interfaces/test-executor.port';
export * from './lib/interfaces/logger.port';
export * from './lib/interfaces/health-check.port';
