import { existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvalidInputError } from '@test-agent/domain';
import { packageRoot } from '../../file-system/package-root';
import { resolveModuleTarget } from '../../file-system/python-source';
import { processCleanups } from '../../process/cleanup-registry';
import { processesMatching } from '../../testing/processes';
import { PythonEnvironment } from '../../python/python-environment';
import { PytestTestExecutor } from './pytest-test-executor.adapter';

// User tests (`testPaths`) run the way pytest runs them in their project: its conftests above the tests folder
// and its pytest configuration; the module is put on sys.path only after start-up, so a module named like a
// standard-library module cannot break the run; an interrupted run leaves no process group and no folder.
jest.setTimeout(120_000);

const venv = new PythonEnvironment({
  venvDir: path.join(packageRoot(), '.venv'),
  basePython: 'python3',
  pipArgs: ['--retries', '0'],
});
let work: string;
let tempRoot: string;
let executor: PytestTestExecutor;

/** Writes `files` (relative path → content) under a new project folder; returns its path. */
function project(name: string, files: Record<string, string>): string {
  const root = path.join(work, name);
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
  return root;
}

const CALC = ['def add(a, b):', '    if a > 0:', '        return a + b', '    return b', ''].join('\n');
const TWO_FIXTURE = ['import pytest', '', '@pytest.fixture', 'def two():', '    return 2', ''].join('\n');

beforeAll(async () => {
  await venv.ensure();
  work = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'ta-executor-project-')));
  tempRoot = path.join(work, 'runs');
  executor = new PytestTestExecutor(venv, { perTestTimeoutMs: 20_000, tempRoot, baseEnv: process.env });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('PytestTestExecutor on a user project', () => {
  it('honours the conftest.py above the tests folder (no configuration file)', async () => {
    const root = project('conftest_only', {
      'conftest.py': TWO_FIXTURE,
      'calc.py': CALC,
      'tests/test_calc.py': ['from calc import add', '', 'def test_add(two):', '    assert add(two, 1) == 3', ''].join(
        '\n',
      ),
    });
    const result = await executor.run({
      target: resolveModuleTarget(path.join(root, 'calc.py')),
      testPaths: [path.join(root, 'tests')],
    });
    expect(result.collectionErrors).toEqual([]);
    expect(result.outcomes.map((o) => [o.nodeId, o.status, o.error])).toEqual([
      ['tests/test_calc.py::test_add', 'passed', undefined],
    ]);
    expect(result.coverage.summary()).toEqual({
      lines: { covered: 3, total: 4 },
      branches: { covered: 1, total: 2 },
      percent: { line: 75, branch: 50, combined: (100 * 4) / 6 },
    });
  });

  it('reads the project configuration (pyproject.toml) and the conftests from its folder down', async () => {
    const root = project('pyproject', {
      'pyproject.toml': [
        '[project]',
        'name = "calc"',
        '',
        '[tool.pytest.ini_options]',
        'python_files = ["check_*.py"]',
        'python_functions = "check_*"',
        '',
      ].join('\n'),
      'conftest.py': TWO_FIXTURE,
      'src/calc.py': CALC,
      'src/tests/conftest.py': ['import pytest', '', '@pytest.fixture', 'def minus(two):', '    return -two', ''].join(
        '\n',
      ),
      'src/tests/check_calc.py': [
        'from calc import add',
        '',
        'def check_positive(two):',
        '    assert add(two, 1) == 3',
        '',
        'def check_negative(minus):',
        '    assert add(minus, 1) == 1',
        '',
        'def test_not_collected():',
        '    assert False',
        '',
      ].join('\n'),
    });
    const result = await executor.run({
      target: resolveModuleTarget(path.join(root, 'src', 'calc.py')),
      testPaths: [path.join(root, 'src', 'tests')],
    });
    expect(result.collectionErrors).toEqual([]);
    expect(result.outcomes.map((o) => [o.nodeId, o.status])).toEqual([
      ['src/tests/check_calc.py::check_positive', 'passed'],
      ['src/tests/check_calc.py::check_negative', 'passed'],
    ]);
    expect(result.coverage.summary().percent.combined).toBe(100);
  });

  it('keeps generated tests isolated from a project conftest and configuration', async () => {
    const root = project('isolated', {
      'pytest.ini': ['[pytest]', 'addopts = --no-such-option', ''].join('\n'),
      'conftest.py': [
        'def pytest_collection_modifyitems(items):',
        '    raise RuntimeError("project conftest loaded")',
        '',
      ].join('\n'),
      'calc.py': CALC,
    });
    const result = await executor.run({
      target: resolveModuleTarget(path.join(root, 'calc.py')),
      testFiles: [
        {
          name: 'test_generated.py',
          content: ['from calc import add', '', 'def test_add():', '    assert add(0, 2) == 2', ''].join('\n'),
        },
      ],
    });
    expect(result.collectionErrors).toEqual([]);
    expect(result.outcomes.map((o) => [o.nodeId, o.status])).toEqual([['test_generated.py::test_add', 'passed']]);
  });

  it('rejects a project configuration that pytest rejects, with pytest’s reason', async () => {
    const root = project('bad_config', {
      'setup.cfg': '[pytest]\naddopts = -q\n',
      'calc.py': CALC,
      'tests/test_calc.py': 'def test_ok():\n    pass\n',
    });
    const run = executor.run({
      target: resolveModuleTarget(path.join(root, 'calc.py')),
      testPaths: [path.join(root, 'tests')],
    });
    await expect(run).rejects.toThrow(InvalidInputError);
    await expect(run).rejects.toThrow(
      "pytest cannot use the project's configuration: [pytest] section in setup.cfg files is no longer supported, change to [tool:pytest] instead.",
    );
  });
});

