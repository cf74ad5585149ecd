import type { ChildProcess } from 'node:child_process';
import { PLAN_HUNG } from '@test-agent/domain';
import { processCleanups } from '../../process/cleanup-registry';
import type { WorkerRequest } from './worker-protocol.schema';

/** The longest protocol line accepted from the worker (a module's whole interface fits many times over). */
const MAX_REPLY_BYTES = 64 * 1024 * 1024;

/** One worker process: JSON lines over stdio; each line goes to the listeners as `JSON.parse` gives it. */
export class WorkerProcess {
  private readonly listeners = new Set<(message: unknown) => void>();
  private exitListeners = new Set<(why: string) => void>();
  private stderr = '';
  exited = false;

  constructor(private readonly child: ChildProcess) {
    // Detached, so a Ctrl-C on the terminal does not reach it: the CLI's signal handler kills it instead.
    const unregister = processCleanups.register(() => this.kill());
    this.child.once('exit', unregister);
    // Protocol lines, each bounded: code under test that floods the protocol stream gets its worker killed
    // instead of growing this process's memory.
    let pending: Buffer[] = [];
    let size = 0;
    this.child.stdout!.on('data', (chunk: Buffer) => {
      let start = 0;
      for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
        pending.push(chunk.subarray(start, nl));
        const line = Buffer.concat(pending).toString('utf8');
        pending = [];
        size = 0;
        start = nl + 1;
        this.onLine(line);
      }
      if (start < chunk.length) {
        pending.push(chunk.subarray(start));
        size += chunk.length - start;
      }
      if (size > MAX_REPLY_BYTES) {
        pending = [];
        size = 0;
        this.stderr += `a reply longer than ${MAX_REPLY_BYTES / 1024 ** 2} MiB: the worker was killed\n`;
        this.kill();
      }
    });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-4000);
    });
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      const why = `worker exited (${signal ?? `code ${code}`})${this.stderr ? `: ${this.stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`;
      for (const l of [...this.exitListeners]) l(why);
    });
    this.child.on('error', (e) => {
      this.exited = true;
      for (const l of [...this.exitListeners]) l(`cannot start the Python worker: ${e.message}`);
    });
    this.child.stdin!.on('error', () => undefined);
  }

  private onLine(line: string): void {
    if (!line.trim()) return;
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      // Not a protocol line (cannot happen once fd 1 is redirected); keep it for diagnostics.
      this.stderr = `${this.stderr}${line.slice(0, 2000)}\n`.slice(-4000);
      return;
    }
    for (const l of [...this.listeners]) l(message);
  }

  send(request: WorkerRequest): void {
    if (!this.exited) this.child.stdin!.write(`${JSON.stringify(request)}\n`);
  }

  /**
   * Calls `onReply` for each message until it returns true; rejects on exit, when `idleMs` passes without a
   * message (`PLAN_HUNG`) or with what `onReply` threw.
   */
  collect(onReply: (message: unknown) => boolean, idleMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => finish(new Error(PLAN_HUNG)), idleMs);
      };
      const listener = (message: unknown) => {
        arm();
        let done: boolean;
        try {
          done = onReply(message);
        } catch (e) {
          // A worker error reply rejects this call instead of escaping the readline listener.
          finish(e instanceof Error ? e : new Error(String(e)));
          return;
        }
        if (done) finish();
      };
      const onExit = (why: string) => finish(new Error(why));
      const finish = (e?: Error) => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        this.exitListeners.delete(onExit);
        if (e) reject(e);
        else resolve();
      };
      this.listeners.add(listener);
      this.exitListeners.add(onExit);
      if (this.exited) finish(new Error('worker is not running'));
      else arm();
    });
  }

  kill(): void {
    if (this.exited || this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, 'SIGKILL');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
    }
  }
}
