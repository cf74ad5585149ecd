import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  EnvironmentError,
  InvalidInputError,
  silentLogger,
  type CallPlan,
  type PlanExpr,
  type CallResult,
  type ExecutionSandbox,
  type Logger,
  type ModuleInterface,
  type ModuleTarget,
  type SandboxExecuteOptions,
  type SandboxOpenOptions,
  type SandboxSession,
} from '@test-agent/domain';
import { processCleanups } from '../../process/cleanup-registry';
import { isWithheldVariable, scrubEnvironment } from '../pytest-executor/sandbox-environment';
import { clockShiftEnvironment } from '../../process/faketime';
import { infrastructureAsset } from '../../file-system/package-root';
import { PythonLauncher, type ProcessLimits } from '../../process/python-launcher';
import type { PythonRuntime, PythonRuntimeProvider } from '../../python/project-python';

export interface PythonWorkerOptions {
  /** Slack added to each plan's time limit before the worker is presumed hung and killed, in ms. */
  readonly hangGraceMs?: number;
  /** Longest wait for the worker to start and import the module, in ms. */
  readonly loadTimeoutMs?: number;
  /** Resource limits of the worker process (CPU seconds over its whole life, address space, file size). */
  readonly limits?: ProcessLimits;
  /** Variables the worker's environment starts from before scrubbing (the process environment by default). */
  readonly baseEnv?: Readonly<Record<string, string | undefined>>;
}

type ResolvedWorkerOptions = Required<Omit<PythonWorkerOptions, 'baseEnv'>> & Pick<PythonWorkerOptions, 'baseEnv'>;

export const DEFAULT_WORKER_LIMITS: ProcessLimits = {
  cpuSeconds: 900,
  memoryBytes: 2 * 1024 ** 3,
  fileSizeBytes: 256 * 1024 ** 2,
};

type Reply = {
  id?: number;
  index?: number;
  result?: unknown;
  done?: boolean;
  error?: string;
  trace?: string;
  ready?: boolean;
};

/** The longest protocol line accepted from the worker (a module's whole interface fits many times over). */
const MAX_REPLY_BYTES = 64 * 1024 * 1024;

