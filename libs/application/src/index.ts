// Use cases and services of Test Agent's application layer. Each area adds its exports here.
export {};
export * from './lib/services/llm-test-parser/llm-test-parser.service';
export * from './lib/services/prompt-builder/prompt-builder.service';
export * from './lib/services/offline-search';
export * from './lib/use-cases/generate-tests.use-case';
export * from './lib/services/code-chunker/code-chunker.service';
export * from './lib/use-cases/chunk-module.use-case';
export * from './lib/use-cases/count-tokens.use-case';
export * from './lib/services/coverage-aggregator/coverage-aggregator.service';
export * from './lib/services/test-deduplicator/test-deduplicator.service';
export * from './lib/services/test-file-assembler/test-file-assembler.service';
export * from './lib/services/test-file-assembler/test-file-emitter.service';
export * from './lib/services/flakiness-checker/flakiness-checker.service';
export * from './lib/services/flakiness-checker/machine-perturbations';
export * from './lib/use-cases/measure-coverage.use-case';
export * from './lib/services/context-builder/module-skeleton';
export * from './lib/services/context-builder/context-builder.service';
export * from './lib/orchestrators/llm-test-generation.orchestrator';
