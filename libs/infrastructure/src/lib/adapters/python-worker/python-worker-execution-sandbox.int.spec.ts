import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CallPlan, PlanExpr, SandboxSession } from '@test-agent/domain';
import { InvalidInputError } from '@test-agent/domain';
import { resolveModuleTarget } from '../../file-system/python-source';
import { PythonEnvironment } from '../../python/python-environment';
import { PythonWorkerExecutionSandbox } from './python-worker-execution-sandbox.adapter';

const venv = path.resolve(__dirname, '../../../../../../.venv');
const env = new PythonEnvironment({ venvDir: venv, basePython: 'python3', pipArgs: [] });
const fixture = path.join(__dirname, '__fixtures__', 'worker_sample.py');
const target = resolveModuleTarget(fixture);

const lit = (src: string): PlanExpr => ({ kind: 'lit', source: src });
const ref = (p: string): PlanExpr => ({ kind: 'ref', path: p });
const call = (fn: PlanExpr, ...args: PlanExpr[]): PlanExpr => ({ kind: 'call', callee: fn, args, keywords: [] });

describe('PythonWorkerExecutionSandbox', () => {
  let session: SandboxSession;
  beforeAll(async () => {
    session = await new PythonWorkerExecutionSandbox(env, { baseEnv: process.env, hangGraceMs: 1500 }).open(target);
  }, 60_000);
  afterAll(() => session.close());

  it('lists the callables with kinds, parameters and type hints (not the special methods a dataclass made)', () => {
    const byName = new Map(session.module.callables.map((c) => [c.qualname, c]));
    expect([...byName.keys()].sort()).toEqual([
      'Account',
      'Account.deposit',
      'Color',
      'Point',
      'die',
      'evens',
      'grade',
      'shout',
      'spin',
      'touch',
    ]);
    expect(byName.get('grade')?.params).toEqual([
      {
        name: 'score',
        kind: 'either',
        type: { kind: 'builtin', name: 'int' },
        hasDefault: false,
        default: null,
        defaultIsNone: false,
      },
      {
        name: 'strict',
        kind: 'either',
        type: { kind: 'builtin', name: 'bool' },
        hasDefault: true,
        default: 'False',
        defaultIsNone: false,
      },
    ]);
    expect(byName.get('shout')?.params[1].type).toEqual({
      kind: 'union',
      options: [{ kind: 'builtin', name: 'str' }, { kind: 'none' }],
    });
    expect(byName.get('Color')).toMatchObject({
      kind: 'class',
      isEnum: true,
      members: ['RED', 'GREEN'],
      constructible: false,
    });
    expect(byName.get('Point')).toMatchObject({ kind: 'class', isDataclass: true, constructible: true });
    expect(byName.get('Account.deposit')).toMatchObject({ kind: 'method', owner: 'Account', span: [64, 68] });
    expect(byName.get('evens')?.isGenerator).toBe(true);
    expect(session.module.doctests).toEqual([{ qualname: 'grade', examples: [{ source: 'grade(95)', want: "'A'" }] }]);
    expect(session.module.literals.grade.map((l) => l.source)).toEqual(
      expect.arrayContaining(['0', '90', '89', '91', '60', "'negative score'"]),
    );
  });

  it('returns values, exceptions, printed output and receiver changes', async () => {
    const plans: CallPlan[] = [
      { steps: [call(ref('grade'), lit('95'))] },
      { steps: [call(ref('grade'), lit('-1'))] },
      { steps: [call(ref('evens'), lit('5'))] },
      { steps: [call(ref('shout'), lit("['a', 'b']"))] },
      {
        steps: [
          call(ref('Account'), lit("'ann'")),
          call({ kind: 'attr', target: { kind: 'var', index: 0 }, name: 'deposit' }, lit('2.5')),
        ],
        receiver: 0,
      },
      { steps: [call(ref('Point'), lit('1'))] },
      { doctest: 'grade' },
    ];
    const [a, raised, gen, printed, deposit, point, doctest] = await session.execute(plans, { timeoutMs: 2000 });
    expect(a).toMatchObject({ status: 'ok', value: { expr: "'A'", type: 'str' } });
    expect(raised).toMatchObject({
      status: 'raised',
      step: 0,
      exception: { type: 'ValueError', module: 'builtins', message: 'negative score', inModule: true },
    });
    expect(gen).toMatchObject({ status: 'ok', listified: true, value: { expr: '[0, 2, 4]' } });
    expect(printed).toMatchObject({ status: 'ok', stdout: 'A B\n', value: { expr: 'None' } });
    expect(deposit).toMatchObject({
      status: 'ok',
      value: { expr: '2.5', float: true, approx: true },
      receiverAttrs: [{ name: 'balance', expr: '2.5' }],
    });
    expect(point).toMatchObject({ status: 'ok', value: { expr: 'Point(x=1, y=0)' } });
    expect(doctest).toMatchObject({ status: 'ok', doctest: { attempted: 1, failed: 0 } });
  });

  it('tells an exception the module raised on purpose from one the interpreter raised on a wrong argument', async () => {
    const [deliberate, incidental] = await session.execute(
      [{ steps: [call(ref('grade'), lit('-1'))] }, { steps: [call(ref('grade'), lit("'x'"))] }],
      { timeoutMs: 2000 },
    );
    expect(deliberate.exception).toMatchObject({ type: 'ValueError', explicit: true });
    expect(incidental.exception).toMatchObject({ type: 'TypeError', inModule: true, explicit: false });
  });

  it('measures exactly the lines and branches coverage.py measures for the same calls', async () => {
    const calls = ['grade(95)', 'grade(10, True)', 'list(evens(3))', "Account('x').deposit(1.0)"];
    const results = await session.execute(
      calls.map((c) => ({ steps: [lit(c)] })),
      { timeoutMs: 2000 },
    );
    const lines = new Set([...session.module.baseline.lines, ...results.flatMap((r) => r.lines)]);
    const branches = new Set(
      [...session.module.baseline.branches, ...results.flatMap((r) => r.branches)].map((b) => `${b[0]}>${b[1]}`),
    );
    const dir = mkdtempSync(path.join(os.tmpdir(), 'worker-spec-'));
    try {
      const script = [
        'import coverage, json, sys',
        `sys.path.insert(0, ${JSON.stringify(target.importRoot)})`,
        'cov = coverage.Coverage(branch=True, data_file=None, config_file=False)',
        'cov.start()',
        'from worker_sample import *',
        ...calls.map((c) => `${c}`),
        'cov.stop()',
        `a = cov._analyze(${JSON.stringify(target.file)})`,
        'eb = a.executed_branch_arcs()',
        'print(json.dumps({"lines": sorted(a.executed), "statements": sorted(a.statements), "branches": sorted(f"{k}>{v}" for k, vs in eb.items() for v in vs), "nBranches": a.numbers.n_branches}))',
      ].join('\n');
      const measured = JSON.parse(
        execFileSync(path.join(venv, 'bin', 'python'), ['-c', script], { cwd: dir, encoding: 'utf8' }),
      );
      expect([...lines].sort((x, y) => x - y)).toEqual(measured.lines);
      expect([...branches].sort()).toEqual([...measured.branches].sort());
      expect([...session.module.shape.statements]).toEqual(measured.statements);
      expect(session.module.shape.branches.length).toBe(measured.nBranches);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('survives hangs, crashes and side effects, and keeps running the rest of the batch', async () => {
    const results = await session.execute(
      [
        { steps: [call(ref('spin'))] },
        { steps: [call(ref('die'))] },
        { steps: [call(ref('touch'), lit("'made.txt'"))] },
        { steps: [call(ref('grade'), lit('70'))] },
      ],
      { timeoutMs: 300 },
    );
    expect(results.map((r) => r.status)).toEqual(['timeout', 'crashed', 'ok', 'ok']);
    expect(results[2].sideEffects).toEqual(['made.txt']);
    expect(results[3].value?.expr).toBe("'B'");
  }, 60_000);

  it('captures output like pytest (bytes written to sys.stdout.buffer too), reports public attributes and treats files the plan wrote as input', async () => {
    const byName = new Map(session.module.callables.map((c) => [c.qualname, c as typeof c & { fields?: unknown }]));
    expect(byName.get('Account')?.fields).toEqual([
      { name: 'owner', type: 'any' },
      { name: 'balance', type: 'any' },
    ]);
    const [bytesOut, fileRead, streamed, assigned] = await session.execute(
      [
        { steps: [lit("__import__('sys').stdout.buffer.write(b'page\\n')")] },
        { steps: [lit("_file('input.txt', 'a b')"), lit("open('input.txt').read()")] },
        { steps: [lit("io.StringIO('x y').read()")] },
        {
          steps: [
            call(ref('Account'), lit("'ann'")),
            call(lit('setattr'), { kind: 'var', index: 0 }, lit("'balance'"), lit('3.0')),
            call({ kind: 'attr', target: { kind: 'var', index: 0 }, name: 'deposit' }, lit('1.0')),
          ],
          receiver: 0,
        },
      ],
      { timeoutMs: 2000 },
    );
    expect(bytesOut).toMatchObject({ status: 'ok', stdout: 'page\n', value: { expr: '5' } });
    expect(fileRead).toMatchObject({ status: 'ok', value: { expr: "'a b'" } });
    expect(fileRead.sideEffects).toBeUndefined();
    expect(streamed).toMatchObject({ status: 'ok', value: { expr: "'x y'" } });
    expect(assigned).toMatchObject({ status: 'ok', value: { expr: '4.0' } });
    // The plan's file is gone before the next plan.
    const [after] = await session.execute([{ steps: [lit("__import__('os').path.exists('input.txt')")] }], {
      timeoutMs: 2000,
    });
    expect(after.value?.expr).toBe('False');
  });

  it('rejects a module that cannot be imported with InvalidInputError', async () => {
    const broken = resolveModuleTarget(path.join(__dirname, '__fixtures__', 'broken_import.py'));
    await expect(new PythonWorkerExecutionSandbox(env, { baseEnv: process.env }).open(broken)).rejects.toThrow(
      InvalidInputError,
    );
  }, 60_000);
});
