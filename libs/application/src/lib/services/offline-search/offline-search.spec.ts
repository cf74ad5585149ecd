import type { CallPlan, CallResult, ModuleInterface, ModuleTarget, PlanExpr, TestCase } from '@test-agent/domain';
import { FakeExecutionSandbox } from '@test-agent/domain/testing';
import { OfflineTestGenerator, stability } from './offline-test-generator.service';
import { pyFloat, pyRegexLiteral, pyStr, snakeCase } from './python-source';
import { OfflineSearchEngine } from './search-engine.service';
import { minimiseArchive } from './search-archive';
import { toPlan } from './call-plans';
import { messageWords } from './test-namer';
import { TestFileAssembler } from '../test-file-assembler/test-file-assembler.service';
import { describedValue } from '../../testing/described-value';

// A fake module `shapes` with:
//   def classify(n: int) -> str      lines 2-7: n < 0 raises ValueError, n == 0 → 'zero', else 'positive'
//   class Counter: __init__(start=0) lines 10-11; add(self, k: int) lines 12-14 (branch on k > 10)
const shapes: ModuleInterface = {
  callables: [
    {
      kind: 'function',
      name: 'classify',
      qualname: 'classify',
      params: [
        {
          name: 'n',
          kind: 'either',
          type: { kind: 'builtin', name: 'int' },
          hasDefault: false,
          default: null,
          defaultIsNone: false,
        },
      ],
      span: [1, 7],
    },
    {
      kind: 'class',
      name: 'Counter',
      qualname: 'Counter',
      constructible: true,
      params: [
        {
          name: 'start',
          kind: 'either',
          type: { kind: 'builtin', name: 'int' },
          hasDefault: true,
          default: '0',
          defaultIsNone: false,
        },
      ],
      span: [9, 14],
    },
    {
      kind: 'method',
      name: 'add',
      qualname: 'Counter.add',
      owner: 'Counter',
      params: [
        {
          name: 'k',
          kind: 'either',
          type: { kind: 'builtin', name: 'int' },
          hasDefault: false,
          default: null,
          defaultIsNone: false,
        },
      ],
      span: [12, 14],
    },
  ],
  literals: { classify: [{ source: '0', kind: 'int', value: 0 }] },
  moduleLiterals: [],
  constants: [],
  paramHints: {},
  doctests: [],
  shape: {
    statements: [1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14],
    branches: [
      [2, 3],
      [2, 4],
      [4, 5],
      [4, 6],
      [13, 14],
      [13, -12],
    ],
  },
  baseline: { lines: [1, 9, 12], branches: [] },
};
const target: ModuleTarget = { file: '/src/shapes.py', importRoot: '/src', moduleName: 'shapes' };
/** The file that ships: the emitted cases as the test-file assembler writes them. */
const shipped = (file: { cases: readonly TestCase[] }) => new TestFileAssembler().assemble(target, file.cases).content;

const intOf = (e: PlanExpr | undefined): number => (e && e.kind === 'lit' ? Number(e.source) : NaN);
const value = describedValue;

/** The fake module's semantics, with the lines and branches coverage.py would report. */
function behaviour(plan: CallPlan): CallResult {
  if (!plan.steps) return { status: 'invalid', lines: [], branches: [] };
  const first = plan.steps[0];
  if (first.kind !== 'call' || first.callee.kind !== 'ref') return { status: 'invalid', lines: [], branches: [] };
  if (first.callee.path === 'classify') {
    const n = intOf(first.args[0] ?? first.keywords[0]?.[1]);
    if (n < 0) {
      return {
        status: 'raised',
        step: 0,
        lines: [2, 3],
        branches: [[2, 3]],
        exception: {
          type: 'ValueError',
          module: 'builtins',
          message: 'negative: -1 (n < 0)',
          path: null,
          inModule: true,
        },
      };
    }
    if (n === 0)
      return {
        status: 'ok',
        lines: [2, 4, 5],
        branches: [
          [2, 4],
          [4, 5],
        ],
        value: value("'zero'", 'str'),
      };
    return {
      status: 'ok',
      lines: [2, 4, 6, 7],
      branches: [
        [2, 4],
        [4, 6],
      ],
      value: value("'positive'", 'str'),
    };
  }
  // Counter(...) then maybe .add(k)
  const start = first.keywords.length ? intOf(first.keywords[0][1]) : first.args.length ? intOf(first.args[0]) : 0;
  const last = plan.steps[plan.steps.length - 1];
  if (plan.steps.length === 1) {
    return {
      status: 'ok',
      lines: [10, 11],
      branches: [],
      value: value('', 'shapes.Counter', {
        expr: null,
        repr: '<shapes.Counter object at 0x7f>',
        canon: '<shapes.Counter>',
        attrs: [{ name: 'total', expr: String(start), float: false, approx: false }],
      }),
    };
  }
  const k = last.kind === 'call' ? intOf(last.args[0] ?? last.keywords[0]?.[1]) : 0;
  const big = k > 10;
  return {
    status: 'ok',
    lines: [10, 11, 13, ...(big ? [14] : [])],
    branches: big ? [[13, 14]] : [[13, -12]],
    value: value('None', 'NoneType'),
    receiverAttrs: [{ name: 'total', expr: String(start + k), float: false, approx: false }],
  };
}

