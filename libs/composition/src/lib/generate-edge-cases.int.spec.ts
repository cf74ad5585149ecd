import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '@test-agent/domain';
import { createTestAgent } from './create-test-agent';

// Runs that must stay honest and leave the user's files alone: real offline engine, real pytest + coverage.py.
const python = path.join(path.resolve(__dirname, '../../../..'), '.venv', 'bin', 'python');
const agent = createTestAgent({ flakyReruns: 1, timeBudgetSeconds: 3 }, { logger: silentLogger });

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ta-edge-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

const pytest = (folder: string) =>
  spawnSync(python, ['-m', 'pytest', '-q', '--color=no', '-p', 'no:cacheprovider', folder], {
    cwd: tmpdir(),
    encoding: 'utf8',
  });
const DOUBLE = 'def double(x: int) -> int:\n    if x > 10:\n        return x\n    return 2 * x\n';

describe('generate: honest totals and safe writes', () => {
  jest.setTimeout(180_000);

  it('fails when no module of a folder can be tested, writing nothing', async () => {
    const dir = project({ 'src/a.py': 'import not_a_real_module_xyz\n', 'src/b.py': 'raise RuntimeError("no")\n' });
    await expect(agent.generate({ path: path.join(dir, 'src'), outDir: path.join(dir, 'out') })).rejects.toMatchObject({
      code: 'TA_NOTHING_TESTABLE',
      kind: 'invalid-input',
    });
    expect(existsSync(path.join(dir, 'out'))).toBe(false);
  });

  it('does not call the target met when a module could not be tested', async () => {
    const dir = project({ 'src/good.py': DOUBLE, 'src/bad.py': 'import not_a_real_module_xyz\n' });
    const report = await agent.generate({
      path: path.join(dir, 'src'),
      outDir: path.join(dir, 'out'),
      targetCoverage: 50,
    });
    expect(report.modules.find((m) => m.module === 'good')?.coverage.percent.combined).toBe(100);
    const bad = report.modules.find((m) => m.module === 'bad');
    expect(bad?.error?.message).toMatch(/not_a_real_module_xyz/);
    // Honest totals: its statement counts as uncovered, and the report says why the target is missed.
    expect(bad?.coverage.lines).toEqual({ covered: 0, total: 1 });
    expect(report.coverage.lines.total).toBe(report.modules.reduce((n, m) => n + m.coverage.lines.total, 0));
    expect(report.targetMet).toBe(false);
    expect(report.targetMissedBecause).toEqual([expect.stringContaining('1 of 2 modules could not be tested (bad)')]);
  });

  it('skips a second module importable under the same name instead of overwriting its tests', async () => {
    const dir = project({
      'tree/scripts/utils.py': DOUBLE,
      'tree/tools/utils.py': 'def triple(x):\n    return 3 * x\n',
    });
    const report = await agent.generate({ path: path.join(dir, 'tree'), outDir: path.join(dir, 'out') });
    const [first, second] = report.modules;
    expect(first.testFile).toBe(path.join(dir, 'out', 'test_utils.py'));
    expect(second.error?.code).toBe('TA_AMBIGUOUS_MODULE');
    expect(report.targetMet).toBe(false);
    expect(pytest(path.join(dir, 'out')).status).toBe(0);
  });

  it("writes into a subfolder when the output folder has the user's conftest.py, and the tests run", async () => {
    const dir = project({
      'calc.py': DOUBLE,
      'tests/conftest.py': 'import pytest\n\n@pytest.fixture\ndef two():\n    return 2\n',
    });
    const report = await agent.generate({ path: path.join(dir, 'calc.py'), outDir: path.join(dir, 'tests') });
    expect(report.modules[0].testFile).toBe(path.join(dir, 'tests', 'test_agent', 'test_calc.py'));
    expect(readFileSync(path.join(dir, 'tests', 'conftest.py'), 'utf8')).toContain('def two():');
    const run = pytest(path.join(dir, 'tests'));
    expect(run.stdout).toMatch(/passed/);
    expect(run.status).toBe(0);
  });

  it('keeps earlier import roots in its conftest.py and never replaces one edited by hand', async () => {
    const dir = project({ 'one/calc.py': DOUBLE, 'two/shapes.py': 'def area(w, h):\n    return w * h\n' });
    const out = path.join(dir, 'out');
    await agent.generate({ path: path.join(dir, 'one', 'calc.py'), outDir: out });
    await agent.generate({ path: path.join(dir, 'two', 'shapes.py'), outDir: out });
    expect(readFileSync(path.join(out, 'conftest.py'), 'utf8')).toContain('for _root in ["../one", "../two"]:');
    expect(pytest(out).status).toBe(0);
    const edited = `${readFileSync(path.join(out, 'conftest.py'), 'utf8')}\nEXTRA = 1\n`;
    writeFileSync(path.join(out, 'conftest.py'), edited);
    await agent.generate({ path: path.join(dir, 'one', 'calc.py'), outDir: out });
    expect(readFileSync(path.join(out, 'conftest.py'), 'utf8')).toBe(edited);
  });

  it('searches with the environment the tests will run with, and writes none of its values into a test', async () => {
    const dir = project({
      'svc.py':
        'import os\n\nBASE = os.environ["TA_EDGE_SERVICE_BASE"]\n\n\ndef url(path: str) -> str:\n    if not path:\n        raise ValueError("empty path")\n    return BASE + "/" + path\n',
    });
    process.env.TA_EDGE_SERVICE_BASE = 'http://svc.local';
    try {
      // The module imports only with the variable set: the search ran with the environment the tests get.
      const report = await agent.generate({ path: path.join(dir, 'svc.py'), outDir: path.join(dir, 'out') });
      expect(report.modules[0].error).toBeUndefined();
      expect(report.modules[0].tests).toBeGreaterThan(0);
      // Results showing the machine's value are not asserted: the test would break on another machine.
      expect(readFileSync(path.join(dir, 'out', 'test_svc.py'), 'utf8')).not.toContain('http://svc.local');
    } finally {
      delete process.env.TA_EDGE_SERVICE_BASE;
    }
  });

  it('tests a function slower than the default call limit when the limit is raised', async () => {
    const dir = project({
      'slow.py': 'import time\n\n\ndef slow(x: int) -> int:\n    time.sleep(1.2)\n    return x + 1\n',
    });
    const patient = await agent.generate({
      path: path.join(dir, 'slow.py'),
      outDir: path.join(dir, 'out'),
      timeBudgetSeconds: 2,
      callTimeoutMs: 3000,
    });
    expect(patient.modules[0].tests).toBeGreaterThan(0);
    expect(patient.modules[0].coverage.percent.combined).toBe(100);
  });

  it('measures a module without tests by importing it, as coverage.py sees it', async () => {
    const dir = project({
      'pkg/shop/__init__.py': 'from .pricing import total\n\nVERSION = "1"\n',
      'pkg/shop/pricing.py': 'def total(xs):\n    return sum(xs)\n',
    });
    const report = await agent.generate({ path: path.join(dir, 'pkg', 'shop'), outDir: path.join(dir, 'out') });
    const init = report.modules.find((m) => m.module === 'shop');
    expect(init?.testFile).toBeUndefined();
    expect(init?.coverage.lines).toEqual({ covered: 2, total: 2 });
  });

  it("starts from the project's own tests: their coverage is the baseline, earlier generated tests left out of it", async () => {
    const dir = project({
      'pyproject.toml': '[tool.pytest.ini_options]\npythonpath = ["src"]\n',
      'src/calc.py': DOUBLE,
      'tests/conftest.py': 'import pytest\n\n\n@pytest.fixture\ndef big():\n    return 11\n',
      'tests/test_mine.py': 'from calc import double\n\n\ndef test_big(big):\n    assert double(big) == 11\n',
      // A stale generated file under the output folder would cover everything: it must not count as the user's.
      'tests/generated/test_calc.py':
        'from calc import double\n\n\ndef test_all():\n    assert double(1) == 2\n    assert double(11) == 11\n',
    });
    const report = await agent.generate({
      path: path.join(dir, 'src'),
      outDir: path.join(dir, 'tests', 'generated'),
      existingTests: path.join(dir, 'tests'),
      force: true,
    });
    const [calc] = report.modules;
    // The user's test (with its conftest fixture) reaches the x > 10 path: 3 of 4 lines, 1 of 2 branches.
    expect(calc.existingTests).toMatchObject({ lines: { covered: 3, total: 4 }, branches: { covered: 1, total: 2 } });
    expect(calc.coverage.percent.combined).toBe(100);
    expect(report.existingTests?.coverage.lines).toEqual({ covered: 3, total: 4 });
    // Only the gap was aimed at: every generated test takes the other path.
    const generated = readFileSync(calc.testFile as string, 'utf8');
    expect(generated).not.toMatch(/double\((1[1-9]|[2-9]\d|\d{3,})\)/);
    expect(pytest(path.join(dir, 'tests')).status).toBe(0);
  });
});
