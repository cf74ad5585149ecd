// Shared jest settings for every project. Transform with swc (no type checking here: `tsc` runs in its own step).
const path = require('node:path');

const root = __dirname;
const lib = (name, entry = 'index.ts') => path.join(root, 'libs', name, 'src', entry);

module.exports = {
  // tree-sitter's native addon must be loaded once per worker (see docs/TOOLCHAIN gotcha 1).
  testEnvironment: path.join(root, 'tools/jest/native-addons.environment.cjs'),
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'commonjs' },
        sourceMaps: 'inline',
      },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^@test-agent/domain$': lib('domain'),
    '^@test-agent/domain/testing$': lib('domain', 'testing.ts'),
    '^@test-agent/application$': lib('application'),
    '^@test-agent/application/testing$': lib('application', 'testing.ts'),
    '^@test-agent/infrastructure$': lib('infrastructure'),
    '^@test-agent/infrastructure/testing$': lib('infrastructure', 'testing.ts'),
    '^@test-agent/composition$': lib('composition'),
    '^tree-sitter$': path.join(root, 'tools/jest/tree-sitter.shim.cjs'),
    '^tree-sitter-python$': path.join(root, 'tools/jest/tree-sitter-python.shim.cjs'),
  },
  testMatch: ['**/?(*.)+(spec).ts'],
  testPathIgnorePatterns: ['/node_modules/', '/__fixtures__/'],
  clearMocks: true,
  // Every failing test once more at the end of a run (tools/ci/failures.cjs repeats them at the end of `make test`).
  reporters: [['default', { summaryThreshold: 0 }]],
};
