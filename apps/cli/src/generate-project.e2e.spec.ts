import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// A user's project with its own venv (PyYAML and attrs from the configured index) and a src/ package with
// relative imports: `generate` run from the project root finds the venv by itself and never changes it.
const root = path.resolve(__dirname, '../../..');
const bin = path.join(root, 'bin', 'test-agent');

describe('generate on a project with its own venv', () => {
  jest.setTimeout(300_000);
  let project: string;
  let python: string;
  const freeze = () => execFileSync(python, ['-m', 'pip', 'freeze', '--all'], { encoding: 'utf8' });

  beforeAll(() => {
    project = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'ta-project-')));
    execFileSync('python3', ['-m', 'venv', path.join(project, '.venv')]);
    python = path.join(project, '.venv', 'bin', 'python');
    execFileSync(
      python,
      ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', '--retries', '0', 'pyyaml', 'attrs'],
      { stdio: 'inherit' },
    );
    writeFileSync(path.join(project, 'pyproject.toml'), '[project]\nname = "inventory"\nversion = "0.1.0"\n');
    const pkg = path.join(project, 'src', 'inventory');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(path.join(pkg, '__init__.py'), '');
    writeFileSync(
      path.join(pkg, 'units.py'),
      'FACTORS = {"g": 1, "kg": 1000}\n\n\ndef grams(amount, unit):\n    if unit not in FACTORS:\n        raise ValueError(f"unknown unit {unit}")\n    return amount * FACTORS[unit]\n',
    );
    writeFileSync(
      path.join(pkg, 'stock.py'),
      [
        'import attr',
        'import yaml',
        '',
        'from .units import grams',
        '',
        '',
        '@attr.s(auto_attribs=True)',
        'class Item:',
        '    name: str',
        '    weight: float',
        '',
        '    def heavy(self):',
        '        return self.weight > 1000',
        '',
        '',
        'def load(text):',
        '    data = yaml.safe_load(text)',
        '    if not isinstance(data, dict):',
        '        raise ValueError("expected a mapping")',
        '    return [Item(name, grams(amount, unit)) for name, (amount, unit) in sorted(data.items())]',
        '',
        '',
        'def total(items):',
        '    return sum(item.weight for item in items)',
        '',
      ].join('\n'),
    );
  });
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  it('finds .venv, writes passing tests reaching 80 %, and leaves pip freeze unchanged', () => {
    const before = freeze();
    const run = spawnSync(bin, ['--json', 'generate', 'src', '--out', 'tests/generated', '--time-budget', '15'], {
      cwd: project,
      encoding: 'utf8',
      env: { ...process.env, LOG_LEVEL: 'warn', LLM_PROVIDER: '', LLM_URL: '', VIRTUAL_ENV: '' },
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout) as {
      coverage: { percent: { combined: number } };
      python: { executable: string; source: string };
      files: string[];
    };
    expect(report.python).toMatchObject({ executable: python, source: '.venv' });
    // The tests mirror the package.
    const generated = path.join(project, 'tests', 'generated');
    expect(report.files).toEqual(
      expect.arrayContaining([
        path.join(generated, 'inventory', 'test_stock.py'),
        path.join(generated, 'inventory', 'test_units.py'),
      ]),
    );
    expect(report.coverage.percent.combined).toBeGreaterThanOrEqual(80);
    const md = readFileSync(path.join(project, 'tests', 'generated', 'test-agent-report.md'), 'utf8');
    expect(md).toContain(`Python: ${python}`);

    // The written tests pass under the project's own interpreter (the venv has no pytest: install it beside).
    const pytestDir = mkdtempSync(path.join(os.tmpdir(), 'ta-project-pytest-'));
    try {
      execFileSync(python, [
        '-m',
        'pip',
        'install',
        '-q',
        '--disable-pip-version-check',
        '--retries',
        '0',
        '--target',
        pytestDir,
        'pytest',
      ]);
      const tests = spawnSync(python, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'tests/generated'], {
        cwd: project,
        encoding: 'utf8',
        env: { ...process.env, PYTHONPATH: pytestDir, PYTHONDONTWRITEBYTECODE: '1' },
      });
      expect(tests.stdout).toMatch(/\d+ passed/);
      expect(tests.status).toBe(0);
    } finally {
      rmSync(pytestDir, { recursive: true, force: true });
    }
    expect(freeze()).toBe(before);
  });

  it("uses the project's own pytest and plugins: an addopts that needs pytest-mock works for coverage and generate", () => {
    const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'ta-project-mock-')));
    try {
      execFileSync('python3', ['-m', 'venv', path.join(dir, '.venv')]);
      const venvPython = path.join(dir, '.venv', 'bin', 'python');
      execFileSync(
        venvPython,
        ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', '--retries', '0', 'pytest-mock'],
        { stdio: 'inherit' },
      );
      writeFileSync(
        path.join(dir, 'pyproject.toml'),
        '[project]\nname = "m"\nversion = "0"\n\n[tool.pytest.ini_options]\naddopts = "-p pytest_mock"\n',
      );
      writeFileSync(
        path.join(dir, 'sizes.py'),
        'import os\n\n\ndef size(path):\n    if os.path.exists(path):\n        return os.path.getsize(path)\n    return -1\n',
      );
      mkdirSync(path.join(dir, 'tests'));
      writeFileSync(
        path.join(dir, 'tests', 'test_sizes.py'),
        'from sizes import size\n\n\ndef test_size(mocker):\n    mocker.patch("os.path.exists", return_value=False)\n    assert size("x") == -1\n',
      );
      const before = execFileSync(venvPython, ['-m', 'pip', 'freeze', '--all'], { encoding: 'utf8' });
      const env = { ...process.env, LOG_LEVEL: 'warn', LLM_PROVIDER: '', LLM_URL: '', VIRTUAL_ENV: '' };
      const coverage = spawnSync(bin, ['coverage', 'sizes.py', '--tests', 'tests'], {
        cwd: dir,
        encoding: 'utf8',
        env,
      });
      expect(coverage.stdout).toContain('tests: 1 (1 passed)');
      expect(coverage.status).toBe(0);
      const generate = spawnSync(bin, ['generate', 'sizes.py', '--out', 'tests/generated', '--time-budget', '5'], {
        cwd: dir,
        encoding: 'utf8',
        env,
      });
      expect(generate.status).toBe(0);
      expect(execFileSync(venvPython, ['-m', 'pip', 'freeze', '--all'], { encoding: 'utf8' })).toBe(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("--changed-since works only on the modules changed since a git ref and gives the changed lines' coverage", () => {
    const repo = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'ta-project-git-')));
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' });
    try {
      git('init', '-q');
      git('config', 'user.email', 'spec@example.invalid');
      git('config', 'user.name', 'spec');
      mkdirSync(path.join(repo, 'pkg'));
      writeFileSync(path.join(repo, 'pkg', '__init__.py'), '');
      writeFileSync(path.join(repo, 'pkg', 'alpha.py'), 'def add(a, b):\n    return a + b\n');
      writeFileSync(path.join(repo, 'pkg', 'beta.py'), 'def sign(x):\n    return 1 if x > 0 else -1\n');
      git('add', '-A');
      git('commit', '-qm', 'one');
      writeFileSync(
        path.join(repo, 'pkg', 'beta.py'),
        'def sign(x):\n    if x == 0:\n        return 0\n    return 1 if x > 0 else -1\n',
      );
      git('commit', '-qam', 'two');
      const env = { ...process.env, LOG_LEVEL: 'warn', LLM_PROVIDER: '', LLM_URL: '', VIRTUAL_ENV: '' };
      const run = spawnSync(
        bin,
        ['--json', 'generate', 'pkg', '--out', 'tests/gen', '--changed-since', 'HEAD~1', '--time-budget', '5'],
        { cwd: repo, encoding: 'utf8', env },
      );
      expect(run.status).toBe(0);
      const report = JSON.parse(run.stdout) as {
        modules: { module: string; changedLines?: { covered: number; total: number } }[];
        changedSince: unknown;
      };
      expect(report.modules.map((m) => m.module)).toEqual(['pkg.beta']);
      expect(report.modules[0].changedLines).toEqual({ covered: 2, total: 2, missing: [] });
      expect(report.changedSince).toEqual({ ref: 'HEAD~1', covered: 2, total: 2 });
      const unknown = spawnSync(bin, ['generate', 'pkg', '--out', 'tests/none', '--changed-since', 'no-such-ref'], {
        cwd: repo,
        encoding: 'utf8',
        env,
      });
      expect(unknown.status).toBe(3);
      expect(unknown.stderr.trim()).toBe('error: Unknown git reference "no-such-ref"');
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });
});
