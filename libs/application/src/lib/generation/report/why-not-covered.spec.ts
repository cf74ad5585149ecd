import {
  CoverageReport,
  type Branch,
  type CallableInfo,
  type ModuleStructure,
  type StatementContext,
} from '@test-agent/domain';
import { whyNotCovered, type UncoveredFacts } from './why-not-covered';

// The module (the worker's `__fixtures__/structure_sample.py`; its pytest checks that the worker describes it
// exactly as `SAMPLE` below):
//
//  2 import sys
//  5 def kind(value, strict=False):
//  6     if isinstance(value, bytes):
//  7         return "bytes"
//  8     elif value is None:
//  9         return "none"
// 10     for ch in str(value):
// 11         if ch == "x":
// 12             break
// 13     else:
// 14         strict = True
// 15     try:
// 16         number = int(value)
// 17     except ValueError:
// 18         return "text"
// 19     else:
// 20         number += 1
// 21     return "number" if strict else "other"
// 24 def stop(code):
// 25     sys.exit(code)
// 26     print("unreachable")
// 29 def outer(x):
// 30     def helper(y):
// 31         return y * 2
// 33     return x + 1
// 36 def short(n): return n
// 39 class Box:
// 40     size = 1
// 42     def grow(self, by):
// 43         while by > 0:
// 44             by -= 1
// 45             if by == 3: return by
// 46         return by
// 49 if __name__ == "__main__":
// 50     print(kind(sys.argv[1]))

const c = (line: number, scope: string, way: Omit<StatementContext, 'line' | 'scope'> = {}): StatementContext => ({
  line,
  scope,
  ...way,
});
const SAMPLE: ModuleStructure = {
  statements: [
    c(2, ''),
    c(5, '', { previous: 2 }),
    c(6, 'kind'),
    c(7, 'kind', { guard: [6, 'true'] }),
    c(8, 'kind', { guard: [6, 'false'] }),
    c(9, 'kind', { guard: [8, 'true'] }),
    c(10, 'kind', { previous: 6 }),
    c(11, 'kind', { guard: [10, 'enter'] }),
    c(12, 'kind', { guard: [11, 'true'] }),
    c(14, 'kind', { guard: [10, 'complete'] }),
    c(15, 'kind', { previous: 10 }),
    c(16, 'kind', { previous: 15 }),
    c(17, 'kind', { guard: [15, 'raise'] }),
    c(18, 'kind', { guard: [17, 'except'] }),
    c(20, 'kind', { guard: [15, 'else'] }),
    c(21, 'kind', { previous: 15 }),
    c(24, '', { previous: 5 }),
    c(25, 'stop'),
    c(26, 'stop', { previous: 25, deadAfter: 25 }),
    c(29, '', { previous: 24 }),
    c(30, 'outer'),
    c(31, 'outer.<locals>.helper'),
    c(33, 'outer', { previous: 30 }),
    c(36, '', { previous: 29 }),
    c(39, '', { previous: 36 }),
    c(40, 'Box'),
    c(42, 'Box', { previous: 40 }),
    c(43, 'Box.grow'),
    c(44, 'Box.grow', { guard: [43, 'true'] }),
    c(45, 'Box.grow', { previous: 44 }),
    c(46, 'Box.grow', { previous: 43 }),
    c(49, '', { previous: 39 }),
    c(50, '', { guard: [49, 'true'], main: true }),
  ],
  scopes: [
    { qualname: 'kind', kind: 'function', line: 5, body: 6 },
    { qualname: 'stop', kind: 'function', line: 24, body: 25 },
    { qualname: 'outer', kind: 'function', line: 29, body: 30 },
    { qualname: 'outer.<locals>.helper', kind: 'function', line: 30, body: 31 },
    { qualname: 'short', kind: 'function', line: 36, body: 36 },
    { qualname: 'Box', kind: 'class', line: 39, body: 40 },
    { qualname: 'Box.grow', kind: 'function', line: 42, body: 43 },
  ],
  headers: [
    { line: 6, kind: 'if', text: 'isinstance(value, bytes)' },
    { line: 8, kind: 'if', text: 'value is None' },
    { line: 10, kind: 'for', text: 'ch in str(value)' },
    { line: 11, kind: 'if', text: 'ch == "x"' },
    { line: 15, kind: 'try', text: '' },
    { line: 17, kind: 'except', text: 'ValueError' },
    { line: 43, kind: 'while', text: 'by > 0' },
    { line: 45, kind: 'if', text: 'by == 3' },
    { line: 49, kind: 'main', text: '__name__ == "__main__"' },
  ],
  leaving: [{ line: 25, text: 'sys.exit(code)' }],
  arcs: [
    [6, 7, 'true'],
    [6, 8, 'false'],
    [8, 9, 'true'],
    [8, 10, 'false'],
    [10, 11, 'enter'],
    [10, 14, 'complete'],
    [11, 10, 'false'],
    [11, 12, 'true'],
    [36, -36, 'call'],
    [43, 44, 'true'],
    [43, 46, 'false'],
    [45, -42, 'true'],
    [45, 43, 'false'],
    [49, -1, 'false'],
    [49, 50, 'true'],
  ],
};
const STATEMENTS = SAMPLE.statements.map((s) => s.line);
const BRANCHES: Branch[] = [
  [6, 7],
  [6, 8],
  [8, 9],
  [8, 10],
  [10, 11],
  [10, 14],
  [11, 10],
  [11, 12],
  [36, -36],
  [36, 39],
  [43, 44],
  [43, 46],
  [45, -42],
  [45, 43],
  [49, -1],
  [49, 50],
];
/** What importing the module runs. */
const IMPORTED = {
  lines: [2, 5, 24, 29, 36, 39, 40, 42, 49],
  branches: [
    [36, 39],
    [49, -1],
  ] as Branch[],
};

