import { execFile, spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  EnvironmentError,
  silentLogger,
  type Containment,
  type ContainmentStatus,
  type Logger,
} from '@test-agent/domain';
import { infrastructureAsset } from '../file-system/package-root';

const run = promisify(execFile);

/** `on`: every Python process runs under bubblewrap (refused when bwrap is unusable); `off`: unconfined. */
export type SandboxSetting = 'on' | 'off';

/** What the launcher will do with the code under test, as `doctor` and the reports show it. */
export interface SandboxStatus {
  readonly setting: SandboxSetting;
  /** Processes run under bubblewrap. False when the setting is `off` or bwrap is unusable. */
  readonly confined: boolean;
  /** The bwrap executable found, if any. */
  readonly bwrap?: string;
  readonly version?: string;
  /** Why bwrap cannot be used (not found, namespaces refused), when it cannot. */
  readonly problem?: string;
}

/** Resource limits of one process (set with setrlimit before exec); 0 leaves a limit unset. */
export interface ProcessLimits {
  /** RLIMIT_CPU, seconds. */
  readonly cpuSeconds: number;
  /** RLIMIT_AS, bytes. */
  readonly memoryBytes: number;
  /** RLIMIT_FSIZE, bytes. */
  readonly fileSizeBytes: number;
}

/** One Python process to start. */
export interface PythonProcessSpec {
  readonly interpreter: string;
  readonly args: readonly string[];
  /** Working directory: inside one of `writable`. */
  readonly cwd: string;
  /** The complete environment (already scrubbed of secrets). */
  readonly env: Readonly<Record<string, string>>;
  /** The only folders the process may write under the sandbox (its private run folder). */
  readonly writable: readonly string[];
  readonly limits: ProcessLimits;
  /** A folder with Test Agent's tooling, appended to `sys.path` after the interpreter's own packages. */
  readonly tooling?: string;
}

export interface PythonLauncherOptions {
  readonly sandbox: SandboxSetting;
  /** bwrap's path, or a name looked up on `PATH` (default `bwrap`). */
  readonly bwrap?: string;
  /**
   * Where `PATH` is read from to find bwrap (composition passes `config.baseEnv`); without it, bwrap is looked up
   * on the system's standard folders (`SYSTEM_PATH`).
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The standard executable folders, where a packaged bwrap lives: the lookup path when no environment is given. */
export const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export const SANDBOX_INSTALL_HINT =
  'install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap) or turn the sandbox off explicitly to run the code under test unconfined';

/**
 * The one place where Test Agent starts Python for the code under test (the search worker, pytest runs,
 * coverage helpers, the import probe): it applies resource limits (`test_agent_limits.py`, then exec) and,
 * with the sandbox on, wraps the process in bubblewrap:
 * - the whole file system read-only (`--ro-bind / /`), with only `writable` (the run's private temp folder,
 *   which is also cwd, HOME and TMPDIR) bound writable; a private `/dev` (with its own `/dev/shm`) and `/proc`;
 * - no network (`--unshare-net`: only a loopback of its own), own IPC and UTS namespaces;
 * - its own PID namespace (`--unshare-pid`): the parent's processes and `/proc/<pid>/environ` are invisible and
 *   cannot be signalled; `--die-with-parent` and the namespace's init take every descendant down with it, so
 *   no process outlives the run; `--new-session` detaches it from the terminal;
 * - no capabilities (`--cap-drop ALL`; bwrap started by root would keep them), so root inside cannot remount
 *   or write the read-only tree.
 */
export class PythonLauncher implements Containment {
  private statusPromise?: Promise<SandboxStatus>;

  constructor(
    private readonly options: PythonLauncherOptions,
    private readonly logger: Logger = silentLogger,
  ) {}

  /** Probes bwrap once (cached): found, starts with the namespaces the sandbox uses. */
  status(): Promise<SandboxStatus> {
    this.statusPromise ??= this.probe();
    return this.statusPromise;
  }

  /**
   * The executable and arguments that start `spec` under the limits and, when on, the sandbox.
   * @throws EnvironmentError `TA_SANDBOX_UNAVAILABLE` when the sandbox is on and bwrap is unusable.
   */
  async command(spec: PythonProcessSpec): Promise<{ file: string; args: string[] }> {
    const status = await this.status();
    const limited = [
      infrastructureAsset('process/test_agent_limits.py'),
      String(Math.max(0, Math.ceil(spec.limits.cpuSeconds))),
      String(spec.limits.memoryBytes),
      String(spec.limits.fileSizeBytes),
      '--',
      spec.interpreter,
      ...(spec.tooling ? [infrastructureAsset('process/test_agent_tooling.py'), spec.tooling] : []),
      ...spec.args,
    ];
    if (status.setting === 'off') return { file: spec.interpreter, args: limited };
    if (!status.confined) throw sandboxUnavailable(status);
    // TEST_AGENT_CONFINED tells the search worker that the sandbox contains it (it hides the variable at once).
    return {
      file: status.bwrap!,
      args: [
        ...bwrapArgs(spec.writable, spec.cwd),
        '--setenv',
        'TEST_AGENT_CONFINED',
        '1',
        '--',
        spec.interpreter,
        ...limited,
      ],
    };
  }

