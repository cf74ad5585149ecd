import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  EnvironmentError,
  silentLogger,
  type Logger,
  type ModuleTarget,
  type ProjectInterpreter,
  type ProjectInterpreters,
} from '@test-agent/domain';
import type { PythonEnvironment } from './python-environment';
import { findExecutable } from '../process/python-launcher';

const run = promisify(execFile);

/** The interpreter that runs a module's code and tests, and where Test Agent's tooling comes from for it. */
export interface PythonRuntime extends ProjectInterpreter {
  /**
   * A folder with pytest, coverage.py and pytest-timeout, appended to `sys.path` after the project's own
   * packages (its pytest and plugins win when it has them); absent when the interpreter has them itself.
   */
  readonly tooling?: string;
}

/** Where the Python processes of a module under test get their interpreter. */
export interface PythonRuntimeProvider extends ProjectInterpreters {
  runtimeFor(target: ModuleTarget): Promise<PythonRuntime>;
}

export interface ProjectPythonOptions {
  /** `--python` / `projectPython`: the interpreter to use, whatever the project has. */
  readonly projectPython?: string;
  /** `$VIRTUAL_ENV` of the caller: an activated venv. */
  readonly virtualEnv?: string;
  /** Folder for the tooling built per interpreter version and platform. */
  readonly cacheDir: string;
  /** Extra `pip install` arguments (the `pipArgs` setting). */
  readonly pipArgs: readonly string[];
  /** Where `python3` is looked up: a `PATH` (composition passes `config.baseEnv.PATH`). */
  readonly searchPath: string;
}

interface Probe {
  /** `sys.executable`: the real interpreter behind a launcher script such as a pyenv shim. */
  readonly executable: string;
  readonly version: string;
  readonly cacheTag: string;
  readonly platform: string;
  readonly purelib: string;
  readonly pytest: string | null;
  readonly pip: boolean;
}

const PROBE = [
  'import json, sys, sysconfig, importlib.util as u',
  'try:',
  '    import importlib.metadata as m; pytest = m.version("pytest") if u.find_spec("pytest") else None',
  'except Exception:',
  '    pytest = None',
  'print(json.dumps({"executable": sys.executable, "version": sys.version.split()[0], "cacheTag": sys.implementation.cache_tag, "platform": sysconfig.get_platform(),',
  '    "purelib": sysconfig.get_paths()["purelib"], "pytest": pytest, "pip": u.find_spec("pip") is not None}))',
].join('\n');

const PROJECT_MARKERS = ['pyproject.toml', 'setup.cfg', 'setup.py', '.git'];

/**
 * The project's own interpreter, so that the code under test imports what it imports for its users:
 * `--python` (config `projectPython`), then `$VIRTUAL_ENV`, then a `.venv/` or `venv/` (a folder with
 * `pyvenv.cfg`) at the project root (the nearest folder above the module with `pyproject.toml`, `setup.cfg`,
 * `setup.py` or `.git`, else its import root), then `python3` on PATH. Nothing is installed into it: pytest,
 * coverage.py and pytest-timeout come from a tooling folder for its version and platform — Test Agent's own
 * venv's packages when they match, else a `pip install --target` into the cache — placed after its own packages.
 */
export class ProjectPython implements PythonRuntimeProvider {
  private readonly runtimes = new Map<string, Promise<PythonRuntime>>();
  private readonly toolings = new Map<string, Promise<string>>();
  /** Test Agent's own interpreter, probed once. */
  private ownProbe?: Promise<Probe>;

  constructor(
    private readonly options: ProjectPythonOptions,
    private readonly own: PythonEnvironment,
    private readonly logger: Logger = silentLogger,
  ) {}

  runtimeFor(target: ModuleTarget): Promise<PythonRuntime> {
    const root = projectRoot(target);
    let found = this.runtimes.get(root);
    if (!found) {
      found = this.resolve(root).catch((e) => {
        this.runtimes.delete(root);
        throw e;
      });
      this.runtimes.set(root, found);
    }
    return found;
  }

  /** Which interpreter a project folder gets and how it was found, without building anything (`doctor`). */
  async inspect(root: string): Promise<ProjectInterpreter> {
    return (await this.locate(root)).interpreter;
  }

  /** The interpreter for a project folder with its tooling (Test Agent's venv is set up when needed). */
  async resolve(root: string): Promise<PythonRuntime> {
    const { interpreter, probe } = await this.locate(root);
    const ownPython = await this.own.ensure();
    if (path.resolve(interpreter.executable) === path.resolve(ownPython)) return interpreter;
    const tooling = await this.toolingFor(interpreter.executable, probe, ownPython);
    this.logger.debug('Project interpreter', { ...interpreter, tooling });
    return { ...interpreter, tooling };
  }

  /** The chosen interpreter, probed: the real executable behind a shim, its version and its own pytest. */
  private async locate(root: string): Promise<{ interpreter: ProjectInterpreter; probe: Probe }> {
    const chosen = this.choose(root);
    const probe = await probeInterpreter(chosen.executable, chosen.source);
    const interpreter = {
      executable: probe.executable || chosen.executable,
      source: chosen.source,
      version: probe.version,
      projectRoot: root,
      pytest: probe.pytest,
    };
    return { interpreter, probe };
  }