describe('a module named like a standard-library module', () => {
  it('types.py: a clear invalid-input error, not an environment failure', async () => {
    const root = project('shadow_types', {
      'types.py': CALC,
      'tests/test_types.py': ['from types import add', '', 'def test_add():', '    assert add(1, 1) == 2', ''].join(
        '\n',
      ),
    });
    const run = executor.run({
      target: resolveModuleTarget(path.join(root, 'types.py')),
      testPaths: [path.join(root, 'tests')],
    });
    await expect(run).rejects.toThrow(InvalidInputError);
    await expect(run).rejects.toThrow(
      'types.py shadows the standard library module types, so tests cannot import it as yours; rename it',
    );
  });

  it('enum.py in a generated run: the same error', async () => {
    const root = project('shadow_enum', { 'enum.py': CALC });
    await expect(
      executor.run({
        target: resolveModuleTarget(path.join(root, 'enum.py')),
        testFiles: [{ name: 'test_enum.py', content: 'def test_ok():\n    pass\n' }],
      }),
    ).rejects.toThrow(
      'enum.py shadows the standard library module enum, so tests cannot import it as yours; rename it',
    );
  });

  it('mailbox.py (not imported by pytest or coverage.py): measured as the user’s module', async () => {
    const root = project('stdlib_name_ok', {
      'mailbox.py': CALC,
      'tests/test_mailbox.py': ['from mailbox import add', '', 'def test_add():', '    assert add(1, 1) == 2', ''].join(
        '\n',
      ),
    });
    const result = await executor.run({
      target: resolveModuleTarget(path.join(root, 'mailbox.py')),
      testPaths: [path.join(root, 'tests')],
    });
    expect(result.outcomes.map((o) => [o.nodeId, o.status])).toEqual([['tests/test_mailbox.py::test_add', 'passed']]);
    expect(result.coverage.lines).toEqual({ covered: 3, total: 4 });
  });
});

describe('an interrupted run', () => {
  it('leaves no process group and no run folder once the registered cleanups ran', async () => {
    const root = project('interrupted', { 'calc.py': CALC });
    // The sandbox lets the test write only in its run folder: it says it started there.
    const sleeper = `sleep 300.${process.pid}`;
    const content = [
      'import subprocess, time',
      '',
      'def test_hangs_with_a_child():',
      `    subprocess.Popen(${JSON.stringify(sleeper.split(' '))})`,
      '    open("started", "w").close()',
      '    time.sleep(300)',
      '',
    ].join('\n');
    const registered = processCleanups.size;
    const run = executor.run({
      target: resolveModuleTarget(path.join(root, 'calc.py')),
      testFiles: [{ name: 'test_hang.py', content }],
    });
    const settled = run.then(
      () => 'resolved',
      (e: unknown) => (e as Error).message,
    );
    const deadline = Date.now() + 60_000;
    const started = () =>
      readdirSync(tempRoot).some(
        (d) => d.startsWith('test-agent-run-') && existsSync(path.join(tempRoot, d, 'cwd', 'started')),
      );
    while (!started()) {
      if (Date.now() > deadline) throw new Error('the test never started');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(readdirSync(tempRoot).filter((d) => d.startsWith('test-agent-run-'))).toHaveLength(1);
    expect(processCleanups.size).toBeGreaterThanOrEqual(registered + 2); // the run folder and the process group

    expect(processCleanups.runAll()).toEqual([]);

    // Synchronously: the folder is gone, and the whole group (the background child included) got SIGKILL.
    expect(readdirSync(tempRoot).filter((d) => d.startsWith('test-agent-run-'))).toEqual([]);
    await new Promise((r) => setTimeout(r, 200));
    expect(processesMatching(sleeper)).toEqual([]);
    // The run stops instead of restarting pytest in a folder that is gone.
    expect(await settled).toBe('The test run was interrupted: Test Agent is shutting down');
    expect(processCleanups.size).toBe(registered);
  });
});