  /** Starts `spec` (see `command`) in its own process group, so the caller can kill the whole group. */
  async spawn(spec: PythonProcessSpec, stdio: StdioOptions): Promise<ChildProcess> {
    const { file, args } = await this.command(spec);
    return spawn(file, args, { cwd: spec.cwd, env: { ...spec.env }, detached: true, stdio });
  }

  /** Fails unless the sandbox is usable or explicitly off (checked before any code under test runs). */
  async assertUsable(): Promise<SandboxStatus> {
    const status = await this.status();
    if (status.setting === 'on' && !status.confined) throw sandboxUnavailable(status);
    return status;
  }

  async require(): Promise<ContainmentStatus> {
    const status = await this.assertUsable();
    return status.confined
      ? { confined: true, mechanism: `bubblewrap${status.version ? ` ${status.version}` : ''}` }
      : { confined: false };
  }

  /**
   * `doctor`'s end-to-end check: a sandboxed process tries to write into a folder outside its own; true when
   * the write failed and nothing appeared there.
   */
  async writeOutsideIsBlocked(): Promise<boolean> {
    const status = await this.assertUsable();
    if (!status.confined) return false;
    const outside = mkdtempSync(path.join(os.tmpdir(), 'test-agent-probe-outside-'));
    const inside = mkdtempSync(path.join(os.tmpdir(), 'test-agent-probe-inside-'));
    try {
      const target = path.join(outside, 'written');
      // It tries a remount first: with capabilities left (bwrap run by root without --cap-drop) that would succeed.
      const args = [
        ...bwrapArgs([inside], inside),
        '--',
        '/bin/sh',
        '-c',
        `mount -o remount,bind,rw / 2>/dev/null; echo x > '${target}'`,
      ];
      const wrote = await run(status.bwrap!, args, { timeout: 10_000 }).then(
        () => true,
        () => false,
      );
      return !wrote && !existsSync(target);
    } finally {
      rmSync(outside, { recursive: true, force: true });
      rmSync(inside, { recursive: true, force: true });
    }
  }

  private async probe(): Promise<SandboxStatus> {
    const setting = this.options.sandbox;
    const searchPath = this.options.env ? (this.options.env.PATH ?? '') : SYSTEM_PATH;
    const bwrap = findExecutable(this.options.bwrap ?? 'bwrap', searchPath);
    if (!bwrap) {
      return {
        setting,
        confined: false,
        problem:
          this.options.bwrap && this.options.bwrap !== 'bwrap'
            ? `${this.options.bwrap} was not found`
            : 'bwrap was not found on PATH',
      };
    }
    if (setting === 'off') return { setting, confined: false, bwrap };
    let version: string | undefined;
    try {
      version = (await run(bwrap, ['--version'], { timeout: 10_000 })).stdout.trim().replace(/^bubblewrap\s*/, '');
      const dir = mkdtempSync(path.join(os.tmpdir(), 'test-agent-probe-'));
      try {
        await run(bwrap, [...bwrapArgs([dir], dir), '--', 'true'], { timeout: 10_000 });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    } catch (e) {
      const detail = String((e as { stderr?: string }).stderr ?? '').trim() || (e as Error).message;
      this.logger.debug('bwrap probe failed', { bwrap, detail });
      return {
        setting,
        confined: false,
        bwrap,
        version,
        problem: `${bwrap} cannot create the sandbox's namespaces: ${lastLine(detail)}`,
      };
    }
    return { setting, confined: true, bwrap, version };
  }
}

/** bwrap's options for a process that may write only `writable`, started in `cwd`. */
export function bwrapArgs(writable: readonly string[], cwd: string): string[] {
  const binds = writable.flatMap((dir) => ['--bind', dir, dir]);
  return [
    '--ro-bind',
    '/',
    '/',
    '--dev',
    '/dev',
    '--proc',
    '/proc',
    // Sockets of the host's services (Docker, D-Bus, ssh-agent, databases) live under /run: out of reach.
    '--tmpfs',
    '/run',
    ...binds,
    '--unshare-pid',
    '--unshare-net',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    '--unshare-user-try',
    // Run as root, bwrap would keep every capability (root inside could remount / read-write): drop them all.
    '--cap-drop',
    'ALL',
    '--die-with-parent',
    '--new-session',
    '--chdir',
    cwd,
  ];
}

function sandboxUnavailable(status: SandboxStatus): EnvironmentError {
  return new EnvironmentError(
    'TA_SANDBOX_UNAVAILABLE',
    `The sandbox for the code under test is not available: ${status.problem ?? 'bwrap is unusable'}; ${SANDBOX_INSTALL_HINT}`,
    { details: { option: 'sandbox', value: 'off', package: 'bubblewrap' } },
  );
}

/** `name` when it is a path, else the first executable of that name on `pathVariable`. */
export function findExecutable(name: string, pathVariable: string): string | undefined {
  const candidates = name.includes('/')
    ? [path.resolve(name)]
    : pathVariable
        .split(path.delimiter)
        .filter(Boolean)
        .map((d) => path.join(d, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here: try the next folder of PATH
    }
  }
  return undefined;
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? text;
}
