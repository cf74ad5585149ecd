export {};
export * from './lib/testing/llm-stand-in.process';
