import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvalidInputError, silentLogger } from '@test-agent/domain';
import { createTestAgent } from '../create-test-agent';

const venv = path.resolve(__dirname, '../../../../../.venv');
const fixture = path.join(__dirname, '__fixtures__', 'pricing', 'pricing.py');

describe('generate (offline engine, end to end)', () => {
  let out: string;
  beforeEach(() => {
    out = mkdtempSync(path.join(os.tmpdir(), 'generate-e2e-'));
  });
  afterEach(() => rmSync(out, { recursive: true, force: true }));

  const agent = () =>
    createTestAgent(
      { venvDir: venv, timeBudgetSeconds: 4, flakyReruns: 2, targetCoverage: 80 },
      { logger: silentLogger },
    );

  it('writes tests that pass under plain pytest, with the coverage coverage.py measures', async () => {
    const report = await agent().generate({ path: fixture, outDir: out, seed: 5 });
    const testFile = path.join(out, 'test_pricing.py');
    expect(report.files).toEqual([
      testFile,
      path.join(out, 'conftest.py'),
      path.join(out, 'test-agent-report.json'),
      path.join(out, 'test-agent-report.md'),
    ]);
    expect(report.modules[0].tests).toBeGreaterThan(3);
    expect(report.targetMet).toBe(true);
    expect(readFileSync(testFile, 'utf8')).toMatch(
      /with pytest\.raises\(PricingError, match=r"years cannot be negative"\):/,
    );

    // Plain pytest, from another folder, under coverage.py: every test passes and the numbers agree.
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'generate-e2e-run-'));
    try {
      const env = { ...process.env, COVERAGE_FILE: path.join(cwd, '.coverage') };
      const python = path.join(venv, 'bin', 'python');
      const stdout = execFileSync(
        python,
        [
          '-m',
          'coverage',
          'run',
          '--branch',
          `--include=${fixture}`,
          '-m',
          'pytest',
          '-q',
          '-p',
          'no:cacheprovider',
          out,
        ],
        { cwd, env, encoding: 'utf8' },
      );
      expect(stdout).toMatch(new RegExp(`${report.modules[0].tests} passed`));
      const totals = JSON.parse(
        execFileSync(python, ['-m', 'coverage', 'json', '-q', '-o', '-'], { cwd, env, encoding: 'utf8' }),
      ).totals;
      expect(report.coverage.lines).toEqual({ covered: totals.covered_lines, total: totals.num_statements });
      expect(report.coverage.branches).toEqual({ covered: totals.covered_branches, total: totals.num_branches });
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 120_000);

  it("writes beside a user's test file instead of overwriting it", async () => {
    writeFileSync(path.join(out, 'test_pricing.py'), 'def test_mine():\n    assert True\n');
    const report = await agent().generate({ path: fixture, outDir: out, seed: 5 });
    expect(readFileSync(path.join(out, 'test_pricing.py'), 'utf8')).toBe('def test_mine():\n    assert True\n');
    expect(report.modules[0]).toMatchObject({
      testFile: path.join(out, 'test_pricing_test_agent.py'),
      writeAction: 'written-beside',
    });
  }, 120_000);

  it('rejects the strategies that are not available yet', async () => {
    await expect(agent().generate({ path: fixture, outDir: out, strategy: 'llm' })).rejects.toThrow(InvalidInputError);
  });
});
