import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { EnvironmentError } from '@test-agent/domain';
import { PythonLauncher, type PythonProcessSpec } from './python-launcher';
import { processesMatching } from '../testing/processes';

// Real bubblewrap, real Python: what a sandboxed process can and cannot do. Every fixture acts on folders this
// spec created; the hostile ones run only inside the sandbox.
const python = realpathSync('/usr/bin/python3');
let work: string;
let run: string;
let outside: string;

beforeEach(() => {
  work = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'ta-launcher-')));
  run = path.join(work, 'run');
  outside = path.join(work, 'outside');
  mkdirSync(run);
  mkdirSync(outside);
  writeFileSync(path.join(outside, 'keep.txt'), 'precious');
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

function spec(code: string, env: Record<string, string> = {}): PythonProcessSpec {
  return {
    interpreter: python,
    args: ['-c', code],
    cwd: run,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: run, TMPDIR: run, ...env },
    writable: [run],
    limits: { cpuSeconds: 30, memoryBytes: 1024 ** 3, fileSizeBytes: 16 * 1024 ** 2 },
  };
}

async function runIn(
  launcher: PythonLauncher,
  code: string,
  env?: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { file, args } = await launcher.command(spec(code, env));
  return new Promise((resolve) => {
    execFile(file, args, { cwd: run, env: spec(code, env).env, timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const digest = (dir: string) =>
  readdirSync(dir)
    .sort()
    .map(
      (f) =>
        `${f}:${createHash('sha256')
          .update(readFileSync(path.join(dir, f)))
          .digest('hex')}`,
    )
    .join(',');

describe('PythonLauncher with the sandbox on (real bwrap)', () => {
  const launcher = new PythonLauncher({ sandbox: 'on' });

  it('finds bwrap and reports a confined status', async () => {
    const status = await launcher.status();
    expect(status).toMatchObject({ setting: 'on', confined: true, bwrap: expect.stringMatching(/bwrap$/) });
    expect(await launcher.require()).toEqual({ confined: true, mechanism: expect.stringMatching(/^bubblewrap \d/) });
    expect(await launcher.writeOutsideIsBlocked()).toBe(true);
  });

  it('lets the process write only its own folder: deletes and writes elsewhere fail, nothing outside changes', async () => {
    const before = digest(outside);
    const code = [
      'import os, shutil',
      'results = []',
      `for action in (lambda: shutil.rmtree(${JSON.stringify(outside)}), lambda: os.remove(${JSON.stringify(path.join(outside, 'keep.txt'))}),`,
      `               lambda: open(${JSON.stringify(path.join(outside, 'new.txt'))}, "w"), lambda: open("/etc/ta-probe", "w")):`,
      '    try:',
      '        action(); results.append("done")',
      '    except OSError as e:',
      '        results.append(type(e).__name__)',
      'open("mine.txt", "w").write("ok")',
      'print(results)',
    ].join('\n');
    const result = await runIn(launcher, code);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\['\w+', '\w+', '\w+', '\w+'\]$/);
    expect(result.stdout).not.toContain('done');
    expect(digest(outside)).toBe(before);
    expect(readFileSync(path.join(run, 'mine.txt'), 'utf8')).toBe('ok');
  });

  describe('with a listener on 127.0.0.1', () => {
    let server: Server;
    let connections = 0;
    beforeEach(async () => {
      connections = 0;
      server = createServer((socket) => {
        connections++;
        socket.destroy();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('gives the process no network: the listener sees no connection', async () => {
      const port = (server.address() as { port: number }).port;
      const code = `import socket\ntry:\n    socket.create_connection(("127.0.0.1", ${port}), timeout=2); print("connected")\nexcept OSError as e:\n    print("refused", e.errno)`;
      const result = await runIn(launcher, code);
      expect(result.stdout).toMatch(/^refused/);
      expect(connections).toBe(0);
    });
  });

  it("hides the parent's processes and environment, and cannot signal them", async () => {
    const code = [
      'import os',
      `parent = ${process.pid}`,
      'print(os.path.exists(f"/proc/{parent}/environ"))',
      'try:',
      '    os.kill(parent, 0); print("signalled")',
      'except OSError as e:',
      '    print("no such process", e.errno)',
      'os.kill(os.getppid(), 9)',
      'print("still here")',
    ].join('\n');
    const result = await runIn(launcher, code);
    expect(result.stdout.trim().split('\n')).toEqual(['False', 'no such process 3', 'still here']);
  });

  it('takes every descendant down with it, also one that started its own session', async () => {
    const marker = `sleep 301.${process.pid}`;
    const code = `import subprocess\nsubprocess.Popen(${JSON.stringify(marker.split(' '))}, start_new_session=True)\nprint("started")`;
    const result = await runIn(launcher, code);
    expect(result.stdout.trim()).toBe('started');
    await new Promise((r) => setTimeout(r, 300));
    expect(processesMatching(marker)).toEqual([]);
  });

  it('gives the process no capabilities, even when Test Agent runs as root: a remount fails', async () => {
    const code = [
      'import subprocess',
      'print([l for l in open("/proc/self/status") if l.startswith("CapEff")][0].split()[1])',
      'print(subprocess.run(["mount", "-o", "remount,bind,rw", "/"], capture_output=True).returncode != 0)',
      `try:\n    open(${JSON.stringify(path.join(outside, 'after-remount.txt'))}, "w")\nexcept OSError:\n    print("still read-only")`,
    ].join('\n');
    const result = await runIn(launcher, code);
    expect(result.stdout.trim().split('\n')).toEqual(['0000000000000000', 'True', 'still read-only']);
  });

  it('sets hard limits too: the code cannot lift its memory or file-size limit', async () => {
    const code = [
      'import resource',
      'for kind in (resource.RLIMIT_AS, resource.RLIMIT_FSIZE):',
      '    try:',
      '        resource.setrlimit(kind, (resource.RLIM_INFINITY, resource.RLIM_INFINITY)); print("lifted")',
      '    except (ValueError, OSError):',
      '        print("refused")',
    ].join('\n');
    expect((await runIn(launcher, code)).stdout.trim().split('\n')).toEqual(['refused', 'refused']);
  });

  it('applies the memory limit: a 20 GiB allocation fails with MemoryError', async () => {
    const result = await runIn(
      launcher,
      'try:\n    b = bytearray(20 * 1024 ** 3)\nexcept MemoryError:\n    print("MemoryError")',
    );
    expect(result.stdout.trim()).toBe('MemoryError');
  });
});

describe('PythonLauncher without a usable bwrap', () => {
  it('refuses to start code under test, naming the package to install', async () => {
    const launcher = new PythonLauncher({ sandbox: 'on', bwrap: path.join(work, 'no-bwrap') });
    const status = await launcher.status();
    expect(status).toMatchObject({
      setting: 'on',
      confined: false,
      problem: `${path.join(work, 'no-bwrap')} was not found`,
    });
    const refused = launcher.command(spec('print(1)'));
    await expect(refused).rejects.toThrow(EnvironmentError);
    await expect(refused).rejects.toThrow(/install bubblewrap \(Debian\/Ubuntu: apt-get install bubblewrap/);
    await expect(launcher.require()).rejects.toMatchObject({ code: 'TA_SANDBOX_UNAVAILABLE' });
  });

  it('with the sandbox off, starts the interpreter directly under the limits', async () => {
    const launcher = new PythonLauncher({ sandbox: 'off', bwrap: path.join(work, 'no-bwrap') });
    const { file, args } = await launcher.command(spec('print(1)'));
    expect(file).toBe(python);
    expect(args[0]).toMatch(/test_agent_limits\.py$/);
    expect(await launcher.require()).toEqual({ confined: false });
    expect(
      (await runIn(launcher, 'import resource; print(resource.getrlimit(resource.RLIMIT_AS)[0])')).stdout.trim(),
    ).toBe(String(1024 ** 3));
  });
});