/** One worker process: JSON lines over stdio. */
class WorkerProcess {
  private readonly listeners = new Set<(reply: Reply) => void>();
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
    let reply: Reply;
    try {
      reply = JSON.parse(line) as Reply;
    } catch {
      // Not a protocol line (cannot happen once fd 1 is redirected); keep it for diagnostics.
      this.stderr = `${this.stderr}${line.slice(0, 2000)}\n`.slice(-4000);
      return;
    }
    for (const l of [...this.listeners]) l(reply);
  }

  send(obj: unknown): void {
    if (!this.exited) this.child.stdin!.write(`${JSON.stringify(obj)}\n`);
  }

  /** Calls `onReply` for each reply until it returns true; rejects on exit or when `idleMs` passes without a reply. */
  collect(onReply: (r: Reply) => boolean, idleMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => finish(new Error('hung')), idleMs);
      };
      const listener = (r: Reply) => {
        arm();
        let done: boolean;
        try {
          done = onReply(r);
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

class PythonWorkerSession implements SandboxSession {
  private worker!: WorkerProcess;
  private nextId = 1;
  private closed = false;
  /** The worker was killed and, the budget being spent, not restarted: the next `execute` restarts it. */
  private stopped = false;
  module!: ModuleInterface;

  constructor(
    private readonly python: PythonRuntime,
    private readonly launcher: PythonLauncher,
    private readonly target: ModuleTarget,
    private readonly hashSeed: number,
    private readonly environment: Readonly<Record<string, string>>,
    private readonly dir: string,
    private readonly options: ResolvedWorkerOptions,
    private readonly logger: Logger,
  ) {
    this.secrets = withheldValues(this.options.baseEnv ?? process.env);
    // The session's temp folder goes on interruption too (registered for the session's life).
    const folder = this.dir;
    this.unregisterDir = processCleanups.register(() => rmSync(folder, { recursive: true, force: true }));
  }

  private readonly unregisterDir: () => void;
  /** Values of the variables withheld from the worker (keys, tokens), at least 6 characters long. */
  private readonly secrets: readonly string[];

  async start(): Promise<void> {
    const script = infrastructureAsset('adapters/python-worker/executor_worker.py');
    const child = await this.launcher.spawn(
      {
        interpreter: this.python.executable,
        args: [script],
        ...(this.python.tooling ? { tooling: this.python.tooling } : {}),
        cwd: this.dir,
        // The environment pytest gets (the user's, without credentials and Python/pytest settings), so the worker
        // observes what the written tests will observe; a fixed hash seed makes the search repeatable.
        env: scrubEnvironment(this.options.baseEnv ?? process.env, {
          HOME: this.dir,
          TMPDIR: this.dir,
          TMP: this.dir,
          TEMP: this.dir,
          PYTHONHASHSEED: String(this.hashSeed),
          PYTHONDONTWRITEBYTECODE: '1',
          PYTHONNOUSERSITE: '1',
          PYTHONIOENCODING: 'utf-8',
          PYTHONUNBUFFERED: '1',
          PYTHONUTF8: '1',
          NO_COLOR: '1',
          ...this.environment,
        }),
        writable: [this.dir],
        limits: this.options.limits,
      },
      ['pipe', 'pipe', 'pipe'],
    );
    this.worker = new WorkerProcess(child);
    const id = this.nextId++;
    let loaded: Reply | undefined;
    let ready = false;
    const waiting = this.worker.collect((r) => {
      if (r.ready) {
        ready = true;
        this.worker.send({
          id,
          op: 'load',
          importRoot: this.target.importRoot,
          moduleName: this.target.moduleName,
          file: this.target.file,
        });
        return false;
      }
      if (r.id === id) {
        loaded = r;
        return true;
      }
      return false;
    }, this.options.loadTimeoutMs);
    try {
      await waiting;
    } catch (e) {
      this.worker.kill();
      if (!ready) {
        throw new EnvironmentError(
          'TA_WORKER_START_FAILED',
          `The Python executor worker did not start: ${(e as Error).message}`,
          { cause: e },
        );
      }
      const why =
        (e as Error).message === 'hung'
          ? `it was still running after ${this.options.loadTimeoutMs / 1000} s`
          : (e as Error).message;
      throw new InvalidInputError('TA_IMPORT_FAILED', `Importing ${this.target.moduleName} did not finish: ${why}`, {
        cause: e,
      });
    }
    if (loaded?.error) {
      this.worker.kill();
      throw new InvalidInputError(
        'TA_IMPORT_FAILED',
        `Cannot import ${this.target.moduleName} from ${this.target.file} with ${describeRuntime(this.python)}: ${loaded.error}`,
        {
          details: { module: this.target.moduleName },
        },
      );
    }
    this.module = loaded!.result as ModuleInterface;
  }

  async execute(plans: readonly CallPlan[], options: SandboxExecuteOptions): Promise<CallResult[]> {
    if (this.closed) throw new Error('The sandbox session is closed');
    const crashed = (error: string): CallResult => ({ status: 'crashed', lines: [], branches: [], error });
    if (this.stopped) {
      const why = await this.restart();
      if (why) return plans.map(() => crashed(why));
    }
    const results: (CallResult | undefined)[] = new Array(plans.length);
    let pending = plans.map((_, i) => i);
    while (pending.length > 0) {
      const id = this.nextId++;
      const batch = pending;
      let received = 0;
      this.worker.send({ id, op: 'execute', plans: batch.map((i) => plans[i]), timeoutMs: options.timeoutMs });
      try {
        await this.worker.collect((r) => {
          if (r.id !== id) return false;
          if (r.error) throw new Error(r.error);
          if (r.done) return true;
          results[batch[r.index ?? 0]] = this.withoutSecrets(r.result as CallResult);
          received = (r.index ?? 0) + 1;
          return false;
        }, options.timeoutMs + this.options.hangGraceMs);
        pending = [];
      } catch (e) {
        // The plan after the last reply hung or killed the worker: record it, restart, go on after it.
        const culprit = batch[received];
        this.logger.debug('Executor worker lost a plan; restarting', { plan: culprit, reason: (e as Error).message });
        this.worker.kill();
        if (culprit === undefined) break;
        results[culprit] = crashed((e as Error).message);
        // The same function again in this batch would most likely cost another hang and restart.
        const callee = calleeOf(plans[culprit]);
        pending = batch.slice(received + 1).filter((i) => {
          if (calleeOf(plans[i]) !== callee) return true;
          results[i] = crashed('not run: an earlier call of the same function hung or crashed in this batch');
          return false;
        });
        if (options.deadline !== undefined && Date.now() >= options.deadline) {
          // The budget is spent: no restart (a hostile module could hang every plan); the rest did not run.
          for (const i of pending) results[i] = crashed('not run: the budget ran out');
          this.stopped = true;
          break;
        }
        const why = await this.restart();
        if (why) {
          // The code under test keeps the worker from coming back (it floods it, or hangs the import now):
          // those plans crashed; the module's search goes on to its end rather than failing the whole run.
          for (const i of pending) results[i] = crashed(why);
          break;
        }
      }
    }
    return results.map((r) => r ?? crashed('no result'));
  }

  /**
   * A result that shows the value of a variable withheld from the worker (an API key Test Agent itself was given,
   * read back by the code from a file or a config) is treated like one showing a machine value: nothing of it
   * that carries the value is kept, so no test or report can contain it.
   */
  private withoutSecrets(result: CallResult): CallResult {
    if (this.secrets.length === 0) return result;
    const text = JSON.stringify(result);
    if (!this.secrets.some((v) => text.includes(v) || text.includes(JSON.stringify(v).slice(1, -1)))) return result;
    const { value, receiverAttrs: _attrs, stdout: _stdout, exception, ...rest } = result;
    return {
      ...rest,
      machineDependent: true,
      ...(value
        ? {
            value: {
              ...value,
              repr: '',
              expr: null,
              canon: '<machine-dependent>',
              float: false,
              approx: false,
              nan: false,
              len: null,
              attrs: [],
              parts: [],
            },
          }
        : {}),
      ...(exception ? { exception: { ...exception, message: '' } } : {}),
    };
  }

  /** Starts the worker again; on failure returns why (and stays stopped), since it once started fine. */
  private async restart(): Promise<string | undefined> {
    try {
      await this.start();
      this.stopped = false;
      return undefined;
    } catch (e) {
      this.stopped = true;
      this.logger.debug('Executor worker could not restart', { reason: (e as Error).message });
      return `not run: the worker could not restart (${(e as Error).message})`;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.worker?.kill();
    rmSync(this.dir, { recursive: true, force: true });
    this.unregisterDir();
  }
}

/**
 * `ExecutionSandbox` backed by `executor_worker.py` running in Test Agent's venv: one long-lived process per
 * session, working in its own temp dir (also HOME and TMPDIR) with a scrubbed environment; a hung or crashed
 * worker is killed (whole process group) and restarted.
 */
export class PythonWorkerExecutionSandbox implements ExecutionSandbox {
  private readonly options: ResolvedWorkerOptions;

  constructor(
    private readonly interpreter: PythonRuntimeProvider,
    options: PythonWorkerOptions = {},
    private readonly logger: Logger = silentLogger,
    private readonly launcher: PythonLauncher = new PythonLauncher({ sandbox: 'on' }),
  ) {
    this.options = {
      hangGraceMs: options.hangGraceMs ?? 1500,
      loadTimeoutMs: options.loadTimeoutMs ?? 60_000,
      limits: options.limits ?? DEFAULT_WORKER_LIMITS,
      baseEnv: options.baseEnv,
    };
  }

  async open(target: ModuleTarget, options: SandboxOpenOptions = {}): Promise<SandboxSession> {
    await this.launcher.assertUsable();
    const python = await this.interpreter.runtimeFor(target);
    // realpath: bwrap binds the real folder (the OS temp folder may be a symlink).
    const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'test-agent-worker-')));
    const sessionOptions = options.loadTimeoutMs
      ? { ...this.options, loadTimeoutMs: Math.min(this.options.loadTimeoutMs, options.loadTimeoutMs) }
      : this.options;
    const session = new PythonWorkerSession(
      python,
      this.launcher,
      target,
      options.hashSeed ?? 0,
      {
        ...options.environment,
        ...(options.clockShiftSeconds
          ? clockShiftEnvironment(options.clockShiftSeconds, this.options.baseEnv ?? process.env)
          : {}),
      },
      dir,
      sessionOptions,
      this.logger.child('executor'),
    );
    try {
      await session.start();
    } catch (e) {
      await session.close();
      throw e;
    }
    return session;
  }
}

/** `Python 3.11.7 (/usr/bin/python3, found via PATH)`: which interpreter an import failed in. */
function describeRuntime(python: PythonRuntime): string {
  const how =
    python.source === 'test-agent'
      ? "Test Agent's venv"
      : python.source === 'option'
        ? 'the configured interpreter'
        : `found via ${python.source}`;
  return `Python ${python.version} (${python.executable}, ${how})`;
}

/** What a plan calls last (its function, and the object it was built from), to recognise calls of one function. */
function calleeOf(plan: CallPlan): string {
  if (plan.doctest !== undefined) return `doctest:${plan.doctest}`;
  const last = plan.steps[plan.steps.length - 1];
  const first = plan.steps.length > 1 ? plan.steps[0] : undefined;
  const fn = (e: PlanExpr | undefined) =>
    e && e.kind === 'call' ? JSON.stringify(e.callee) : JSON.stringify(e ?? null);
  return `${fn(first)}|${fn(last)}`;
}

function withheldValues(env: Readonly<Record<string, string | undefined>>): string[] {
  return Object.entries(env)
    .filter((e): e is [string, string] => e[1] !== undefined && e[1].length >= 6 && isWithheldVariable(e[0], e[1]))
    .map(([, v]) => v);
}
