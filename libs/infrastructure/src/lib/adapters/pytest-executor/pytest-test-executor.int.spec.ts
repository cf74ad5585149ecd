import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ModuleTarget } from '@test-agent/domain';
import { packageRoot } from '../../file-system/package-root';
import { resolveModuleTarget } from '../../file-system/python-source';
import { PythonEnvironment } from '../../python/python-environment';
import { PytestTestExecutor } from './pytest-test-executor.adapter';
import { processesMatching } from '../../testing/processes';

// Real pytest + coverage.py in temp folders, against a fixture whose coverage was counted by hand
// (see the comments in __fixtures__/shop_project/shop/pricing.py).
jest.setTimeout(120_000);

const venv = new PythonEnvironment({
  venvDir: path.join(packageRoot(), '.venv'),
  basePython: 'python3',
  pipArgs: ['--retries', '0'],
});
let work: string;
let project: string;
let target: ModuleTarget;

beforeAll(async () => {
  await venv.ensure();
  work = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'ta-executor-')));
  project = path.join(work, 'shop_project');
  cpSync(path.join(__dirname, '__fixtures__', 'shop_project'), project, { recursive: true });
  target = resolveModuleTarget(path.join(project, 'shop', 'pricing.py'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** All files under a folder, relative, sorted. */
const listing = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();

describe('PytestTestExecutor', () => {
  const executor = new PytestTestExecutor(venv, { perTestTimeoutMs: 20_000, baseEnv: process.env });

  it('reports exactly the hand-counted figures, equal to coverage run --branch -m pytest + coverage json', async () => {
    const before = listing(project);
    const result = await executor.run({ target, testPaths: [path.join(project, 'tests')] });
    // Node ids as pytest prints them in the project (no configuration file: rootdir = the project folder, the
    // common folder of the import root and the tests).

    expect(target).toEqual({
      file: path.join(project, 'shop', 'pricing.py'),
      importRoot: project,
      moduleName: 'shop.pricing',
    });
    expect(result.coverage.file).toBe(target.file);
    // Hand-counted: 18 statements, 14 run (11 and 25-27 not); 10 branch arcs, 7 run.
    expect(result.coverage.summary()).toEqual({
      lines: { covered: 14, total: 18 },
      branches: { covered: 7, total: 10 },
      percent: { line: (100 * 14) / 18, branch: 70, combined: 75 },
    });
    expect(result.coverage.missingLines).toEqual([11, 25, 26, 27]);
    expect(result.coverage.missingBranches).toEqual([
      [9, 11],
      [25, 26],
      [25, 27],
    ]);
    expect(result.outcomes.map((o) => [o.nodeId, o.status])).toEqual([
      ['tests/test_pricing.py::test_classify_negative', 'passed'],
      ['tests/test_pricing.py::test_classify_zero', 'passed'],
      ['tests/test_pricing.py::test_total_mixes_small_and_large_items', 'passed'],
      ['tests/test_pricing.py::test_legacy_decoy', 'passed'],
    ]);
    expect(result.collectionErrors).toEqual([]);
    expect(result.timedOut).toBe(false);

    // Ground truth: coverage.py itself, run the plain way in a copy of the project.
    const copy = path.join(work, 'ground-truth');
    cpSync(path.join(__dirname, '__fixtures__', 'shop_project'), copy, { recursive: true });
    const python = await venv.ensure();
    const env = { ...process.env, PYTHONPATH: copy, PYTHONDONTWRITEBYTECODE: '1' };
    execFileSync(
      python,
      ['-m', 'coverage', 'run', '--branch', '-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'tests'],
      { cwd: copy, env, stdio: 'pipe' },
    );
    execFileSync(python, ['-m', 'coverage', 'json', '-q', '-o', 'coverage.json'], { cwd: copy, env, stdio: 'pipe' });
    const truth = JSON.parse(readFileSync(path.join(copy, 'coverage.json'), 'utf8')).files['shop/pricing.py'];
    expect(result.coverage.lines).toEqual({
      covered: truth.summary.covered_lines,
      total: truth.summary.num_statements,
    });
    expect(result.coverage.branches).toEqual({
      covered: truth.summary.covered_branches,
      total: truth.summary.num_branches,
    });
    expect(result.coverage.combinedPercent).toBe(truth.summary.percent_covered);
    expect(result.coverage.coveredLines).toEqual(truth.executed_lines);
    expect(result.coverage.coveredBranches).toEqual(truth.executed_branches);

    // The user's project is untouched: no __pycache__, no .pytest_cache, no .coverage.
    expect(listing(project)).toEqual(before);
  });

  it('records each test’s own lines and arcs with dynamic contexts', async () => {
    const result = await executor.run({
      target,
      testPaths: [path.join(project, 'tests', 'test_pricing.py')],
      perTestCoverage: true,
    });
    const perTest = result.perTest as ReadonlyMap<string, import('@test-agent/domain').CoverageReport>;
    const negative = perTest.get('tests/test_pricing.py::test_classify_negative');
    expect(negative?.coveredLines).toEqual([7, 8]);
    expect(negative?.coveredBranches).toEqual([[7, 8]]);
    expect(perTest.get('tests/test_pricing.py::test_classify_zero')?.coveredBranches).toEqual([
      [7, 9],
      [9, 10],
    ]);
    expect(perTest.get('tests/test_pricing.py::test_total_mixes_small_and_large_items')?.coveredLines).toEqual([
      15, 16, 17, 18, 20, 21,
    ]);
    // The decoy test runs no line of the target: no context of its own.
    expect(perTest.has('tests/test_pricing.py::test_legacy_decoy')).toBe(false);
    // Tests' own coverage plus what importing the module ran (the definitions) is the whole run.
    const union = [...perTest.values()].reduce((a, b) => a.union(b));
    expect(union.coveredLines.length + [3, 6, 14, 24].length).toBe(result.coverage.lines.covered);
    expect(union.branches.covered).toBe(result.coverage.branches.covered);
  });

  it('runs test files given as content, imports the package as its users do, and honours select', async () => {
    const content = [
      'from shop import pricing',
      'from shop.pricing import total',
      '',
      'def test_module_name():',
      '    assert pricing.__name__ == "shop.pricing"',
      '',
      'def test_total_of_nothing():',
      '    assert total([]) == 0',
      '',
      'def test_not_selected():',
      '    assert pricing.unused(True) == 1',
      '',
    ].join('\n');
    const result = await executor.run({
      target,
      testFiles: [{ name: 'test_content.py', content }],
      select: ['test_content.py::test_module_name', 'test_content.py::test_total_of_nothing'],
    });
    expect(result.outcomes.map((o) => [o.nodeId, o.status])).toEqual([
      ['test_content.py::test_module_name', 'passed'],
      ['test_content.py::test_total_of_nothing', 'passed'],
    ]);
    expect(result.coverage.coveredLines).not.toContain(25); // unused() did not run
    expect(result.coverage.coveredBranches).toEqual([[16, 21]]);
  });

  it('runs the tests against a given source of the module (a mutant), leaving the user’s files as they were', async () => {
    const original = readFileSync(target.file, 'utf8');
    const before = listing(project);
    const content = [
      'from shop.pricing import classify, total',
      'from shop.legacy.pricing import classify as legacy_classify',
      'import shop.pricing',
      '',
      'def test_negative():',
      '    assert classify(-1) == "negative"',
      '',
      'def test_total():',
      '    assert total([1, 20]) == 61',
      '',
      'def test_sibling_package_and_copy():',
      '    assert legacy_classify(5) == "legacy"',
      '    assert shop.pricing.__file__.endswith("shop/pricing.py")',
      '',
    ].join('\n');
    const mutant = original
      .replace('if n < 0:', 'if n <= 0:')
      .replace('result += item * RATE', 'result -= item * RATE');
    const result = await executor.run({
      target,
      testFiles: [{ name: 'test_mutant.py', content }],
      moduleSource: mutant,
    });
    // The mutant changes total(): its test fails; classify(-1) is the same under `<=`; the sibling package imports.
    expect(result.outcomes.map((o) => [o.nodeId, o.status])).toEqual([
      ['test_mutant.py::test_negative', 'passed'],
      ['test_mutant.py::test_total', 'failed'],
      ['test_mutant.py::test_sibling_package_and_copy', 'passed'],
    ]);
    expect(result.outcomes[1].error).toContain('assert -59 == 61');
    // Coverage is of the copy that ran, under the module's own name.
    expect(result.coverage.file).toBe(target.file);
    expect(result.coverage.coveredLines).toEqual([3, 6, 7, 8, 14, 15, 16, 17, 18, 20, 21, 24]);
    expect(readFileSync(target.file, 'utf8')).toBe(original);
    expect(listing(project)).toEqual(before);
  });

  it('says a given source is not Python as a collection error, and skips coverage.py when asked to', async () => {
    const result = await executor.run({
      target,
      testFiles: [
        {
          name: 'test_broken.py',
          content: 'from shop.pricing import total\n\ndef test_t():\n    assert total([]) == 0\n',
        },
      ],
      moduleSource: 'def total(items):\n    return (\n',
      measureCoverage: false,
    });
    expect(result.collectionErrors).toEqual([expect.stringMatching(/SyntaxError/)]);
    expect(result.coverage.summary().lines).toEqual({ covered: 0, total: 0 });
  });

  it('gives tests a scrubbed environment, a private HOME and TMPDIR, and resource limits', async () => {
    const limited = new PytestTestExecutor(venv, {
      memoryLimitBytes: 1536 * 1024 * 1024,
      baseEnv: {
        PATH: process.env.PATH,
        OPENAI_API_KEY: 'sk-secret',
        MY_SERVICE_TOKEN: 'tok',
        DB_PASSWORD: 'pw',
        GIGACHAT_SCOPE: 'GIGACHAT_API_PERS',
        LLM_URL: 'http://llm',
        DATABASE_URL: 'postgres://user:hunter2@db/app',
        PYTEST_ADDOPTS: '--nonexistent-flag',
        HARMLESS_SETTING: 'kept',
      },
    });
    const content = [
      'import os, resource, tempfile',
      '',
      'def test_environment():',
      '    for name in ("OPENAI_API_KEY", "MY_SERVICE_TOKEN", "DB_PASSWORD", "GIGACHAT_SCOPE", "LLM_URL", "DATABASE_URL", "PYTEST_ADDOPTS"):',
      '        assert name not in os.environ, name',
      '    assert os.environ["HARMLESS_SETTING"] == "kept"',
      '    run_dir = os.path.dirname(os.getcwd())',
      '    assert os.environ["HOME"].startswith(run_dir + os.sep)',
      '    assert tempfile.gettempdir().startswith(run_dir + os.sep)',
      '    assert os.environ["PYTHONDONTWRITEBYTECODE"] == "1"',
      '    assert os.listdir(".") == []',
      '',
      'def test_limits():',
      '    assert resource.getrlimit(resource.RLIMIT_AS)[0] == 1536 * 1024 * 1024',
      '    assert resource.getrlimit(resource.RLIMIT_CORE)[0] == 0',
      '    assert 0 < resource.getrlimit(resource.RLIMIT_CPU)[0] <= 305',
      '    assert resource.getrlimit(resource.RLIMIT_FSIZE)[0] == 256 * 1024 * 1024',
      '',
    ].join('\n');
    const result = await limited.run({ target, testFiles: [{ name: 'test_env.py', content }] });
    expect(result.outcomes).toEqual([
      { nodeId: 'test_env.py::test_environment', status: 'passed', durationMs: expect.any(Number) },
      { nodeId: 'test_env.py::test_limits', status: 'passed', durationMs: expect.any(Number) },
    ]);
    // The module was never imported: every statement and branch is reported missing, none dropped.
    expect(result.coverage.summary()).toEqual({
      lines: { covered: 0, total: 18 },
      branches: { covered: 0, total: 10 },
      percent: { line: 0, branch: 0, combined: 0 },
    });
  });

  it('kills the whole process group at the overall limit and still reports', async () => {
    const sleeper = `sleep 300.${process.pid}`;
    const content = [
      'import subprocess, time',
      'from shop.pricing import classify',
      '',
      'def test_fast():',
      '    assert classify(1) == "positive"',
      '',
      'def test_slow_with_a_child():',
      `    subprocess.Popen(${JSON.stringify(sleeper.split(' '))})`,
      '    time.sleep(300)',
      '',
      'def test_never_started():',
      '    pass',
      '',
    ].join('\n');
    const started = Date.now();
    const result = await executor.run({
      target,
      testFiles: [{ name: 'test_slow.py', content }],
      overallTimeoutMs: 4_000,
    });
    const elapsed = Date.now() - started;
    expect(result.timedOut).toBe(true);
    expect(result.outcomes.map((o) => [o.nodeId, o.status])).toEqual([
      ['test_slow.py::test_fast', 'passed'],
      ['test_slow.py::test_slow_with_a_child', 'timeout'],
    ]);
    expect(result.outcomes[1].error).toBe(
      "Stopped: the run's overall limit of 4 s was reached while running this test",
    );
    // The 4 s limit stopped the run, not the 300 s sleep nor the 300 s child: a generous bound for a busy machine
    // (restart, coverage report), still far below either.
    expect(elapsed).toBeLessThan(45_000);
    // Coverage of what ran before the kill is kept.
    expect(result.coverage.coveredLines).toEqual(expect.arrayContaining([7, 9, 11]));
    // The background child died with the group (gone, or a zombie waiting for a reaper that is not us).
    expect(processesMatching(sleeper)).toEqual([]);
  });

  it('rejects unusable requests before starting Python', async () => {
    await expect(executor.run({ target })).rejects.toThrow(
      'A test run needs either testFiles or testPaths (exactly one of them)',
    );
    await expect(executor.run({ target, testPaths: [path.join(work, 'missing')] })).rejects.toThrow(
      `No such test file or folder: ${path.join(work, 'missing')}`,
    );
    await expect(executor.run({ target, testFiles: [{ name: '../escape.py', content: '' }] })).rejects.toThrow(
      'Test file name must be a relative path to a .py file inside the run: ../escape.py',
    );
    expect(existsSync(path.join(work, 'escape.py'))).toBe(false);
  });
});