const fn = (qualname: string, more: Partial<CallableInfo> = {}): CallableInfo =>
  ({ kind: 'function', name: qualname, qualname, params: [], ...more }) as CallableInfo;
const facts = (more: Partial<UncoveredFacts> = {}): UncoveredFacts => ({
  structure: SAMPLE,
  callables: [fn('kind'), fn('stop'), fn('outer'), fn('short'), fn('Box', { kind: 'class', constructible: true })],
  imported: IMPORTED,
  outsideEffects: {},
  calls: { kind: { executed: 40, timedOut: 0 }, short: { executed: 5, timedOut: 0 } },
  callTimeoutMs: 1000,
  testsKept: true,
  ...more,
});

/** coverage.py's report of the module when the tests ran `lines` and took `branches` (plus the import). */
function coverage(lines: number[], branches: Branch[]): CoverageReport {
  const ran = new Set([...IMPORTED.lines, ...lines]);
  const took = new Set([...IMPORTED.branches, ...branches].map((b) => `${b[0]}>${b[1]}`));
  return CoverageReport.fromData('/src/sample.py', {
    executedLines: STATEMENTS.filter((l) => ran.has(l)),
    missingLines: STATEMENTS.filter((l) => !ran.has(l)),
    executedBranches: BRANCHES.filter((b) => took.has(`${b[0]}>${b[1]}`)),
    missingBranches: BRANCHES.filter((b) => !took.has(`${b[0]}>${b[1]}`)),
  });
}

// Tests of kind('abc') and kind('12'), stop(0), outer(1): lines and branches they run.
const KIND_ABC = [6, 8, 10, 11, 14, 15, 16, 17, 18];
const KIND_12 = [6, 8, 10, 11, 14, 15, 16, 20, 21];
const KIND_BRANCHES: Branch[] = [
  [6, 8],
  [8, 10],
  [10, 11],
  [11, 10],
  [10, 14],
];
const SEARCHED = coverage([...KIND_ABC, ...KIND_12, 25, 30, 33], KIND_BRANCHES);

