import { mkdtempSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  silentLogger,
  type ExecutionSandbox,
  type Logger,
  type ModuleTarget,
  type SandboxOpenOptions,
  type SandboxSession,
} from '@test-agent/domain';
import { clockShiftEnvironment } from '../../process/faketime';
import { PythonLauncher, type ProcessLimits } from '../../process/python-launcher';
import type { PythonRuntimeProvider } from '../../python/project-python';
import { PythonWorkerSession, type WorkerSessionOptions } from './python-worker-session';

export { WorkerProtocolError } from './worker-protocol.error';

export interface PythonWorkerOptions {
  /** Slack added to each plan's time limit before the worker is presumed hung and killed, in ms. */
  readonly hangGraceMs?: number;
  /** Longest wait for the worker to start and import the module, in ms. */
  readonly loadTimeoutMs?: number;
  /** Resource limits of the worker process (CPU seconds over its whole life, address space, file size). */
  readonly limits?: ProcessLimits;
  /** Variables the worker's environment starts from before scrubbing (composition passes `config.baseEnv`). */
  readonly baseEnv: Readonly<Record<string, string | undefined>>;
}

export const DEFAULT_WORKER_LIMITS: ProcessLimits = {
  cpuSeconds: 900,
  memoryBytes: 2 * 1024 ** 3,
  fileSizeBytes: 256 * 1024 ** 2,
};

/**
 * `ExecutionSandbox` backed by `executor_worker.py` (the `test_agent_worker` package) running in Test Agent's venv:
 * one long-lived process per session, working in its own temp dir (also HOME and TMPDIR) with a scrubbed
 * environment; a hung or crashed worker is killed (whole process group) and restarted. Every message the worker
 * sends is checked against `worker-protocol.schema.ts`: a malformed one throws `WorkerProtocolError`.
 */
export class PythonWorkerExecutionSandbox implements ExecutionSandbox {
  private readonly options: WorkerSessionOptions;

  constructor(
    private readonly interpreter: PythonRuntimeProvider,
    options: PythonWorkerOptions,
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
    const environment = {
      ...options.environment,
      ...(options.clockShiftSeconds ? clockShiftEnvironment(options.clockShiftSeconds, this.options.baseEnv) : {}),
    };
    const session = new PythonWorkerSession(
      { python, launcher: this.launcher, target, hashSeed: options.hashSeed ?? 0, environment, dir },
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
