import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// Runs the real `bin/test-agent` (the bundled CLI) as a user would.
const root = path.resolve(__dirname, '../../..');
const bin = path.join(root, 'bin', 'test-agent');

function cli(args: string[], env: Record<string, string> = {}) {
  const cwd = mkdtempSync(path.join(tmpdir(), 'ta-cli-'));
  const run = spawnSync(bin, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, LOG_LEVEL: 'error', ...env },
    timeout: 120_000,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('test-agent CLI', () => {
  jest.setTimeout(120_000);

  it('lists its commands in --help', () => {
    const { code, stdout } = cli(['--help']);
    expect(code).toBe(0);
    for (const command of ['setup', 'doctor']) expect(stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    expect(stdout).toContain('--json');
  });

  it('prints its version', () => {
    expect(cli(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('exits 2 with a one-line message on an unknown flag', () => {
    const { code, stderr, stdout } = cli(['doctor', '--frobnicate']);
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toEqual(["error: unknown option '--frobnicate'"]);
    expect(stdout).toBe('');
  });

  it('exits 2 on an unknown command', () => {
    const { code, stderr } = cli(['frobnicate']);
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain("unknown command 'frobnicate'");
  });

  it('reports every invalid setting at once with exit 4 and no stack trace', () => {
    const { code, stderr } = cli(['doctor'], { LOG_LEVEL: 'loud', TEST_AGENT_TARGET_COVERAGE: '150' });
    expect(code).toBe(4);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^error: Invalid configuration: .*logLevel.*targetCoverage/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('shows the stack trace only with --verbose', () => {
    const { code, stderr } = cli(['--verbose', 'doctor'], { TEST_AGENT_TARGET_COVERAGE: '150' });
    expect(code).toBe(4);
    expect(stderr).toMatch(/TA_CONFIG_INVALID/);
    expect(stderr).toMatch(/\n\s+at /);
  });

  it('doctor reports OK for Node, Python and the venv after setup, as JSON too', () => {
    const human = cli(['doctor']);
    expect(human.stdout).toMatch(/^OK {3}node/m);
    expect(human.stdout).toMatch(/^OK {3}python {11}python3 3\.\d+/m);
    const json = cli(['--json', 'doctor']);
    const report = JSON.parse(json.stdout) as { ok: boolean; checks: { name: string; ok: boolean }[] };
    expect(report.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining(['node', 'python', 'venv', 'pytest', 'coverage.py']),
    );
    expect(json.code).toBe(report.ok ? 0 : 5);
  });

  it('doctor fails with the fix when the venv is missing', () => {
    const { code, stdout } = cli(['doctor'], { TEST_AGENT_VENV: path.join(tmpdir(), 'ta-no-such-venv') });
    expect(code).toBe(5);
    expect(stdout).toMatch(/^FAIL venv .*No Test Agent venv/m);
    expect(stdout).toMatch(/fix: Run "test-agent setup"/);
  });
});
