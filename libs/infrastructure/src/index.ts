export * from './lib/logging/winston-logger';
export * from './lib/python/python-environment';
export * from './lib/file-system/package-root';
export * from './lib/file-system/python-source';
export * from './lib/health/python-health-check';