const fixedClock = () => {
  let t = 0;
  return () => (t += 1);
};

describe('OfflineSearchEngine', () => {
  it('covers every line and branch of the fake module and stops as complete', async () => {
    const sandbox = new FakeExecutionSandbox(shapes, behaviour);
    const session = await sandbox.open(target);
    const outcome = await new OfflineSearchEngine().search(session, target.file, {
      timeBudgetMs: 100_000,
      seed: 7,
      now: fixedClock(),
      batchSize: 16,
    });
    expect(outcome.stoppedBy).toBe('complete');
    expect(outcome.coverage.summary()).toEqual({
      lines: { covered: 13, total: 13 },
      branches: { covered: 6, total: 6 },
      percent: { line: 100, branch: 100, combined: 100 },
    });
    // Only plans that reached something new are archived.
    expect(outcome.tests.length).toBeLessThanOrEqual(7);
    expect(outcome.tests.length).toBeGreaterThanOrEqual(4);
  });

  it('keeps searching the callables with uncovered code until the budget ends', async () => {
    const sandbox = new FakeExecutionSandbox(shapes, (plan) => {
      const r = behaviour(plan);
      // Line 14 (k > 10) is never reached in this variant: the search cannot complete.
      return { ...r, lines: r.lines.filter((l) => l !== 14), branches: r.branches.filter((b) => b[1] !== 14) };
    });
    const session = await sandbox.open(target);
    let t = 0;
    const outcome = await new OfflineSearchEngine().search(session, target.file, {
      timeBudgetMs: 50,
      plateauMs: 1_000_000,
      seed: 1,
      now: () => (t += 1),
      batchSize: 4,
    });
    expect(outcome.stoppedBy).toBe('budget');
    expect(outcome.coverage.missingLines).toEqual([14]);
    const adds = sandbox.executed.filter((p) => p.steps && p.steps.length > 1).length;
    expect(adds).toBeGreaterThan(sandbox.executed.length / 3);
  });
});

describe('OfflineSearchEngine within the module budget', () => {
  const searchFor = async (reserveMs?: (tests: number) => number) => {
    const sandbox = new FakeExecutionSandbox(shapes, (plan) => {
      const r = behaviour(plan);
      return { ...r, lines: r.lines.filter((l) => l !== 14), branches: r.branches.filter((b) => b[1] !== 14) };
    });
    const session = await sandbox.open(target);
    let t = 0;
    const outcome = await new OfflineSearchEngine().search(session, target.file, {
      timeBudgetMs: 100_000,
      plateauMs: 1_000_000,
      seed: 1,
      now: () => (t += 50),
      batchSize: 4,
      ...(reserveMs ? { reserveMs } : {}),
    });
    return { outcome, elapsedMs: t };
  };

  it('stops once the time left is what validating the archived tests will take, but not before 5 s', async () => {
    const full = await searchFor();
    const reserved = await searchFor((tests) => tests * 30_000);
    expect(full.outcome.stoppedBy).toBe('budget');
    expect(full.elapsedMs).toBeGreaterThanOrEqual(100_000);
    expect(reserved.outcome.stoppedBy).toBe('budget');
    expect(reserved.elapsedMs).toBeGreaterThanOrEqual(5000);
    expect(reserved.elapsedMs).toBeLessThan(10_000);
    // A reserve the budget holds changes nothing.
    expect((await searchFor(() => 0)).elapsedMs).toBe(full.elapsedMs);
  });
});

