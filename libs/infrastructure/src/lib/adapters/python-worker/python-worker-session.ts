import { rmSync } from 'node:fs';
import {
  EnvironmentError,
  InvalidInputError,
  PLAN_HUNG,
  type CallPlan,
  type CallResult,
  type Logger,
  type ModuleInterface,
  type ModuleTarget,
  type PlanExpr,
  type SandboxExecuteOptions,
  type SandboxSession,
} from '@test-agent/domain';
import { processCleanups } from '../../process/cleanup-registry';
import type { PythonLauncher, ProcessLimits } from '../../process/python-launcher';
import type { PythonRuntime } from '../../python/project-python';
import { infrastructureAsset } from '../../file-system/package-root';
import { scrubEnvironment } from '../pytest-executor/sandbox-environment';
import { WorkerProcess } from './worker-process';
import { WorkerProtocolError, parseWorkerMessage } from './worker-protocol.error';
import {
  doneReplySchema,
  errorReplySchema,
  loadedReplySchema,
  planResultReplySchema,
  readyMessageSchema,
} from './worker-protocol.schema';
import { withheldValues, withoutSecrets } from './withheld-values';

/** The session's settings, resolved by `PythonWorkerExecutionSandbox`. */
export interface WorkerSessionOptions {
  readonly hangGraceMs: number;
  readonly loadTimeoutMs: number;
  readonly limits: ProcessLimits;
  readonly baseEnv: Readonly<Record<string, string | undefined>>;
}

/** What the session runs and where: the interpreter, the module, the hash seed and extra variables, its folder. */
export interface WorkerSessionSpec {
  readonly python: PythonRuntime;
  readonly launcher: PythonLauncher;
  readonly target: ModuleTarget;
  readonly hashSeed: number;
  readonly environment: Readonly<Record<string, string>>;
  readonly dir: string;
}

/** One loaded module in one worker process (restarted when a plan hangs or kills it). */
export class PythonWorkerSession implements SandboxSession {
  private worker!: WorkerProcess;
  private nextId = 1;
  private closed = false;
  /** The worker was killed and, the budget being spent, not restarted: the next `execute` restarts it. */
  private stopped = false;
  module!: ModuleInterface;
  private readonly unregisterDir: () => void;
  /** Values of the variables withheld from the worker (keys, tokens), at least 6 characters long. */
  private readonly secrets: readonly string[];

  constructor(
    private readonly spec: WorkerSessionSpec,
    private readonly options: WorkerSessionOptions,
    private readonly logger: Logger,
  ) {
    this.secrets = withheldValues(this.options.baseEnv);
    // The session's temp folder goes on interruption too (registered for the session's life).
    const folder = spec.dir;
    this.unregisterDir = processCleanups.register(() => rmSync(folder, { recursive: true, force: true }));
  }

  /**
   * Starts the worker and loads the module.
   * @throws EnvironmentError when the worker does not start, InvalidInputError when the import fails or hangs,
   * WorkerProtocolError when the worker's messages are malformed.
   */
  async start(): Promise<void> {
    this.worker = new WorkerProcess(await this.spawn());
    const id = this.nextId++;
    let loaded: ModuleInterface | { error: string } | undefined;
    let ready = false;
    const waiting = this.worker.collect((message) => {
      if (!ready && isObject(message) && 'ready' in message) {
        parseWorkerMessage(readyMessageSchema, message, 'ready');
        ready = true;
        const { importRoot, moduleName, file } = this.spec.target;
        this.worker.send({ id, op: 'load', importRoot, moduleName, file });
        return false;
      }
      if (!isObject(message) || message.id !== id) return false;
      loaded =
        'error' in message
          ? parseWorkerMessage(errorReplySchema, message, 'error')
          : parseWorkerMessage(loadedReplySchema, message, 'load reply').result;
      return true;
    }, this.options.loadTimeoutMs);
    try {
      await waiting;
    } catch (e) {
      this.worker.kill();
      throw this.startFailure(e, ready);
    }
    if (loaded && 'error' in loaded) {
      this.worker.kill();
      const { moduleName, file } = this.spec.target;
      throw new InvalidInputError(
        'TA_IMPORT_FAILED',
        `Cannot import ${moduleName} from ${file} with ${describeRuntime(this.spec.python)}: ${loaded.error}`,
        { details: { module: moduleName } },
      );
    }
    this.module = loaded!;
  }

  private spawn() {
    const { python, launcher, dir, hashSeed, environment } = this.spec;
    return launcher.spawn(
      {
        interpreter: python.executable,
        args: [infrastructureAsset('adapters/python-worker/executor_worker.py')],
        ...(python.tooling ? { tooling: python.tooling } : {}),
        cwd: dir,
        // The environment pytest gets (the user's, without credentials and Python/pytest settings), so the worker
        // observes what the written tests will observe; a fixed hash seed makes the search repeatable.
        env: scrubEnvironment(this.options.baseEnv, {
          HOME: dir,
          TMPDIR: dir,
          TMP: dir,
          TEMP: dir,
          PYTHONHASHSEED: String(hashSeed),
          PYTHONDONTWRITEBYTECODE: '1',
          PYTHONNOUSERSITE: '1',
          PYTHONIOENCODING: 'utf-8',
          PYTHONUNBUFFERED: '1',
          PYTHONUTF8: '1',
          NO_COLOR: '1',
          ...environment,
        }),
        writable: [dir],
        limits: this.options.limits,
      },
      ['pipe', 'pipe', 'pipe'],
    );
  }

