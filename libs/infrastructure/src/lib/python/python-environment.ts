import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { EnvironmentError, silentLogger, type Logger, type ModuleTarget } from '@test-agent/domain';
import type { PythonRuntime, PythonRuntimeProvider } from './project-python';
import { infrastructureAsset } from '../file-system/package-root';

const run = promisify(execFile);

export interface PythonEnvironmentOptions {
  /** Folder of Test Agent's virtual environment (created when missing). */
  readonly venvDir: string;
  /** Interpreter used to create the venv (`python3` by default). */
  readonly basePython: string;
  /** Extra `pip install` arguments; `--retries 0` by default (see docs/TOOLCHAIN.md). */
  readonly pipArgs: readonly string[];
}

export interface PythonComponentVersions {
  readonly python: string;
  readonly pytest: string;
  readonly coverage: string;
  readonly pytestTimeout: string;
}

const STAMP = '.test-agent-requirements';

/**
 * Test Agent's own Python: a venv with pinned pytest, coverage.py and pytest-timeout. `ensure()` creates or
 * repairs it (idempotent, safe under concurrent callers); the user never activates anything.
 */
export class PythonEnvironment implements PythonRuntimeProvider {
  private ensured?: Promise<string>;
  private own?: Promise<PythonRuntime>;

  constructor(
    readonly options: PythonEnvironmentOptions,
    private readonly logger: Logger = silentLogger,
  ) {}

  /** Path of the venv's interpreter (it may not exist yet). */
  get python(): string {
    return path.join(this.options.venvDir, 'bin', 'python');
  }

  /**
   * Test Agent's venv as the interpreter of every module (it has the tooling itself): what specs and embedders
   * get when they pass the venv instead of the project resolver (`ProjectPython`).
   */
  runtimeFor(target: ModuleTarget): Promise<PythonRuntime> {
    this.own ??= Promise.all([this.ensure(), this.versions()]).then(([executable, v]) => ({
      executable,
      source: 'test-agent' as const,
      version: v.python,
      projectRoot: '',
      pytest: v.pytest,
    }));
    return this.own.then((r) => ({ ...r, projectRoot: target.importRoot }));
  }

  requirementsFile(): string {
    return infrastructureAsset('python/requirements.txt');
  }

  private requirementsHash(): string {
    return createHash('sha256').update(readFileSync(this.requirementsFile())).digest('hex');
  }

  /** True when the venv exists and was set up from the current requirements. */
  isReady(): boolean {
    const stamp = path.join(this.options.venvDir, STAMP);
    return (
      existsSync(this.python) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === this.requirementsHash()
    );
  }

  /** Creates or repairs the venv when needed; resolves to the interpreter path. */
  ensure(): Promise<string> {
    this.ensured ??= this.doEnsure().catch((e) => {
      this.ensured = undefined;
      throw e;
    });
    return this.ensured;
  }

  private async doEnsure(): Promise<string> {
    if (this.isReady()) return this.python;
    const lock = `${this.options.venvDir}.lock`;
    await this.withLock(lock, async () => {
      if (this.isReady()) return;
      const log = this.logger.child('python_env');
      log.info('Setting up Test Agent Python environment', { venv: this.options.venvDir });
      if (!existsSync(this.python)) {
        await this.exec(
          this.options.basePython,
          ['-m', 'venv', this.options.venvDir],
          'TA_VENV_CREATE_FAILED',
          `Could not create a Python virtual environment with "${this.options.basePython} -m venv"`,
        );
      }
      await this.exec(
        this.python,
        [
          '-m',
          'pip',
          'install',
          '--disable-pip-version-check',
          '-q',
          ...this.options.pipArgs,
          '-r',
          this.requirementsFile(),
        ],
        'TA_PIP_INSTALL_FAILED',
        'Could not install pytest, coverage and pytest-timeout into the Test Agent venv (check the pip index configuration)',
      );
      writeFileSync(path.join(this.options.venvDir, STAMP), this.requirementsHash());
      log.info('Python environment ready', { venv: this.options.venvDir });
    });
    return this.python;
  }

  /** Versions of the venv's components; throws `EnvironmentError` when one cannot be imported. */
  async versions(): Promise<PythonComponentVersions> {
    const script =
      'import json,sys,importlib.metadata as m\n' +
      'print(json.dumps({"python": sys.version.split()[0], "pytest": m.version("pytest"), "coverage": m.version("coverage"), "pytestTimeout": m.version("pytest-timeout")}))';
    if (!existsSync(this.python)) {
      throw new EnvironmentError(
        'TA_VENV_MISSING',
        `No Test Agent venv at ${this.options.venvDir}: run "test-agent setup"`,
      );
    }
    const { stdout } = await this.exec(
      this.python,
      ['-c', script],
      'TA_VENV_BROKEN',
      `The Test Agent venv at ${this.options.venvDir} lacks pytest, coverage or pytest-timeout: run "test-agent setup"`,
    );
    return JSON.parse(stdout) as PythonComponentVersions;
  }

  /** Version of the base interpreter used to create the venv. */
  async baseVersion(): Promise<string> {
    const { stdout } = await this.exec(
      this.options.basePython,
      ['-c', 'import sys; print(sys.version.split()[0])'],
      'TA_PYTHON_MISSING',
      `Python interpreter "${this.options.basePython}" not found: install Python >= 3.10 or set TEST_AGENT_PYTHON`,
    );
    return stdout.trim();
  }

  private async exec(cmd: string, args: string[], code: string, message: string): Promise<{ stdout: string }> {
    try {
      const { stdout } = await run(cmd, args, { maxBuffer: 16 * 1024 * 1024, timeout: 600_000 });
      return { stdout };
    } catch (cause) {
      const stderr = (cause as { stderr?: string }).stderr?.trim().split('\n').slice(-3).join(' | ');
      throw new EnvironmentError(code, stderr ? `${message}: ${stderr}` : message, { cause });
    }
  }

  private async withLock(lock: string, body: () => Promise<void>): Promise<void> {
    mkdirSync(path.dirname(lock), { recursive: true });
    const deadline = Date.now() + 600_000;
    for (;;) {
      try {
        mkdirSync(lock);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        if (Date.now() > deadline) throw new EnvironmentError('TA_VENV_LOCKED', `Timed out waiting for ${lock}`);
        const heldSince = lockTime(lock);
        if (heldSince === undefined) {
          // Released between our mkdir and this look (its holder just finished): try again at once.
          await new Promise((r) => setImmediate(r));
          continue;
        }
        // A lock older than ten minutes belongs to a dead process.
        if (Date.now() - heldSince > 600_000) rmSync(lock, { recursive: true, force: true });
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    try {
      await body();
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}

/** When the lock folder was taken (epoch ms), or undefined when it no longer exists. */
function lockTime(lock: string): number | undefined {
  try {
    return statSync(lock).mtimeMs;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}