describe('why a line or branch is not covered', () => {
  it('names the condition, the dead code, the uncalled function, the timed-out one and the __main__ block', () => {
    const calls = { ...facts().calls, 'Box.grow': { executed: 12, timedOut: 3 } };
    expect(whyNotCovered(SEARCHED, facts({ calls }))).toEqual([
      {
        lines: [7],
        branches: [[6, 7]],
        kind: 'condition-never-true',
        detail: 'never true: isinstance(value, bytes)',
      },
      { lines: [9], branches: [[8, 9]], kind: 'condition-never-true', detail: 'never true: value is None' },
      { lines: [12], branches: [[11, 12]], kind: 'condition-never-true', detail: 'never true: ch == "x"' },
      {
        lines: [26],
        branches: [],
        kind: 'after-exit',
        detail: 'after line 25 (sys.exit(code)), which always leaves',
      },
      { lines: [31], branches: [], kind: 'never-called', detail: "no test's run of outer calls helper" },
      {
        lines: [],
        branches: [[36, -36]],
        kind: 'never-called',
        detail: 'no kept test calls short (5 calls were tried)',
      },
      {
        lines: [43, 44, 45, 46],
        branches: [
          [43, 44],
          [43, 46],
          [45, -42],
          [45, 43],
        ],
        kind: 'timed-out',
        detail: '3 of 12 calls of Box.grow ran past the 1000 ms limit',
      },
      {
        lines: [50],
        branches: [[49, 50]],
        kind: 'main-block',
        detail: 'under if __name__ == "__main__": runs only as a script',
      },
    ]);
  });

  it("puts refused calls first and keeps the condition's words after them", () => {
    const outsideEffects = { kind: { calls: 2, examples: ['write /etc/kind.cfg'] } };
    const groups = whyNotCovered(SEARCHED, facts({ outsideEffects }));
    expect(groups[0]).toEqual({
      lines: [7],
      branches: [[6, 7]],
      kind: 'outside-sandbox',
      detail: '2 calls of kind refused (write /etc/kind.cfg); never true: isinstance(value, bytes)',
    });
    // Static reasons stay: the dead line of stop and the __main__ block are not about calls.
    expect(groups.map((g) => g.kind)).toEqual([
      'outside-sandbox',
      'outside-sandbox',
      'outside-sandbox',
      'after-exit',
      'never-called',
      'never-called',
      'never-called',
      'main-block',
    ]);
    expect(groups[6].detail).toBe('no test calls Box.grow');
  });

  it('tells the way past a loop, an if and a try that was never taken from a body never entered', () => {
    // kind('x') breaks out of the loop at once and int('x') raises; Box().grow(4) returns from inside its loop.
    const report = coverage(
      [6, 8, 10, 11, 12, 15, 16, 17, 18, 25, 30, 33, 43, 44, 45],
      [
        [6, 8],
        [8, 10],
        [10, 11],
        [11, 12],
        [43, 44],
        [45, -42],
      ],
    );
    const groups = whyNotCovered(report, facts()).filter((g) => g.kind.startsWith('condition-never-false'));
    expect(groups).toEqual([
      {
        lines: [],
        branches: [[11, 10]],
        kind: 'condition-never-false',
        detail: 'never false: ch == "x"',
      },
      {
        lines: [14],
        branches: [[10, 14]],
        kind: 'condition-never-false',
        detail: 'the loop never ran to its end: for ch in str(value)',
      },
      { lines: [], branches: [[45, 43]], kind: 'condition-never-false', detail: 'never false: by == 3' },
      { lines: [46], branches: [[43, 46]], kind: 'condition-never-false', detail: 'never false: by > 0' },
    ]);
    expect(whyNotCovered(report, facts()).filter((g) => g.kind === 'raised-before')).toEqual([
      { lines: [20], branches: [], kind: 'raised-before', detail: 'the try at line 15 always raised' },
      {
        lines: [21],
        branches: [],
        kind: 'raised-before',
        detail: 'the try at line 15 always raised or left when it ran',
      },
    ]);
  });

  it('names the exception an except clause waited for, and a try that never raised', () => {
    const report = coverage(KIND_12, KIND_BRANCHES);
    const reasons = whyNotCovered(report, facts()).filter((g) => g.lines.some((l) => l === 17 || l === 18));
    // Line 18 opens the handler: when line 17 did not run, line 18 has line 17's reason, in the same group.
    expect(reasons).toEqual([
      { lines: [17, 18], branches: [], kind: 'condition-never-true', detail: 'the try at line 15 never raised' },
    ]);
    const onlyHandlerLine = whyNotCovered(coverage([...KIND_12, 17], KIND_BRANCHES), facts());
    expect(onlyHandlerLine.find((g) => g.lines.includes(18))).toEqual({
      lines: [18],
      branches: [],
      kind: 'condition-never-true',
      detail: 'never raised: ValueError',
    });
  });

  it('when no test was kept, counts what importing covers as covered and says why each function did not run', () => {
    const nothing = CoverageReport.empty(SEARCHED);
    const outsideEffects = { stop: { calls: 4, examples: ['signal 9'] } };
    expect(whyNotCovered(nothing, facts({ testsKept: false, outsideEffects }))).toEqual([
      {
        lines: [6, 7, 8, 9, 10, 11, 12, 14, 15, 16, 17, 18, 20, 21],
        branches: BRANCHES.filter(([a]) => a >= 6 && a <= 21),
        kind: 'never-called',
        detail: 'no kept test calls kind (40 calls were tried)',
      },
      { lines: [25], branches: [], kind: 'outside-sandbox', detail: '4 calls of stop refused (signal 9)' },
      {
        lines: [26],
        branches: [],
        kind: 'after-exit',
        detail: 'after line 25 (sys.exit(code)), which always leaves',
      },
      { lines: [30, 31, 33], branches: [], kind: 'never-called', detail: 'no test calls outer' },
      {
        lines: [],
        branches: [[36, -36]],
        kind: 'never-called',
        detail: 'no kept test calls short (5 calls were tried)',
      },
      {
        lines: [43, 44, 45, 46],
        branches: [
          [43, 44],
          [43, 46],
          [45, -42],
          [45, 43],
        ],
        kind: 'never-called',
        detail: 'no test calls Box.grow',
      },
      {
        lines: [50],
        branches: [[49, 50]],
        kind: 'main-block',
        detail: 'under if __name__ == "__main__": runs only as a script',
      },
    ]);
  });

  it('puts everything down to the import when no test imported the module', () => {
    const none = CoverageReport.fromData('/src/sample.py', {
      executedLines: [],
      missingLines: STATEMENTS,
      executedBranches: [],
      missingBranches: BRANCHES,
    });
    const groups = whyNotCovered(none, facts());
    expect(groups.map((g) => g.kind)).toEqual(['import-failed', 'after-exit', 'import-failed', 'main-block']);
    expect(groups[0].lines.slice(0, 3)).toEqual([2, 5, 6]);
  });
});
