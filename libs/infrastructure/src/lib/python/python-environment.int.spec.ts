import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { PythonEnvironment } from './python-environment';

// Many `ensure()` callers set up one fresh venv at once: the lock lets one of them install and the others wait.
// A waiter that finds the lock taken (mkdir: EEXIST) may see it released before it looks at its age (stat:
// ENOENT); that must mean "try again", not a failure. A worker thread takes the lock folder for 40 µs and
// releases it for 2 µs, again and again (what fast owners in other processes do), so sixteen callers hit that
// window many times (without the fix every run of this spec failed with ENOENT).
jest.setTimeout(300_000);

let work: string;

beforeAll(() => {
  work = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'ta-venv-lock-')));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * Takes `lock`, holds it about `holdUs` microseconds, releases it, waits about `freeUs`, and again, until `shared[0]`
 * is set; while another holder has it, it waits. Counts the times it took it in `shared[1]`.
 */
function startLockChurner(lock: string, stop: Int32Array, holdUs: number, freeUs: number): Worker {
  const code = `
    const { mkdirSync, rmdirSync } = require('node:fs');
    const { performance } = require('node:perf_hooks');
    const { workerData, parentPort } = require('node:worker_threads');
    const shared = new Int32Array(workerData.flag);
    const spin = (us) => { const end = performance.now() + us / 1000; while (performance.now() < end); };
    while (Atomics.load(shared, 0) === 0) {
      try { mkdirSync(workerData.lock); } catch { spin(200); continue; }
      spin(workerData.holdUs);
      rmdirSync(workerData.lock);
      Atomics.add(shared, 1, 1);
      spin(workerData.freeUs);
    }
    parentPort.postMessage('stopped');
  `;
  return new Worker(code, { eval: true, workerData: { lock, flag: stop.buffer, holdUs, freeUs } });
}

describe('PythonEnvironment.ensure under concurrent callers', () => {
  it('sets up a fresh venv once; every caller gets the interpreter, none fails on a lock released mid-check', async () => {
    const venvDir = path.join(work, 'venv');
    const lock = `${venvDir}.lock`;
    const shared = new Int32Array(new SharedArrayBuffer(8));
    const churner = startLockChurner(lock, shared, 40, 2);
    const stopped = new Promise((resolve) => churner.once('message', resolve));
    // The callers start once the churner is really taking and releasing the lock (a loaded machine may start the
    // thread late); how often it gets the lock while a caller installs depends on the machine, not on the code.
    const started = Date.now();
    while (Atomics.load(shared, 1) < 100 && Date.now() - started < 60_000) await new Promise((r) => setTimeout(r, 5));
    const before = Atomics.load(shared, 1);
    expect(before).toBeGreaterThanOrEqual(100);
    const callers = Array.from(
      { length: 16 },
      () => new PythonEnvironment({ venvDir, basePython: 'python3', pipArgs: ['--retries', '0'] }),
    );
    let results: PromiseSettledResult<string>[];
    try {
      results = await Promise.allSettled(callers.map((c) => c.ensure()));
    } finally {
      Atomics.store(shared, 0, 1);
    }
    await stopped;
    expect(Atomics.load(shared, 1)).toBeGreaterThan(before); // it kept taking and releasing the lock beside the callers
    await churner.terminate();

    const failures = results
      .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
      .map((r) => (r.reason as Error).message);
    expect(failures).toEqual([]);
    expect(results.map((r) => (r as PromiseFulfilledResult<string>).value)).toEqual(
      callers.map(() => path.join(venvDir, 'bin', 'python')),
    );
    expect(callers.every((c) => c.isReady())).toBe(true);
    expect(readFileSync(path.join(venvDir, '.test-agent-requirements'), 'utf8')).toMatch(/^[0-9a-f]{64}$/);
    expect(existsSync(lock)).toBe(false);
    expect((await callers[0].versions()).pytest).toBe('9.1.1');
  });
});
