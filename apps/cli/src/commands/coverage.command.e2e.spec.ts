import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// Runs the real `bin/test-agent coverage` on the executor's hand-counted fixture (18 statements, 10 branches).
const root = path.resolve(__dirname, '../../../..');
const bin = path.join(root, 'bin', 'test-agent');
const fixture = path.join(root, 'libs/infrastructure/src/lib/adapters/pytest-executor/__fixtures__/shop_project');
let project: string;

function cli(args: string[], env: Record<string, string> = {}) {
  const run = spawnSync(bin, args, {
    cwd: project,
    encoding: 'utf8',
    env: { ...process.env, LOG_LEVEL: 'error', ...env },
    timeout: 120_000,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

beforeAll(() => {
  project = path.join(realpathSync(mkdtempSync(path.join(tmpdir(), 'ta-cli-coverage-'))), 'shop_project');
  cpSync(fixture, project, { recursive: true });
});
afterAll(() => rmSync(path.dirname(project), { recursive: true, force: true }));

describe('test-agent coverage', () => {
  jest.setTimeout(120_000);

  it('prints line, branch and combined coverage as coverage.py counts them, and a per-chunk table (--json)', () => {
    const { code, stdout, stderr } = cli(['coverage', 'shop/pricing.py', '--tests', 'tests', '--json'], {
      TEST_AGENT_CHUNK_STRATEGY: 'function',
      TEST_AGENT_SMALL_MODULE_TOKENS: '20',
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.lines).toEqual({ covered: 14, total: 18 });
    expect(result.branches).toEqual({ covered: 7, total: 10 });
    expect(result.percent).toEqual({ line: (100 * 14) / 18, branch: 70, combined: 75 });
    expect(result.module).toBe('shop.pricing');
    expect(result.tests).toEqual({ total: 4, passed: 4 });
    const chunks = result.chunks as {
      startLine: number;
      endLine: number;
      summary: { lines: { covered: number; total: number }; branches: { covered: number; total: number } };
    }[];
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks[0].startLine).toBe(1);
    expect(chunks.at(-1)?.endLine).toBe(27);
    const sum = (pick: (c: (typeof chunks)[number]) => number) => chunks.reduce((n, c) => n + pick(c), 0);
    expect([sum((c) => c.summary.lines.covered), sum((c) => c.summary.lines.total)]).toEqual([14, 18]);
    expect([sum((c) => c.summary.branches.covered), sum((c) => c.summary.branches.total)]).toEqual([7, 10]);
  });

  it('prints a readable summary', () => {
    const { code, stdout } = cli(['coverage', 'shop/pricing.py', '--tests', 'tests/test_pricing.py']);
    expect(code).toBe(0);
    expect(stdout).toContain(
      '  lines        14 / 18    77.8 %\n  branches      7 / 10    70.0 %\n  combined     21 / 28    75.0 %\n',
    );
    expect(stdout).toContain('  missing lines: 11, 25-27\n  missing branches: 9->11, 25->26, 25->27\n');
  });

  it('exits 3 for a missing module', () => {
    const { code, stderr, stdout } = cli(['coverage', 'shop/nope.py', '--tests', 'tests']);
    expect(code).toBe(3);
    expect(stderr.trim()).toBe('error: No such file or directory: shop/nope.py');
    expect(stdout).toBe('');
  });
});