describe('OfflineSearchEngine with focus lines and coverage from other tests', () => {
  const neverLine14 = (plan: CallPlan) => {
    const r = behaviour(plan);
    return { ...r, lines: r.lines.filter((l) => l !== 14), branches: r.branches.filter((b) => b[1] !== 14) };
  };
  const addsOf = async (focusLines?: number[]) => {
    const sandbox = new FakeExecutionSandbox(shapes, neverLine14);
    const session = await sandbox.open(target);
    let t = 0;
    await new OfflineSearchEngine().search(session, target.file, {
      timeBudgetMs: 200,
      plateauMs: 1_000_000,
      seed: 3,
      now: () => (t += 1),
      batchSize: 4,
      ...(focusLines ? { focusLines } : {}),
    });
    return sandbox.executed.filter((p) => p.steps && p.steps.length > 1).length / sandbox.executed.length;
  };

  it('tries the callable holding the focus lines more often', async () => {
    expect(await addsOf([13, 14])).toBeGreaterThan(await addsOf());
  });

  it('keeps no test for what other tests already cover', async () => {
    const sandbox = new FakeExecutionSandbox(shapes, behaviour);
    const session = await sandbox.open(target);
    const coveredBefore = {
      lines: [2, 3, 4, 5, 6, 7],
      branches: [
        [2, 3],
        [2, 4],
        [4, 5],
        [4, 6],
      ] as [number, number][],
    };
    const outcome = await new OfflineSearchEngine().search(session, target.file, {
      timeBudgetMs: 100_000,
      seed: 7,
      now: fixedClock(),
      batchSize: 16,
      coveredBefore,
    });
    expect(outcome.stoppedBy).toBe('complete');
    expect(outcome.tests.length).toBeGreaterThan(0);
    expect(outcome.tests.every((t) => t.candidate?.target.qualname !== 'classify')).toBe(true);
  });
});

describe('minimiseArchive', () => {
  it('drops tests whose coverage others already hold', () => {
    const r = (lines: number[]): CallResult => ({ status: 'ok', lines, branches: [] });
    const tests = [r([1, 2]), r([2, 3]), r([1, 2, 3]), r([4])].map((result, i) => ({
      plan: { steps: [{ kind: 'lit', source: String(i) }] } as CallPlan,
      result,
    }));
    expect(minimiseArchive(tests).map((t) => t.result.lines)).toEqual([[1, 2, 3], [4]]);
  });
});

describe('OfflineTestGenerator', () => {
  it('renders passing-style pytest code with exact values, raises with match, and attribute checks', async () => {
    const sandbox = new FakeExecutionSandbox(shapes, behaviour);
    const gen = await new OfflineTestGenerator(sandbox).generate(target, {
      timeBudgetMs: 100_000,
      seed: 3,
      now: fixedClock(),
    });
    // One session searches; a second, with another hash seed, re-runs the kept tests.
    expect(sandbox.opened.map((o) => o.hashSeed)).toEqual([0, 4242]);
    expect(sandbox.closed).toBe(2);
    const file = gen.render();
    expect(shipped(file)).toContain('from shapes import Counter, classify');
    expect(shipped(file)).toMatch(
      /def test_classify_raises_value_error_negative\(\):\n {4}with pytest\.raises\(ValueError, match=r"negative: -1 \\\(n < 0\\\)"\):\n {8}classify\(-\d+\)/,
    );
    expect(shipped(file)).toMatch(
      /def test_classify_returns_string_with_zero_n\(\):\n {4}result = classify\(0\)\n {4}assert result == 'zero'/,
    );
    expect(shipped(file)).toMatch(
      /counter = Counter\([^)]*\)\n {4}counter\.add\(\d+\)\n {4}assert counter\.total == \d+/,
    );
    // Tests come grouped per callable in source order.
    const order = file.tests.map((t) => t.subject);
    expect(order).toEqual(
      [...order].sort(
        (a, b) => ['classify', 'Counter', 'Counter.add'].indexOf(a) - ['classify', 'Counter', 'Counter.add'].indexOf(b),
      ),
    );
    // Every case carries its own imports for the assembler.
    for (const c of file.cases) expect(c.imports.some((i) => i.startsWith('from shapes import'))).toBe(true);
    // Excluding a test by name leaves it out.
    const first = file.tests[0].name;
    expect(gen.render(new Set([first])).tests.map((t) => t.name)).not.toContain(first);
  });

  it('asserts only the type of a result that differs between runs, and the name does not claim the value', async () => {
    let call = 0;
    const sandbox = new FakeExecutionSandbox(shapes, (plan) => {
      const r = behaviour(plan);
      return r.value && r.value.expr === "'positive'" ? { ...r, value: value(`'positive ${call++}'`, 'str') } : r;
    });
    const gen = await new OfflineTestGenerator(sandbox).generate(target, {
      timeBudgetMs: 100_000,
      seed: 3,
      now: fixedClock(),
    });
    const content = shipped(gen.render());
    expect(content).not.toMatch(/'positive \d+'/);
    // Every test checks something: the value varies, its type does not.
    expect(content).toMatch(
      /def test_classify_returns_string\(\):\n {4}result = classify\([1-9]\d*\)\n {4}assert isinstance\(result, str\)\n/,
    );
  });
});

