import { CoverageReport, type Branch, type TestCase, type TestRunResult } from '@test-agent/domain';
import { TestDeduplicator, perCaseCoverage } from './test-deduplicator.service';

const FILE = '/m.py';
const STATEMENTS = [1, 2, 3, 4, 5, 6, 7, 8];
const BRANCHES: Branch[] = [
  [2, 3],
  [2, 4],
  [5, 6],
  [5, 7],
];
const covering = (lines: number[], branches: Branch[] = []) =>
  CoverageReport.fromData(FILE, {
    executedLines: lines,
    missingLines: STATEMENTS.filter((l) => !lines.includes(l)),
    executedBranches: branches,
    missingBranches: BRANCHES.filter((b) => !branches.some((x) => x[0] === b[0] && x[1] === b[1])),
  });
const testCase = (name: string, body: string, imports = ['from m import f']): TestCase => ({
  name,
  code: `def ${name}():\n${body}`,
  imports,
});

describe('TestDeduplicator', () => {
  const dedup = new TestDeduplicator();

  it('treats tests equal after normalising names, comments, docstrings and whitespace as duplicates, keeping the most readable', () => {
    const a = testCase('test_f_one', '    result = f(1)  # call\n    assert result == 2');
    const b = testCase(
      'test_f_again',
      '    """Checks f."""\n    # the same call\n    value   =   f(1)\n\n    assert value == 2',
    );
    const c = testCase('test_f_two', '    result = f(2)\n    assert result == 3');
    const d = testCase('test_f_kw', '    out = f(x=1)\n    assert out == 2');
    const e = testCase('test_f_kw_other', '    out = f(y=1)\n    assert out == 2');
    const { kept, removed } = dedup.removeDuplicates([b, a, c, d, e]);
    expect(kept.map((k) => k.name)).toEqual(['test_f_one', 'test_f_two', 'test_f_kw', 'test_f_kw_other']);
    expect(removed).toEqual([{ testCase: b, reason: 'duplicate', by: ['test_f_one'] }]);
  });

  it('does not merge tests that differ in nesting', () => {
    const a = testCase('test_a', '    if f(1):\n        g()\n        h()');
    const b = testCase('test_b', '    if f(1):\n        g()\n    h()');
    expect(dedup.removeDuplicates([a, b]).kept).toHaveLength(2);
  });

  it('minimises by greedy set cover without losing a line or a branch', () => {
    const wide = testCase('test_wide', '    assert f(1) and f(2) and f(3) and f(4) == 5');
    const left = testCase('test_left', '    assert f(1)');
    const right = testCase('test_right', '    assert f(2)');
    const branch = testCase('test_branch', '    assert f(9)');
    const nothing = testCase('test_nothing', '    assert True');
    const unknown = testCase('test_unmeasured', '    assert f(0) is None');
    const coverage = new Map([
      [
        'test_wide',
        covering(
          [1, 2, 3, 5, 6],
          [
            [2, 3],
            [5, 6],
          ],
        ),
      ],
      ['test_left', covering([1, 2, 3], [[2, 3]])],
      ['test_right', covering([1, 2, 4], [[2, 4]])],
      ['test_branch', covering([1, 5, 7], [[5, 7]])],
      ['test_nothing', covering([])],
    ]);
    const result = dedup.minimise([wide, left, right, branch, nothing, unknown], coverage);
    expect(result.kept.map((k) => k.name)).toEqual(['test_wide', 'test_right', 'test_branch', 'test_unmeasured']);
    expect(result.removed).toEqual([
      { testCase: left, reason: 'subsumed', by: ['test_wide', 'test_right', 'test_branch'] },
      { testCase: nothing, reason: 'covers-nothing', by: [] },
    ]);
    const all = [...coverage.values()].reduce((a, b) => a.union(b));
    const kept = result.kept
      .filter((k) => coverage.has(k.name))
      .map((k) => coverage.get(k.name) as CoverageReport)
      .reduce((a, b) => a.union(b));
    expect(kept.summary()).toEqual(all.summary());
  });

  it('keeps the more readable of two tests with the same coverage', () => {
    const long = testCase('test_long', '    values = [f(1), f(1), f(1)]\n    assert all(v == 2 for v in values)');
    const short = testCase('test_short', '    assert f(1) == 2');
    const coverage = new Map([
      ['test_long', covering([1, 2])],
      ['test_short', covering([1, 2])],
    ]);
    expect(dedup.minimise([long, short], coverage).kept.map((k) => k.name)).toEqual(['test_short']);
  });
});

describe('perCaseCoverage', () => {
  it('unites the coverage of a case node and its parametrized children', () => {
    const whole = covering([1, 2, 3, 4]);
    const result: TestRunResult = {
      outcomes: [],
      coverage: whole,
      perTest: new Map([
        ['t.py::test_p[1]', covering([1, 2])],
        ['t.py::test_p[2]', covering([3])],
        ['t.py::test_plain', covering([4])],
        ['t.py::test_p_other', covering([8])],
      ]),
      collectionErrors: [],
      timedOut: false,
      durationMs: 1,
    };
    const map = perCaseCoverage(
      result,
      new Map([
        ['test_p', 't.py::test_p'],
        ['test_silent', 't.py::test_silent'],
      ]),
    );
    expect(map.get('test_p')?.coveredLines).toEqual([1, 2, 3]);
    expect(map.get('test_silent')?.lines).toEqual({ covered: 0, total: 8 });
  });
});
