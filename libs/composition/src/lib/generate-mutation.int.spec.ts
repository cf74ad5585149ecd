import { cpSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MutationTester, renderMarkdownReport, type ModuleMutationReport } from '@test-agent/application';
import { MUTATION_OPERATORS, silentLogger, type ModuleTarget } from '@test-agent/domain';
import { TreeSitterMutantGenerator } from '@test-agent/infrastructure';
import { loadConfig } from './config/load-config';
import { createContainer } from './create-container';
import { createTestAgent } from './create-test-agent';
import { TOKENS } from './tokens';

// Mutation testing with the real parts: tree-sitter makes the mutants, each runs against a suite under real pytest
// in the sandbox (bubblewrap) through the container's executor. A weak suite and a strong one cover the same lines
// of the same module; only the strong one kills its mutants.
jest.setTimeout(120_000);

const fixtures = path.join(__dirname, '__fixtures__', 'mutation');
const venvDir = path.resolve(__dirname, '../../../../.venv');
// The venv's interpreter runs the code under test: pytest with no third-party plugins to load, so runs are quick.
const settings = { venvDir, projectPython: path.join(venvDir, 'bin', 'python') };
let work: string;
let target: ModuleTarget;

beforeAll(() => {
  work = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'ta-mutation-')));
  cpSync(path.join(fixtures, 'shipping.py'), path.join(work, 'shipping.py'));
  target = { file: path.join(work, 'shipping.py'), importRoot: work, moduleName: 'shipping' };
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('mutation testing', () => {
  const container = createContainer(loadConfig({ overrides: settings, env: {} }), { logger: silentLogger });
  const executor = container.get(TOKENS.TestExecutor);
  const tester = new MutationTester({
    generator: new TreeSitterMutantGenerator(),
    executor,
    reader: container.get(TOKENS.PythonSourceReader),
  });
  const limits = { perTestTimeoutMs: 10_000, overallTimeoutMs: 60_000 };

  async function score(suite: string): Promise<ModuleMutationReport> {
    const files = [{ name: 'test_shipping.py', content: readFileSync(path.join(fixtures, suite), 'utf8') }];
    const run = await executor.run({ target, testFiles: files, ...limits });
    expect(run.outcomes.every((o) => o.status === 'passed')).toBe(true);
    expect(run.coverage.missingLines).toEqual([]);
    return tester.test(target, { files, coverage: run.coverage, run }, { maxMutants: 8, budgetMs: 90_000 }, limits);
  }

  it('scores a weak suite low and a strong one on the same lines at 100 %, listing what survived', async () => {
    const original = readFileSync(target.file, 'utf8');
    const weak = await score('weak_suite.py');
    const strong = await score('strong_suite.py');
    // 16 mutants on the covered lines, 8 sampled: the cap shared over the operators (comparison 1, arithmetic 2,
    // constant 2, condition 2, return 1). The weak suite only notices a negated weight check (ValueError on 3), a
    // `+` turned `-` (the cost goes negative) and `return None` (`None > 0` raises).
    expect(weak).toMatchObject({ killed: 3, total: 8, score: 37.5, candidates: 16, notRun: 0, invalid: 0 });
    expect(weak.byOperator).toEqual({
      comparison: { killed: 0, total: 1 },
      arithmetic: { killed: 1, total: 2 },
      constant: { killed: 0, total: 2 },
      condition: { killed: 1, total: 2 },
      return: { killed: 1, total: 1 },
    });
    expect(weak.survivors).toEqual([
      { line: 5, operator: 'comparison', original: 'if weight <= 0:', mutated: 'if weight < 0:' },
      {
        line: 6,
        operator: 'constant',
        original: 'raise ValueError("weight must be positive")',
        mutated: 'raise ValueError("")',
      },
      { line: 7, operator: 'constant', original: 'cost = 5 + weight * 2', mutated: 'cost = 5 + weight * 3' },
      { line: 8, operator: 'condition', original: 'if express:', mutated: 'if not (express):' },
      { line: 9, operator: 'arithmetic', original: 'cost = cost * 2', mutated: 'cost = cost / 2' },
    ]);
    expect(strong).toMatchObject({ killed: 8, total: 8, score: 100, timedOut: 0, survivors: [] });
    // The user's module was never written.
    expect(readFileSync(target.file, 'utf8')).toBe(original);
  });

  it('generate with mutation on: the report gives the score per module, by operator, with the survivors', async () => {
    const agent = createTestAgent({ ...settings, timeBudgetSeconds: 8, flakyReruns: 1 }, { logger: silentLogger });
    const out = path.join(work, 'out');
    const report = await agent.generate({ path: target.file, outDir: out, seed: 1, mutation: true, maxMutants: 4 });
    const mutation = report.modules[0].mutation as ModuleMutationReport;
    // 4 sampled; how many ran within the module's 8 s depends on the machine's speed (at least one always runs).
    expect(mutation).toMatchObject({ candidates: 16, invalid: 0 });
    expect(mutation.total).toBeGreaterThan(0);
    expect(mutation.total + mutation.notRun).toBe(4);
    const byOperator = Object.values(mutation.byOperator);
    expect(byOperator.reduce((n, t) => n + t.total, 0)).toBe(mutation.total);
    expect(byOperator.reduce((n, t) => n + t.killed, 0)).toBe(mutation.killed);
    expect(mutation.survivors).toHaveLength(mutation.total - mutation.killed);
    const lines = readFileSync(target.file, 'utf8').split('\n');
    for (const survivor of mutation.survivors) expect(lines[survivor.line - 1].trim()).toBe(survivor.original);
    expect(report.mutation).toEqual({
      killed: mutation.killed,
      total: mutation.total,
      score: (100 * mutation.killed) / mutation.total,
    });
    const json = JSON.parse(readFileSync(report.reports.json, 'utf8'));
    expect(json.modules[0].mutation).toEqual(mutation);
    const markdown = readFileSync(report.reports.markdown, 'utf8');
    expect(markdown).toBe(renderMarkdownReport(report));
    const cells = MUTATION_OPERATORS.map((op) => {
      const tally = mutation.byOperator[op];
      return tally ? `${tally.killed}/${tally.total}` : '—';
    });
    const score = mutation.score?.toFixed(1);
    expect(markdown).toContain(
      `| shipping | ${score} | ${mutation.killed} / ${mutation.total} | ${cells.join(' | ')} | ${mutation.timedOut} | ${mutation.notRun} |`,
    );
  });
});