describe('stability', () => {
  const ok = (canon: string): CallResult => ({
    status: 'ok',
    lines: [],
    branches: [],
    value: value(canon, 'str'),
    stdout: '',
  });
  it('agrees when every re-run gives the same outcome and value', () => {
    expect(stability(ok("'a'"), [ok("'a'"), ok("'a'")])).toMatchObject({ outcome: true, value: true, stdout: true });
  });
  it('keeps the outcome but not the value when the value changes', () => {
    expect(stability(ok("'a'"), [ok("'a'"), ok("'b'")])).toMatchObject({ outcome: true, value: false });
  });
  it("asserts no value or output that shows today's year unless the test passed that year in", () => {
    const clock = { year: 2026, planText: '{"call":"calendar","args":[]}' };
    const printed: CallResult = { ...ok("'x'"), stdout: '                 2026\n      January  February\n' };
    expect(stability(ok("'December 2026'"), [ok("'December 2026'")], clock)).toMatchObject({
      outcome: true,
      value: false,
    });
    expect(stability(printed, [printed], clock)).toMatchObject({ outcome: true, stdout: false });
    expect(
      stability(ok("'December 2026'"), [ok("'December 2026'")], { ...clock, planText: '{"args":[2026,12]}' }),
    ).toMatchObject({ value: true });
    expect(stability(ok("'20261'"), [ok("'20261'")], clock)).toMatchObject({ value: true });
  });

  it('rejects a test whose outcome changes', () => {
    const raised: CallResult = {
      status: 'raised',
      step: 0,
      lines: [],
      branches: [],
      exception: { type: 'KeyError', module: 'builtins', message: 'x', path: null, inModule: true },
    };
    expect(stability(ok("'a'"), [raised]).outcome).toBe(false);
  });
});

describe('python source helpers', () => {
  it('writes Python literals the way repr does', () => {
    expect(pyStr("it's")).toBe('"it\'s"');
    expect(pyStr('a\nb\\c\x01')).toBe("'a\\nb\\\\c\\x01'");
    expect(pyFloat(1)).toBe('1.0');
    expect(pyFloat(1e-9)).toBe('1e-9');
    expect(pyFloat(NaN)).toBe("float('nan')");
  });
  it('names things in snake case and escapes match patterns', () => {
    expect(snakeCase('HTMLCalendar')).toBe('html_calendar');
    expect(snakeCase('ValueError')).toBe('value_error');
    expect(pyRegexLiteral('bad value (x)')).toBe('r"bad value \\(x\\)"');
    expect(messageWords("unknown token 'x'")).toBe('unknown_token');
  });
  it('builds plans for methods with a receiver', () => {
    const add = shapes.callables[2];
    const plan = toPlan({
      target: add,
      receiver: { kind: 'construct', cls: shapes.callables[1], args: [] },
      prefix: [],
      args: [],
    });
    expect(plan).toEqual({
      steps: [
        { kind: 'call', callee: { kind: 'ref', path: 'Counter' }, args: [], keywords: [] },
        {
          kind: 'call',
          callee: { kind: 'attr', target: { kind: 'var', index: 0 }, name: 'add' },
          args: [],
          keywords: [],
        },
      ],
      receiver: 0,
    });
  });
});
