import { cpSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { renderMarkdownReport, type UncoveredGroup } from '@test-agent/application';
import { silentLogger } from '@test-agent/domain';
import { createTestAgent } from './create-test-agent';

// "Why not covered" with the real parts: the search worker (in bubblewrap) describes the module's structure and
// runs the search, pytest and coverage.py measure the written tests, and the report gives each uncovered line and
// branch its reason. `__fixtures__/why-not-covered/why_sample.py` has one reason per function: a condition that
// can never hold (clamp), a loop that never ends (spin), a write outside the sandbox (log), a line after
// `sys.exit` (stop) and the `__main__` block.
jest.setTimeout(150_000);

const venvDir = path.resolve(__dirname, '../../../../.venv');
const settings = { venvDir, projectPython: path.join(venvDir, 'bin', 'python') };
let work: string;

beforeAll(() => {
  work = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'ta-why-')));
  cpSync(path.join(__dirname, '__fixtures__', 'why-not-covered', 'why_sample.py'), path.join(work, 'why_sample.py'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('why not covered, on a real module', () => {
  it('gives each uncovered line and branch its reason, in the JSON and the Markdown report', async () => {
    const agent = createTestAgent({ ...settings, timeBudgetSeconds: 12, flakyReruns: 1 }, { logger: silentLogger });
    const report = await agent.generate({
      path: path.join(work, 'why_sample.py'),
      outDir: path.join(work, 'tests'),
      seed: 1,
      callTimeoutMs: 300,
      perturbMachine: false,
    });
    const module = report.modules[0];
    const groups = module.uncovered as UncoveredGroup[];
    const at = (line: number) => groups.find((g) => g.lines.includes(line));
    // clamp: the second `n > 10` can never hold after the first one clamped n.
    expect(at(11)).toEqual({
      lines: [11],
      branches: [[10, 11]],
      kind: 'condition-never-true',
      detail: 'never true: n > 10',
    });
    // spin: every call with n > 0 loops until the 300 ms limit stops it, so no test enters the loop.
    expect(at(17)).toMatchObject({
      lines: [17, 18],
      branches: [
        [16, 17],
        [17, 18],
        [17, 19],
      ],
      kind: 'timed-out',
    });
    expect(at(17)?.detail).toMatch(/^[1-9]\d* of [1-9]\d* calls of spin ran past the 300 ms limit; never true: n > 0$/);
    // log: every call tries to write outside the sandbox and is refused, so no test runs its body.
    expect(at(23)).toMatchObject({ lines: [23, 24, 25], branches: [], kind: 'outside-sandbox' });
    expect(at(23)?.detail).toMatch(/^[1-9]\d* calls? of log refused \(write \/nonexistent-test-agent-why\/log\.txt\)$/);
    expect(at(30)).toEqual({
      lines: [30],
      branches: [],
      kind: 'after-exit',
      detail: 'after line 29 (sys.exit(code)), which always leaves',
    });
    expect(at(34)).toEqual({
      lines: [34],
      branches: [[33, 34]],
      kind: 'main-block',
      detail: 'under if __name__ == "__main__": runs only as a script',
    });
    // Every uncovered line and branch coverage.py counts has exactly one reason, and nothing else has one.
    expect(groups.flatMap((g) => g.lines).sort((a, b) => a - b)).toEqual(module.missingLines);
    const branches = groups.flatMap((g) => g.branches);
    expect(branches).toHaveLength(module.coverage.branches.total - module.coverage.branches.covered);
    expect(new Set(branches.map((b) => b.join('>'))).size).toBe(branches.length);
    const json = JSON.parse(readFileSync(report.reports.json, 'utf8'));
    expect(json.modules[0].uncovered).toEqual(groups);
    const markdown = readFileSync(report.reports.markdown, 'utf8');
    expect(markdown).toBe(renderMarkdownReport(report));
    expect(markdown).toContain('| why_sample | 11 | 10->11 | condition-never-true | never true: n > 10 |\n');
    expect(markdown).toContain(
      '| why_sample | 34 | 33->34 | main-block | under if \\_\\_name\\_\\_ == "\\_\\_main\\_\\_": runs only as a script |\n',
    );
  });
});
