import { spawnSync } from 'node:child_process';
import path from 'node:path';

// The layering table of docs/ARCHITECTURE.md, checked through the real lint configuration: each case lints a
// probe file placed (virtually) inside a library and expects the named rule to fire.
const root = path.resolve(__dirname, '../..');
const eslintBin = path.join(root, 'node_modules', '.bin', 'eslint');

// ESLint runs as its own process (its config loader needs dynamic import, which jest's VM lacks).
async function ruleIdsFor(file: string, code: string): Promise<string[]> {
  const run = spawnSync(eslintBin, ['--format', 'json', '--stdin', '--stdin-filename', path.join(root, file)], {
    cwd: root,
    input: code,
    encoding: 'utf8',
    env: { ...process.env, NX_DAEMON: 'false' },
  });
  if (!run.stdout) throw new Error(`eslint failed: ${run.stderr}`);
  const [result] = JSON.parse(run.stdout) as { messages: { ruleId: string | null; message: string }[] }[];
  return result.messages.map((m) => m.ruleId ?? m.message);
}

describe('layering enforced by lint', () => {
  jest.setTimeout(60_000);

  it('rejects domain importing infrastructure', async () => {
    const ids = await ruleIdsFor(
      'libs/domain/src/lib/probe.ts',
      "import { WinstonLogger } from '@test-agent/infrastructure';\nexport const x = WinstonLogger;\n",
    );
    expect(ids).toContain('@nx/enforce-module-boundaries');
  });

  it('rejects application importing fs or node:fs', async () => {
    const plain = await ruleIdsFor(
      'libs/application/src/lib/probe.ts',
      "import { readFileSync } from 'fs';\nexport const x = readFileSync;\n",
    );
    const prefixed = await ruleIdsFor(
      'libs/application/src/lib/probe.ts',
      "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n",
    );
    expect(plain).toContain('no-restricted-imports');
    expect(prefixed).toContain('no-restricted-imports');
  });

  it('rejects npm packages in the core', async () => {
    const ids = await ruleIdsFor(
      'libs/domain/src/lib/probe.ts',
      "import axios from 'axios';\nexport const x = axios;\n",
    );
    expect(ids).toContain('@nx/enforce-module-boundaries');
  });

  it('rejects an app reaching past composition into infrastructure', async () => {
    const ids = await ruleIdsFor(
      'apps/cli/src/probe.ts',
      "import { WinstonLogger } from '@test-agent/infrastructure';\nexport const x = WinstonLogger;\n",
    );
    expect(ids).toContain('@nx/enforce-module-boundaries');
  });

  it('accepts application importing domain (whose name is also a Node built-in)', async () => {
    const ids = await ruleIdsFor(
      'libs/application/src/lib/probe.ts',
      "import { CoverageReport } from '@test-agent/domain';\nexport const x = CoverageReport;\n",
    );
    expect(ids).toEqual([]);
  });

  it('accepts infrastructure importing domain and npm packages', async () => {
    const ids = await ruleIdsFor(
      'libs/infrastructure/src/lib/probe.ts',
      "import axios from 'axios';\nimport { CoverageReport } from '@test-agent/domain';\nexport const x = [axios, CoverageReport];\n",
    );
    expect(ids).toEqual([]);
  });
});
