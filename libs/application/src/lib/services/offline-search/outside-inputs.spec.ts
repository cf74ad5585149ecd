import type { CallableInfo, CallPlan, CallResult, ModuleInterface, ModuleTarget } from '@test-agent/domain';
import { FakeExecutionSandbox } from '@test-agent/domain/testing';
import { OfflineTestGenerator } from './offline-test-generator.service';
import { TestFileAssembler } from '../test-file-assembler/test-file-assembler.service';
import { describedValue } from '../../testing/described-value';

// A fake module `qp`:
//   try: from binascii import b2a_qp / except ImportError: b2a_qp = None
//   def encode(data: bytes)   lines 1-4: `if b2a_qp is not None: return b2a_qp(data)` (line 2), else its own
//                             encoder (lines 3-4)
//   def quote(c: bytes)       lines 5-6: reads no optional import
const BYTES = { kind: 'builtin', name: 'bytes' } as const;
const fn = (name: string, span: [number, number]): CallableInfo => ({
  kind: 'function',
  name,
  qualname: name,
  params: [{ name: 'data', kind: 'either', type: BYTES, hasDefault: false, default: null, defaultIsNone: false }],
  span,
});
const qp: ModuleInterface = {
  callables: [fn('encode', [1, 4]), fn('quote', [5, 6])],
  optionalImports: [{ name: 'b2a_qp', source: 'None', users: ['encode'] }],
  literals: {},
  moduleLiterals: [],
  constants: [],
  paramHints: {},
  doctests: [],
  shape: { statements: [1, 2, 3, 4, 5, 6], branches: [] },
  baseline: { lines: [1, 5], branches: [] },
};
const target: ModuleTarget = { file: '/src/qp.py', importRoot: '/src', moduleName: 'qp' };

const bytesValue = (expr: string) => describedValue(expr, 'bytes');

function behaviour(plan: CallPlan): CallResult {
  const step = plan.steps?.[0];
  const name = step?.kind === 'call' && step.callee.kind === 'ref' ? step.callee.path : '';
  const patched = (plan.patches ?? []).some((p) => p.name === 'b2a_qp');
  if (name === 'quote') return { status: 'ok', lines: [6], branches: [], value: bytesValue("b'=3D'"), stdout: '' };
  return { status: 'ok', lines: patched ? [3, 4] : [2], branches: [], value: bytesValue("b'x'"), stdout: '' };
}

const clock = () => {
  let t = 0;
  return () => (t += 1);
};

describe('optional imports', () => {
  it('are made to fail for some calls of the callables that use them, and the test does the same', async () => {
    const sandbox = new FakeExecutionSandbox(qp, behaviour);
    const generation = await new OfflineTestGenerator(sandbox).generate(target, {
      timeBudgetMs: 400,
      seed: 3,
      now: clock(),
    });
    // Only the user of the optional import is run with it patched, and only some of the time.
    const plans = sandbox.executed.filter((p) => p.steps);
    const callee = (p: CallPlan) => {
      const s = p.steps?.[0];
      return s?.kind === 'call' && s.callee.kind === 'ref' ? s.callee.path : '';
    };
    const patched = plans.filter((p) => p.patches?.length);
    expect(patched.length).toBeGreaterThan(0);
    expect(patched.every((p) => callee(p) === 'encode')).toBe(true);
    expect(patched.every((p) => JSON.stringify(p.patches) === '[{"name":"b2a_qp","source":"None"}]')).toBe(true);
    expect(plans.some((p) => callee(p) === 'encode' && !p.patches)).toBe(true);
    expect(generation.search.coverage.missingLines).toEqual([]);
    const file = new TestFileAssembler().assemble(target, generation.render().cases).content;
    // The test that reaches the module's own encoder makes the import fail first, through pytest's monkeypatch.
    expect(file).toMatch(
      /\ndef test_encode_returns_bytes_without_b2a_qp\w*\(monkeypatch\):\n {4}monkeypatch\.setattr\('qp\.b2a_qp', None\)\n/,
    );
    expect(file.match(/monkeypatch\.setattr\('qp\.b2a_qp', None\)/g)).toHaveLength(1);
    expect(file).toMatch(/\ndef test_encode\w*\(\):\n {4}/);
    expect(file).toMatch(/\ndef test_quote\w*\(\):\n {4}/);
  });
});

