// Python source as text, for the code that writes and merges tests: one tokenizer, and name scanning, renaming
// and unique names built on it.
export * from './python-tokens';
export * from './names';
export * from './renaming';
export * from './unique-names';
