// Test doubles of the domain's ports (Fake<Port>, InMemory<Port>) and object mothers. Imported by specs only.
export {};
export * from './lib/testing/fake-llm-client';
export * from './lib/testing/in-memory-metrics';
export * from './lib/testing/capturing-logger';
export * from './lib/testing/in-memory-test-file-store';
export * from './lib/testing/scripted-test-executor';
export * from './lib/testing/fake-token-counter';
export * from './lib/testing/in-memory-python-source-reader';
export * from './lib/testing/fake-execution-sandbox';
