import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvalidInputError, type ModuleTarget } from '@test-agent/domain';
import type { PythonLauncher } from '../../process/python-launcher';
import type { PythonRuntime } from '../../python/project-python';
import { PythonWorkerSession } from './python-worker-session';
import { WorkerProtocolError } from './worker-protocol.error';

// The session against a stand-in worker: a Node process that answers each request with the replies the test
// scripted (from the protocol fixture), so a malformed message is seen exactly as the adapter sees one.
const fixture = JSON.parse(readFileSync(path.join(__dirname, '__fixtures__', 'protocol-messages.json'), 'utf8')) as {
  exchanges: { request: { op: string } | null; replies: { kind: string; message: Record<string, unknown> }[] }[];
};
const repliesTo = (op: string) => fixture.exchanges.find((e) => e.request?.op === op)!.replies.map((r) => r.message);
const ready = fixture.exchanges[0].replies[0].message;

/** A stand-in worker: says `first`, then answers the n-th request with `answers[n]` (each line's `id` set). */
const STAND_IN = `
const answers = JSON.parse(process.argv[1]);
let n = 0, rest = '';
process.stdout.write(JSON.stringify(JSON.parse(process.argv[2])) + '\\n');
process.stdin.on('data', (chunk) => {
  rest += chunk;
  let nl;
  while ((nl = rest.indexOf('\\n')) >= 0) {
    const request = JSON.parse(rest.slice(0, nl));
    rest = rest.slice(nl + 1);
    for (const reply of answers[n++] ?? []) process.stdout.write(JSON.stringify({ ...reply, id: request.id }) + '\\n');
  }
});
`;

function session(answers: unknown[][], first: unknown = ready): PythonWorkerSession {
  const launcher = {
    spawn: async () =>
      spawn(process.execPath, ['-e', STAND_IN, JSON.stringify(answers), JSON.stringify(first)], {
        detached: true,
        stdio: ['pipe', 'pipe', 'pipe'],
      }),
  } as unknown as PythonLauncher;
  const python: PythonRuntime = { executable: 'python3', version: '3.11.7', source: 'test-agent' } as PythonRuntime;
  const target: ModuleTarget = { file: '/work/protocol_sample.py', moduleName: 'protocol_sample', importRoot: '/work' };
  const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'worker-session-spec-')));
  const options = {
    hangGraceMs: 1000,
    loadTimeoutMs: 5000,
    limits: { cpuSeconds: 0, memoryBytes: 0, fileSizeBytes: 0 },
    baseEnv: process.env,
  };
  return new PythonWorkerSession({ python, launcher, target, hashSeed: 0, environment: {}, dir }, options, {
    debug: () => undefined,
  } as never);
}

describe('PythonWorkerSession and the protocol', () => {
  it('loads the module interface and runs plans from well-formed messages', async () => {
    const s = session([repliesTo('load'), repliesTo('execute')]);
    try {
      await s.start();
      expect(s.module.callables.map((c) => c.qualname)).toContain('Counter.bump');
      const results = await s.execute(
        Array.from({ length: repliesTo('execute').length - 1 }, () => ({ steps: [] })),
        { timeoutMs: 1000 },
      );
      expect(results.map((r) => r.status)).toEqual(
        repliesTo('execute')
          .slice(0, -1)
          .map((m) => (m.result as { status: string }).status),
      );
    } finally {
      await s.close();
    }
  });

  it('fails the start with WorkerProtocolError naming the field when the module interface is malformed', async () => {
    const [loaded] = structuredClone(repliesTo('load')) as { result: Record<string, unknown> }[];
    loaded.result.moduleConstants = loaded.result.constants;
    delete loaded.result.constants;
    const s = session([[loaded]]);
    try {
      await expect(s.start()).rejects.toThrow(
        new WorkerProtocolError('load reply', 'result.constants', 'Invalid input: expected array, received undefined'),
      );
    } finally {
      await s.close();
    }
  });

  it('fails the start when the ready message is malformed, and reports an import error as before', async () => {
    const broken = session([], { ready: true, process: 12 });
    await expect(broken.start()).rejects.toMatchObject({ code: 'TA_WORKER_PROTOCOL', field: 'pid' });
    await broken.close();
    const failing = session([[{ error: "ModuleNotFoundError: No module named 'x'" }]]);
    await expect(failing.start()).rejects.toThrow(InvalidInputError);
    await failing.close();
  });

  it('fails execute with WorkerProtocolError instead of counting a malformed result as a crash', async () => {
    const results = structuredClone(repliesTo('execute')) as { result?: Record<string, unknown> }[];
    results[0].result!.state = results[0].result!.status;
    delete results[0].result!.status;
    const s = session([repliesTo('load'), results]);
    try {
      await s.start();
      await expect(s.execute([{ steps: [] }], { timeoutMs: 1000 })).rejects.toMatchObject({
        code: 'TA_WORKER_PROTOCOL',
        field: 'result.status',
      });
    } finally {
      await s.close();
    }
  });
});