  private choose(root: string): { executable: string; source: ProjectInterpreter['source'] } {
    const searchPath = this.options.searchPath;
    if (this.options.projectPython) {
      const chosen = findExecutable(this.options.projectPython, searchPath);
      if (!chosen)
        throw new EnvironmentError(
          'TA_PROJECT_PYTHON_MISSING',
          `The configured Python interpreter ${this.options.projectPython} was not found`,
        );
      return { executable: chosen, source: 'option' };
    }
    if (this.options.virtualEnv && existsSync(path.join(this.options.virtualEnv, 'bin', 'python'))) {
      return { executable: path.join(this.options.virtualEnv, 'bin', 'python'), source: 'VIRTUAL_ENV' };
    }
    for (const name of ['.venv', 'venv'] as const) {
      const dir = path.join(root, name);
      if (existsSync(path.join(dir, 'pyvenv.cfg')) && existsSync(path.join(dir, 'bin', 'python')))
        return { executable: path.join(dir, 'bin', 'python'), source: name };
    }
    const onPath = findExecutable('python3', searchPath);
    if (!onPath)
      throw new EnvironmentError(
        'TA_PROJECT_PYTHON_MISSING',
        'No Python interpreter for the project: no venv was found and python3 is not on PATH',
      );
    return { executable: onPath, source: 'PATH' };
  }

  /** Test Agent's venv's packages when its interpreter has the same ABI and platform, else a built folder. */
  private async toolingFor(executable: string, probe: Probe, ownPython: string): Promise<string> {
    this.ownProbe ??= probeInterpreter(ownPython, 'test-agent');
    const own = await this.ownProbe;
    if (own.cacheTag === probe.cacheTag && own.platform === probe.platform) return own.purelib;
    const requirements = this.own.requirementsFile();
    const digest = createHash('sha256').update(readFileSync(requirements)).digest('hex').slice(0, 12);
    const dir = path.join(this.options.cacheDir, 'tooling', `${probe.cacheTag}-${probe.platform}-${digest}`);
    let building = this.toolings.get(dir);
    if (!building) {
      building = this.build(dir, executable, probe, ownPython, requirements).catch((e) => {
        this.toolings.delete(dir); // a failed build (pip, network) is tried again next time
        throw e;
      });
      this.toolings.set(dir, building);
    }
    return building;
  }

  private async build(
    dir: string,
    executable: string,
    probe: Probe,
    ownPython: string,
    requirements: string,
  ): Promise<string> {
    if (existsSync(path.join(dir, '.complete'))) return dir;
    mkdirSync(path.dirname(dir), { recursive: true });
    const staging = `${dir}.${process.pid}.tmp`;
    rmSync(staging, { recursive: true, force: true });
    // The project's pip when it has one (it knows its platform); else ours, told the version to fetch wheels for.
    const [pip, extra] = probe.pip
      ? [executable, []]
      : [ownPython, ['--python-version', probe.version.split('.').slice(0, 2).join('.'), '--only-binary=:all:']];
    this.logger.info('Building Test Agent tooling for the project interpreter', {
      interpreter: executable,
      version: probe.version,
      folder: dir,
    });
    try {
      await run(
        pip,
        [
          '-m',
          'pip',
          'install',
          '--disable-pip-version-check',
          '-q',
          '--no-user',
          '--target',
          staging,
          ...extra,
          ...this.options.pipArgs,
          '-r',
          requirements,
        ],
        {
          timeout: 600_000,
          maxBuffer: 16 * 1024 * 1024,
        },
      );
      mkdirSync(path.join(staging, '.complete'));
      // A folder left half-built by a process that died is replaced; a complete one is never removed.
      if (existsSync(dir) && !existsSync(path.join(dir, '.complete'))) rmSync(dir, { recursive: true, force: true });
      try {
        renameSync(staging, dir);
      } catch (e) {
        // Another process finished the same folder first: keep its complete one, drop ours.
        rmSync(staging, { recursive: true, force: true });
        if (!existsSync(path.join(dir, '.complete'))) throw e;
      }
    } catch (e) {
      rmSync(staging, { recursive: true, force: true });
      const detail = String((e as { stderr?: string }).stderr ?? (e as Error).message)
        .trim()
        .split('\n')
        .slice(-3)
        .join(' | ');
      throw new EnvironmentError(
        'TA_TOOLING_INSTALL_FAILED',
        `Could not install pytest, coverage.py and pytest-timeout for Python ${probe.version} (${executable}) into ${dir}: ${detail}`,
      );
    }
    return dir;
  }
}

/** The folder a module's project lives in: the nearest with a project file or `.git` above it, else its import root. */
export function projectRoot(target: ModuleTarget): string {
  return projectRootAbove(path.dirname(target.file)) ?? target.importRoot;
}

/** `dir` or the nearest folder above it holding `pyproject.toml`, `setup.cfg`, `setup.py` or `.git`. */
export function projectRootAbove(dir: string): string | undefined {
  for (let current = dir; ; current = path.dirname(current)) {
    if (PROJECT_MARKERS.some((m) => existsSync(path.join(current, m)))) return current;
    if (path.dirname(current) === current) return undefined;
  }
}

async function probeInterpreter(executable: string, source: string): Promise<Probe> {
  try {
    if (executable.includes('/') && !statSync(executable).isFile()) throw new Error('not a file');
    const { stdout } = await run(executable, ['-I', '-c', PROBE], { timeout: 60_000 });
    return JSON.parse(stdout) as Probe;
  } catch (e) {
    throw new EnvironmentError(
      'TA_PROJECT_PYTHON_UNUSABLE',
      `The project's Python interpreter ${executable} (found via ${source}) cannot be run: ${String(
        (e as { stderr?: string }).stderr || (e as Error).message,
      )
        .trim()
        .split('\n')
        .pop()}`,
    );
  }
}
