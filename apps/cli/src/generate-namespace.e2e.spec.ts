import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// A src-layout project whose top package `acme` is a PEP 420 namespace package (no __init__.py) holding the regular
// package `acme.util`, which imports itself absolutely (`from acme.util import helpers`): `generate src` run from
// the project root imports both modules as the project does, from src/, and the written tests pass there.
const root = path.resolve(__dirname, '../../..');
const bin = path.join(root, 'bin', 'test-agent');

describe('generate on a src-layout project with a namespace package', () => {
  jest.setTimeout(300_000);
  let project: string;

  beforeAll(() => {
    project = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'ta-namespace-')));
    writeFileSync(path.join(project, 'pyproject.toml'), '[project]\nname = "acme-util"\nversion = "0.1.0"\n');
    const pkg = path.join(project, 'src', 'acme', 'util');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(path.join(pkg, '__init__.py'), '');
    writeFileSync(
      path.join(pkg, 'helpers.py'),
      'def shout(text):\n    if not text:\n        raise ValueError("empty")\n    return text.upper() + "!"\n',
    );
    writeFileSync(
      path.join(pkg, 'strings.py'),
      'from acme.util import helpers\n\n\ndef greet(name):\n    if name == "":\n        return "nobody"\n    return helpers.shout("hello " + name)\n',
    );
  });
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  it('imports acme.util.strings and acme.util.helpers from src/ and writes tests that pass from the project root', () => {
    const run = spawnSync(
      bin,
      [
        '--json',
        'generate',
        'src',
        '--out',
        'tests/generated',
        '--no-sandbox',
        '--time-budget',
        '5',
        '--progress',
        'json',
      ],
      {
        cwd: project,
        encoding: 'utf8',
        env: { ...process.env, LOG_LEVEL: 'error', LLM_PROVIDER: '', LLM_URL: '', VIRTUAL_ENV: '' },
      },
    );
    // stderr carries only the progress events, a JSON line each; on a failure the diff shows it.
    expect({ status: run.status, stderr: run.stderr }).toEqual({
      status: 0,
      stderr: expect.not.stringMatching(/error|warn|TA_[A-Z]/i),
    });
    const events = run.stderr
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { progress: { type: string; module: string; done?: number } }).progress);
    expect(
      events
        .filter((e) => e.type === 'module-start')
        .map((e) => e.module)
        .sort(),
    ).toEqual(['acme.util.helpers', 'acme.util.strings']);
    expect(events.filter((e) => e.type === 'module-done').map((e) => e.done)).toEqual([1, 2]);
    expect(events.find((e) => e.type === 'module-done')).toMatchObject({
      of: 2,
      tests: expect.any(Number),
      combinedPercent: 100,
    });
    const report = JSON.parse(run.stdout) as {
      modules: {
        module: string;
        file: string;
        testFile?: string;
        tests: number;
        error?: unknown;
        coverage: { percent: { combined: number } };
      }[];
    };
    expect(report.modules.map((m) => [m.module, path.relative(project, m.file), m.error])).toEqual([
      ['acme.util.helpers', 'src/acme/util/helpers.py', undefined],
      ['acme.util.strings', 'src/acme/util/strings.py', undefined],
    ]);
    for (const m of report.modules) {
      expect(m.tests).toBeGreaterThan(0);
      expect(m.coverage.percent.combined).toBe(100);
      expect(readFileSync(m.testFile as string, 'utf8')).toContain(`from ${m.module} import`);
    }
    expect(readFileSync(path.join(project, 'tests', 'generated', 'conftest.py'), 'utf8')).toContain(
      'for _root in ["../../src"]:',
    );

    // Under a pytest of the same Python version (the interpreter found on PATH may have none: /usr/bin/python3).
    const tests = spawnSync(
      path.join(root, '.venv', 'bin', 'python'),
      ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'tests/generated'],
      {
        cwd: project,
        encoding: 'utf8',
        env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
      },
    );
    expect({ status: tests.status, stdout: tests.stdout, stderr: tests.stderr }).toEqual({
      status: 0,
      stdout: expect.stringMatching(/\d+ passed/),
      stderr: '',
    });
    expect(tests.stdout).not.toMatch(/failed|error/);
  });
});