// A fake module `cli`:
//   def main()   lines 1-4: `opts = sys.argv[1:]` (line 2); `if '-v' in opts:` line 3 runs with `-v` given
const cli: ModuleInterface = {
  ...qp,
  callables: [{ kind: 'function', name: 'main', qualname: 'main', params: [], span: [1, 4] }],
  optionalImports: undefined,
  argvReaders: ['main'],
  literals: { main: [{ source: "'-v'", kind: 'str', value: '-v' }] },
  shape: { statements: [1, 2, 3, 4], branches: [] },
  baseline: { lines: [1], branches: [] },
};
const cliTarget: ModuleTarget = { file: '/src/cli.py', importRoot: '/src', moduleName: 'cli' };

function cliBehaviour(plan: CallPlan): CallResult {
  const argv = plan.argv?.kind === 'lit' ? plan.argv.source : undefined;
  // Without a command line of its own, the call sees the worker's: nothing about it can be asserted.
  if (!argv) return { status: 'ok', lines: [2, 4], branches: [], value: bytesValue("b''"), machineDependent: true };
  return { status: 'ok', lines: argv.includes("'-v'") ? [2, 3] : [2, 4], branches: [], value: bytesValue("b'v'") };
}

describe('the command line', () => {
  it('is set for the callables that read sys.argv, the program name first, and the test sets it too', async () => {
    const sandbox = new FakeExecutionSandbox(cli, cliBehaviour);
    const generation = await new OfflineTestGenerator(sandbox).generate(cliTarget, {
      timeBudgetMs: 400,
      seed: 3,
      now: clock(),
    });
    const argvs = sandbox.executed.filter((p) => p.steps).map((p) => (p.argv?.kind === 'lit' ? p.argv.source : ''));
    expect(argvs.filter((a) => a).length).toBeGreaterThan(argvs.length / 2);
    expect(argvs.filter((a) => a).every((a) => a.startsWith("['prog'"))).toBe(true);
    expect(generation.search.coverage.missingLines).toEqual([]);
    const file = new TestFileAssembler().assemble(cliTarget, generation.render().cases).content;
    expect(file).toMatch(/^import sys$/m);
    expect(file).toMatch(
      /\ndef test_main\w*\(monkeypatch\):\n {4}monkeypatch\.setattr\(sys, 'argv', \['prog'[^\n]*'-v'/,
    );
  });
});

// A fake module `conf`:
//   def mode()   lines 1-4: `value = os.environ.get('APP_MODE')` (line 2); line 3 runs when it is 'test', line 4
//                otherwise; what it returns shows the machine's value unless the plan sets the variable.
const conf: ModuleInterface = {
  ...qp,
  callables: [{ kind: 'function', name: 'mode', qualname: 'mode', params: [], span: [1, 4] }],
  optionalImports: undefined,
  envReaders: [{ name: 'APP_MODE', users: ['mode'] }],
  literals: { mode: [{ source: "'test'", kind: 'str', value: 'test' }] },
  shape: { statements: [1, 2, 3, 4], branches: [] },
  baseline: { lines: [1], branches: [] },
};
const confTarget: ModuleTarget = { file: '/src/conf.py', importRoot: '/src', moduleName: 'conf' };

function confBehaviour(plan: CallPlan): CallResult {
  const set = plan.env?.find((e) => e.name === 'APP_MODE');
  if (!set)
    return { status: 'ok', lines: [2, 4], branches: [], value: bytesValue("b'machine'"), machineDependent: true };
  return { status: 'ok', lines: set.value === 'test' ? [2, 3] : [2, 4], branches: [], value: bytesValue("b'x'") };
}

describe('environment variables', () => {
  it('are set or removed for every call of the callables that read them, and the test does the same', async () => {
    const sandbox = new FakeExecutionSandbox(conf, confBehaviour);
    const generation = await new OfflineTestGenerator(sandbox).generate(confTarget, {
      timeBudgetMs: 400,
      seed: 3,
      now: clock(),
    });
    const envs = sandbox.executed.filter((p) => p.steps).map((p) => p.env ?? []);
    expect(envs.some((e) => e.some((x) => x.name === 'APP_MODE' && x.value === 'test'))).toBe(true);
    expect(envs.some((e) => e.some((x) => x.value === null))).toBe(true);
    // Every call gives each variable it reads, set or removed: never the machine's own.
    expect(envs.every((e) => e.length === 1 && e[0].name === 'APP_MODE')).toBe(true);
    expect(generation.search.coverage.missingLines).toEqual([]);
    const file = new TestFileAssembler().assemble(confTarget, generation.render().cases).content;
    expect(file).toMatch(
      /\ndef test_mode\w*_with_app_mode\w*\(monkeypatch\):\n {4}monkeypatch\.setenv\('APP_MODE', 'test'\)\n/,
    );
  });
});
