import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// The real `bin/test-agent coverage` on small projects: the user's conftest and pytest configuration are
// honoured, the exit code says whether every test passed (0), some did not (11) or none ran (12), bad limits
// are usage errors (2), a module shadowing the standard library is invalid input (3), and Ctrl-C leaves no test
// process and no temp folder behind (130).
const root = path.resolve(__dirname, '../../../..');
const bin = path.join(root, 'bin', 'test-agent');
let work: string;
let temp: string;

const CALC = ['def add(a, b):', '    if a > 0:', '        return a + b', '    return b', ''].join('\n');

function project(name: string, files: Record<string, string>): string {
  const dir = path.join(work, name);
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), content);
  }
  return dir;
}

function cli(cwd: string, args: string[]) {
  const run = spawnSync(bin, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, LOG_LEVEL: 'error', TMPDIR: temp },
    timeout: 120_000,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

const runFolders = () => readdirSync(temp).filter((d) => d.startsWith('test-agent-run-'));

beforeAll(() => {
  work = realpathSync(mkdtempSync(path.join(tmpdir(), 'ta-cli-coverage-exit-')));
  temp = path.join(work, 'tmp');
  mkdirSync(temp);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('test-agent coverage exit codes', () => {
  jest.setTimeout(120_000);

  it('runs tests that need the conftest.py above their folder, as plain pytest does (exit 0)', () => {
    const dir = project('conftest_project', {
      'conftest.py': ['import pytest', '', '@pytest.fixture', 'def two():', '    return 2', ''].join('\n'),
      'calc.py': CALC,
      'tests/test_calc.py': ['from calc import add', '', 'def test_add(two):', '    assert add(two, 1) == 3', ''].join(
        '\n',
      ),
    });
    const { code, stdout, stderr } = cli(dir, ['--json', 'coverage', 'calc.py', '--tests', 'tests']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.tests).toEqual({ total: 1, passed: 1 });
    expect(result.problems).toEqual([]);
    expect(result.lines).toEqual({ covered: 3, total: 4 });
    expect(runFolders()).toEqual([]);
  });

  it('exits 11 when a test fails or a test module cannot be imported, after printing the figures and the problems', () => {
    const dir = project('failing_project', {
      'calc.py': CALC,
      'tests/test_calc.py': [
        'from calc import add',
        '',
        'def test_ok():',
        '    assert add(1, 1) == 2',
        '',
        'def test_wrong():',
        '    assert add(0, 1) == 2',
        '',
      ].join('\n'),
      'tests/test_broken.py': 'import module_that_does_not_exist\n',
    });
    const { code, stdout, stderr } = cli(dir, ['coverage', 'calc.py', '--tests', 'tests']);
    expect(code).toBe(11);
    expect(stdout).toContain('  lines         4 / 4     100.0 %\n');
    expect(stdout).toContain('\nFAILED tests/test_calc.py::test_wrong\n');
    expect(stdout).toContain('\nERROR tests/test_broken.py\n');
    expect(stderr).toBe(
      'coverage: 2 of 3 test(s) did not pass, 1 collection error(s): the coverage covers what ran (exit 11)\n',
    );
  });

  it('exits 12 when no test ran at all', () => {
    const dir = project('nothing_ran', {
      'calc.py': CALC,
      'tests/test_broken.py': 'import module_that_does_not_exist\n',
    });
    const { code, stdout, stderr } = cli(dir, ['coverage', 'calc.py', '--tests', 'tests']);
    expect(code).toBe(12);
    expect(stdout).toContain('  lines         0 / 4     0.0 %\n');
    expect(stderr).toBe(
      'coverage: no test ran (1 collection error(s)): the coverage shown is not a measurement of your tests (exit 12)\n',
    );
  });

  it.each([
    ['--timeout', 'abc'],
    ['--timeout', '0'],
    ['--run-timeout', '-5'],
    ['--timeout', '1.5'],
  ])('rejects %s %s as a usage error (exit 2)', (flag, value) => {
    const dir = project('usage', { 'calc.py': CALC, 'tests/test_calc.py': 'def test_ok():\n    pass\n' });
    const { code, stdout, stderr } = cli(dir, ['coverage', 'calc.py', '--tests', 'tests', flag, value]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      `error: option '${flag} <ms>' argument '${value}' is invalid. must be a whole number of milliseconds above 0\n`,
    );
  });

  it('explains a module that shadows a standard-library module (exit 3)', () => {
    const dir = project('shadow', {
      'types.py': CALC,
      'tests/test_types.py': 'from types import add\n\ndef test_add():\n    assert add(1, 1) == 2\n',
    });
    const { code, stderr } = cli(dir, ['coverage', 'types.py', '--tests', 'tests']);
    expect(code).toBe(3);
    expect(stderr).toBe(
      'error: types.py shadows the standard library module types, so tests cannot import it as yours; rename it\n',
    );
  });

  it('on Ctrl-C (SIGINT) kills the test processes, removes the temp folder and exits 130', async () => {
    // The sandbox lets the test write only in its run folder: it says it started there.
    const sleeper = `sleep 302.${process.pid}`;
    const dir = project('hanging', {
      'calc.py': CALC,
      'tests/test_hang.py': [
        'import subprocess, time',
        '',
        'def test_hangs():',
        `    subprocess.Popen(${JSON.stringify(sleeper.split(' '))})`,
        '    open("started", "w").close()',
        '    time.sleep(300)',
        '',
      ].join('\n'),
    });
    const cliProcess = spawn(bin, ['coverage', 'calc.py', '--tests', 'tests'], {
      cwd: dir,
      env: { ...process.env, LOG_LEVEL: 'error', TMPDIR: temp },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    cliProcess.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((resolve) => cliProcess.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 60_000;
    const started = () => runFolders().some((d) => existsSync(path.join(temp, d, 'cwd', 'started')));
    while (!started()) {
      if (Date.now() > deadline) throw new Error(`the test never started: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(runFolders()).toHaveLength(1);

    cliProcess.kill('SIGINT'); // to the CLI alone: the test processes are in their own (detached) group
    expect(await exited).toBe(130);
    expect(stderr).toBe('interrupted (SIGINT)\n');
    expect(runFolders()).toEqual([]);
    await new Promise((r) => setTimeout(r, 200));
    expect(spawnSync('pgrep', ['-f', sleeper], { encoding: 'utf8' }).stdout).toBe('');
  });
});
