import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PlanExpr, SandboxSession } from '@test-agent/domain';
import { resolveModuleTarget } from '../../file-system/python-source';
import { PythonEnvironment } from '../../python/python-environment';
import { PythonWorkerExecutionSandbox } from './python-worker-execution-sandbox.adapter';

// The worker's guard and machine-value filter, seen through the adapter. Everything the fixture module is asked
// to harm is a folder this spec created (mkdtemp) and removes.
const venv = path.resolve(__dirname, '../../../../../../.venv');
const env = new PythonEnvironment({ venvDir: venv, basePython: 'python3', pipArgs: [] });
const fixture = (name: string) => resolveModuleTarget(path.join(__dirname, '__fixtures__', name));
const SETTING = 'guard-adapter-probe-7301';

const lit = (src: string): PlanExpr => ({ kind: 'lit', source: src });
const call = (name: string, ...args: string[]): PlanExpr => ({
  kind: 'call',
  callee: { kind: 'ref', path: name },
  args: args.map(lit),
  keywords: [],
});

describe('PythonWorkerExecutionSandbox guard', () => {
  let session: SandboxSession;
  let outside: string;
  const previous = process.env.GUARD_SAMPLE_SETTING;

  beforeAll(async () => {
    process.env.GUARD_SAMPLE_SETTING = SETTING;
    session = await new PythonWorkerExecutionSandbox(env, { baseEnv: process.env, hangGraceMs: 1500 }).open(
      fixture('guard_sample.py'),
    );
  }, 60_000);
  afterAll(async () => {
    await session.close();
    if (previous === undefined) delete process.env.GUARD_SAMPLE_SETTING;
    else process.env.GUARD_SAMPLE_SETTING = previous;
  });
  beforeEach(() => {
    outside = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'guard-adapter-victim-')));
    writeFileSync(path.join(outside, 'keep.txt'), 'precious');
  });
  afterEach(() => rmSync(outside, { recursive: true, force: true }));

  it('blocks and reports a delete outside the working folder, even one the code swallows', async () => {
    const keep = path.join(outside, 'keep.txt');
    const [cleaned, tidied] = await session.execute(
      [{ steps: [call('clean', JSON.stringify(outside))] }, { steps: [call('tidy', JSON.stringify(keep))] }],
      { timeoutMs: 2000 },
    );
    expect(cleaned).toMatchObject({
      status: 'raised',
      exception: { type: 'PermissionError' },
      outsideEffects: [`delete ${outside}`],
    });
    expect(tidied).toMatchObject({ status: 'ok', value: { expr: "'done'" }, outsideEffects: [`delete ${keep}`] });
    expect(readFileSync(keep, 'utf8')).toBe('precious');
  });

  it('blocks processes and writes outside, and lets the code write in its working folder', async () => {
    const marker = path.join(outside, 'marker');
    const [spawned, written, inside] = await session.execute(
      [
        { steps: [call('run', JSON.stringify(['touch', marker]))] },
        { steps: [call('save', JSON.stringify(marker), "'x'")] },
        { steps: [call('save', "'notes.txt'", "'hello'")] },
      ],
      { timeoutMs: 2000 },
    );
    expect(spawned.outsideEffects).toEqual([`spawn ['touch', '${marker}']`]);
    expect(written.outsideEffects).toEqual([`write ${marker}`]);
    expect(existsSync(marker)).toBe(false);
    expect(inside).toMatchObject({ status: 'ok', value: { expr: "'hello'" }, sideEffects: ['notes.txt'] });
    expect(inside.outsideEffects).toBeUndefined();
  });

  it('reports a value of the environment as machine-dependent, without the value', async () => {
    const [setting, home, plain] = await session.execute(
      [
        { steps: [call('setting', "'GUARD_SAMPLE_SETTING'")] },
        { steps: [call('where')] },
        { steps: [call('save', "'a.txt'", "'plain'")] },
      ],
      { timeoutMs: 2000 },
    );
    expect(setting).toMatchObject({
      status: 'ok',
      machineDependent: true,
      value: { type: 'str', expr: null, attrs: [] },
    });
    expect(JSON.stringify(setting)).not.toContain(SETTING);
    expect(home).toMatchObject({ status: 'ok', machineDependent: true, value: { expr: null } });
    expect(plain.machineDependent).toBeUndefined();
  });

  it('reports what the import tried outside, and keeps its time limit when the module ignored SIGALRM', async () => {
    const other = await new PythonWorkerExecutionSandbox(env, { baseEnv: process.env, hangGraceMs: 5000 }).open(
      fixture('guard_import.py'),
    );
    try {
      expect(other.module.importEffects).toEqual(['write /nonexistent-test-agent-probe/created.txt']);
      const [spin, doubled] = await other.execute([{ steps: [call('spin')] }, { steps: [call('double', '21')] }], {
        timeoutMs: 300,
      });
      expect(spin.status).toBe('timeout');
      expect(doubled.value?.expr).toBe('42');
    } finally {
      await other.close();
    }
  }, 60_000);
});
