// Lint = layering. The module-boundary rule encodes the table in docs/ARCHITECTURE.md (from shared DESIGN.md);
// domain and application additionally may not import Node built-ins or any npm package.
const nx = require('@nx/eslint-plugin');
const tseslint = require('typescript-eslint');
const { builtinModules } = require('node:module');

const nodeBuiltins = builtinModules.filter((m) => !m.startsWith('_'));
const coreBans = {
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        {
          // Anchored (`/fs`): a bare `domain` would also match `@test-agent/domain` (gitignore-style matching).
          group: ['node:*', ...nodeBuiltins.map((m) => `/${m}`), ...nodeBuiltins.map((m) => `/${m}/*`)],
          message:
            'The core (domain, application) may not use Node built-ins: add a port and an infrastructure adapter.',
        },
      ],
    },
  ],
  'no-restricted-globals': [
    'error',
    { name: 'process', message: 'The core may not read process state: take it as configuration.' },
    { name: 'require', message: 'The core may not load modules dynamically.' },
  ],
};

module.exports = [
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/tmp/**',
      '**/.nx/**',
      '**/.venv/**',
      '**/__fixtures__/**',
      '**/*.cjs',
      '**/*.js',
    ],
  },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:domain'], bannedExternalImports: ['*'] },
            {
              sourceTag: 'type:application',
              onlyDependOnLibsWithTags: ['type:domain', 'type:application'],
              bannedExternalImports: ['*'],
            },
            {
              sourceTag: 'type:infrastructure',
              onlyDependOnLibsWithTags: ['type:domain', 'type:application', 'type:infrastructure', 'type:tooling'],
            },
            {
              sourceTag: 'type:composition',
              onlyDependOnLibsWithTags: ['type:domain', 'type:application', 'type:infrastructure', 'type:composition'],
            },
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: ['type:composition', 'type:application', 'type:domain', 'type:tooling'],
            },
            {
              sourceTag: 'type:tooling',
              onlyDependOnLibsWithTags: [
                'type:domain',
                'type:application',
                'type:infrastructure',
                'type:composition',
                'type:tooling',
              ],
            },
          ],
        },
      ],
    },
  },
  { files: ['libs/domain/**/*.ts', 'libs/application/**/*.ts'], rules: coreBans },
  {
    // Readable units (issue 10): production files of the core and the adapters at most 400 lines, functions at most
    // 80 (blank lines and comments count). The Python worker's files are held to the same by its own pytest test.
    files: ['libs/application/**/*.ts', 'libs/infrastructure/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'max-lines': ['error', { max: 400, skipBlankLines: false, skipComments: false }],
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: false, skipComments: false }],
    },
  },
  {
    // Specs may use Node to read fixtures; the rule above still holds for production code.
    files: ['libs/domain/**/*.spec.ts', 'libs/application/**/*.spec.ts'],
    rules: { 'no-restricted-imports': 'off', 'no-restricted-globals': 'off' },
  },
];
