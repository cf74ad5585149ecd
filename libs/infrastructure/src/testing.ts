export {};
export * from './lib/testing/llm-stand-in.process';
export * from './lib/testing/processes';
