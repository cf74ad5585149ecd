import { cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FlakinessChecker, TestDeduplicator, TestFileAssembler, perCaseCoverage } from '@test-agent/application';
import { silentLogger, type ModuleTarget, type TestCase } from '@test-agent/domain';
import { packageRoot } from '../../file-system/package-root';
import { resolveModuleTarget } from '../../file-system/python-source';
import { PythonEnvironment } from '../../python/python-environment';
import { PytestTestExecutor } from './pytest-test-executor.adapter';
import { PythonLauncher } from '../../process/python-launcher';

// The application's flakiness, pollution and minimisation services over the real executor.
jest.setTimeout(120_000);

const venv = new PythonEnvironment({
  venvDir: path.join(packageRoot(), '.venv'),
  basePython: 'python3',
  pipArgs: ['--retries', '0'],
});
const executor = new PytestTestExecutor(venv, { perTestTimeoutMs: 20_000, baseEnv: process.env });
// The flaky fixture keeps a counter across runs in a folder of this spec, which the sandbox would keep read-only:
// that check runs unconfined (its fixture is harmless; every other check here runs sandboxed).
const unconfined = new PytestTestExecutor(
  venv,
  { perTestTimeoutMs: 20_000, baseEnv: process.env },
  silentLogger,
  new PythonLauncher({ sandbox: 'off' }),
);
const assembler = new TestFileAssembler();
let work: string;
let target: ModuleTarget;

beforeAll(async () => {
  await venv.ensure();
  work = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'ta-runtime-')));
  cpSync(path.join(__dirname, '__fixtures__', 'shop_project'), path.join(work, 'shop_project'), { recursive: true });
  target = resolveModuleTarget(path.join(work, 'shop_project', 'shop', 'pricing.py'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const imports = ['from shop.pricing import classify, total'];
const testCase = (name: string, body: string, extra: string[] = []): TestCase => ({
  name,
  code: `def ${name}():\n${body}`,
  imports: [...imports, ...extra],
});

describe('flakiness and pollution over real pytest runs', () => {
  it('marks a test that passes every other run as flaky, and a stable one as not', async () => {
    const counter = path.join(work, 'flaky-counter');
    mkdirSync(counter);
    // Every run takes the next free ordinal with an exclusive create (race-free across concurrent runs) and
    // passes on even ones: it passes half of the time, deterministically.
    const flaky = testCase(
      'test_half_of_the_time',
      [
        `    folder = ${JSON.stringify(counter)}`,
        '    ordinal = 0',
        '    while True:',
        '        try:',
        '            os.close(os.open(os.path.join(folder, str(ordinal)), os.O_CREAT | os.O_EXCL))',
        '            break',
        '        except FileExistsError:',
        '            ordinal += 1',
        '    assert ordinal % 2 == 0, f"run {ordinal}"',
      ].join('\n'),
      ['import os'],
    );
    const stable = testCase('test_stable', '    assert classify(0) == "zero"');
    const checker = new FlakinessChecker(unconfined, assembler, { reruns: 5, concurrency: 2 });
    const started = Date.now();
    const [flakyVerdict, stableVerdict] = await checker.check(target, [flaky, stable]);
    process.stdout.write(`flakiness check, 2 candidates x 5 fresh processes: ${Date.now() - started} ms\n`);
    expect(flakyVerdict.flaky).toBe(true);
    expect(flakyVerdict.passing).toBe(false);
    expect([...flakyVerdict.statuses].sort()).toEqual(['failed', 'failed', 'passed', 'passed', 'passed']);
    expect(flakyVerdict.error).toMatch(/^test_shop_pricing\.py:\d+: in test_half_of_the_time\n/);
    expect(stableVerdict).toEqual({
      name: 'test_stable',
      statuses: ['passed', 'passed', 'passed', 'passed', 'passed'],
      flaky: false,
      passing: true,
    });
  });

  it('removes a test that passes alone but fails when the suite runs together', async () => {
    const polluter = testCase(
      'test_changes_the_rate',
      '    import shop.pricing\n    shop.pricing.RATE = 100\n    assert total([20]) == 2000',
    );
    const victim = testCase('test_large_item', '    assert total([20]) == 60');
    const plain = testCase('test_negative', '    assert classify(-1) == "negative"');
    const checker = new FlakinessChecker(executor, assembler, { reruns: 1, concurrency: 2 });
    const alone = await checker.check(target, [polluter, victim, plain]);
    expect(alone.map((v) => v.passing)).toEqual([true, true, true]);
    const together = await checker.checkPollution(target, [polluter, victim, plain]);
    expect(together.kept.map((c) => c.name)).toEqual(['test_changes_the_rate', 'test_negative']);
    expect(together.polluted.map((p) => [p.testCase.name, p.status])).toEqual([['test_large_item', 'failed']]);
    expect(together.polluted[0].error).toContain('assert 2000 == 60');
    expect(together.finalRun?.outcomes.map((o) => o.status)).toEqual(['passed', 'passed']);
  });
});

describe('minimisation over real per-test coverage', () => {
  it('drops duplicates and subsumed tests without lowering coverage', async () => {
    const cases = [
      testCase('test_negative', '    assert classify(-3) == "negative"'),
      // The same test as test_negative after normalising names, comments and whitespace.
      testCase('test_negative_again', '    # other layout\n    assert classify( -3 )  ==  "negative"'),
      testCase('test_zero', '    assert classify(0) == "zero"'),
      testCase('test_positive', '    assert classify(7) == "positive"'),
      testCase(
        'test_all_three',
        '    assert [classify(-1), classify(0), classify(1)] == ["negative", "zero", "positive"]',
      ),
      testCase('test_small_total', '    assert total([1]) == 1'),
      testCase('test_mixed_total', '    assert total([1, 20]) == 61'),
    ];
    const file = assembler.assemble(target, cases);
    const full = await executor.run({ target, testFiles: [file], perTestCoverage: true });
    expect(full.outcomes.every((o) => o.status === 'passed')).toBe(true);

    const result = new TestDeduplicator().minimise(file.cases, perCaseCoverage(full, file.nodeIds));
    expect(result.kept.map((c) => c.name)).toEqual(['test_all_three', 'test_mixed_total']);
    expect(result.removed.map((r) => [r.testCase.name, r.reason])).toEqual([
      ['test_negative_again', 'duplicate'],
      ['test_negative', 'subsumed'],
      ['test_zero', 'subsumed'],
      ['test_positive', 'subsumed'],
      ['test_small_total', 'subsumed'],
    ]);

    const minimal = await executor.run({ target, testFiles: [assembler.assemble(target, result.kept)] });
    expect(minimal.coverage.summary()).toEqual(full.coverage.summary());
    expect(minimal.coverage.summary()).toEqual({
      lines: { covered: 15, total: 18 },
      branches: { covered: 8, total: 10 },
      percent: { line: (100 * 15) / 18, branch: 80, combined: (100 * 23) / 28 },
    });
  });
});