  /** The error a start that did not finish throws: the worker never said it was ready, or the import hung. */
  private startFailure(e: unknown, ready: boolean): Error {
    if (e instanceof WorkerProtocolError) return e;
    if (!ready) {
      return new EnvironmentError(
        'TA_WORKER_START_FAILED',
        `The Python executor worker did not start: ${(e as Error).message}`,
        { cause: e },
      );
    }
    const why =
      (e as Error).message === PLAN_HUNG
        ? `it was still running after ${this.options.loadTimeoutMs / 1000} s`
        : (e as Error).message;
    return new InvalidInputError(
      'TA_IMPORT_FAILED',
      `Importing ${this.spec.target.moduleName} did not finish: ${why}`,
      { cause: e },
    );
  }

  async execute(plans: readonly CallPlan[], options: SandboxExecuteOptions): Promise<CallResult[]> {
    if (this.closed) throw new Error('The sandbox session is closed');
    if (this.stopped) {
      const why = await this.restart();
      if (why) return plans.map(() => crashed(why));
    }
    const results: (CallResult | undefined)[] = new Array(plans.length);
    let pending = plans.map((_, i) => i);
    while (pending.length > 0) {
      const batch = pending;
      const received = await this.runBatch(plans, batch, results, options);
      if (received === batch.length) break;
      pending = await this.afterLostPlan(plans, batch, received, results, options);
    }
    return results.map((r) => r ?? crashed('no result'));
  }

  /**
   * Sends the plans of `batch` and records their results: how many came back (`batch.length` when all did).
   * @throws WorkerProtocolError when a reply is malformed (the worker is killed first).
   */
  private async runBatch(
    plans: readonly CallPlan[],
    batch: readonly number[],
    results: (CallResult | undefined)[],
    options: SandboxExecuteOptions,
  ): Promise<number> {
    const id = this.nextId++;
    let received = 0;
    this.worker.send({ id, op: 'execute', plans: batch.map((i) => plans[i]), timeoutMs: options.timeoutMs });
    try {
      await this.worker.collect((message) => {
        if (!isObject(message) || message.id !== id) return false;
        if ('error' in message) throw new Error(parseWorkerMessage(errorReplySchema, message, 'error').error);
        if ('done' in message) return Boolean(parseWorkerMessage(doneReplySchema, message, 'done').done);
        const reply = parseWorkerMessage(planResultReplySchema, message, 'plan result');
        results[batch[reply.index]] = withoutSecrets(reply.result, this.secrets);
        received = reply.index + 1;
        return false;
      }, options.timeoutMs + this.options.hangGraceMs);
      return batch.length;
    } catch (e) {
      if (e instanceof WorkerProtocolError) {
        this.worker.kill();
        throw e;
      }
      // The plan after the last reply hung or killed the worker: record it, restart, go on after it.
      const culprit = batch[received];
      this.logger.debug('Executor worker lost a plan; restarting', { plan: culprit, reason: (e as Error).message });
      this.worker.kill();
      if (culprit !== undefined) results[culprit] = crashed((e as Error).message);
      return received;
    }
  }

  /** The plans of `batch` still to run after the one at `received` was lost (none when the worker stays down). */
  private async afterLostPlan(
    plans: readonly CallPlan[],
    batch: readonly number[],
    received: number,
    results: (CallResult | undefined)[],
    options: SandboxExecuteOptions,
  ): Promise<number[]> {
    const culprit = batch[received];
    if (culprit === undefined) return [];
    // The same function again in this batch would most likely cost another hang and restart.
    const callee = calleeOf(plans[culprit]);
    const pending = batch.slice(received + 1).filter((i) => {
      if (calleeOf(plans[i]) !== callee) return true;
      results[i] = crashed('not run: an earlier call of the same function hung or crashed in this batch');
      return false;
    });
    if (options.deadline !== undefined && Date.now() >= options.deadline) {
      // The budget is spent: no restart (a hostile module could hang every plan); the rest did not run.
      for (const i of pending) results[i] = crashed('not run: the budget ran out');
      this.stopped = true;
      return [];
    }
    const why = await this.restart();
    if (why) {
      // The code under test keeps the worker from coming back (it floods it, or hangs the import now):
      // those plans crashed; the module's search goes on to its end rather than failing the whole run.
      for (const i of pending) results[i] = crashed(why);
      return [];
    }
    return pending;
  }

  /** Starts the worker again; on failure returns why (and stays stopped), since it once started fine. */
  private async restart(): Promise<string | undefined> {
    try {
      await this.start();
      this.stopped = false;
      return undefined;
    } catch (e) {
      if (e instanceof WorkerProtocolError) throw e;
      this.stopped = true;
      this.logger.debug('Executor worker could not restart', { reason: (e as Error).message });
      return `not run: the worker could not restart (${(e as Error).message})`;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.worker?.kill();
    rmSync(this.spec.dir, { recursive: true, force: true });
    this.unregisterDir();
  }
}

function crashed(error: string): CallResult {
  return { status: 'crashed', lines: [], branches: [], error };
}

function isObject(message: unknown): message is Record<string, unknown> {
  return typeof message === 'object' && message !== null && !Array.isArray(message);
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
