export {};
export * from './lib/testing/generation-world';
