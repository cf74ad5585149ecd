import { execFile } from 'node:child_process';
import { existsSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  CoverageReport,
  EnvironmentError,
  InvalidInputError,
  silentLogger,
  type Logger,
  type TestExecutor,
  type TestRunRequest,
  type TestRunResult,
} from '@test-agent/domain';
import { infrastructureAsset } from '../../file-system/package-root';
import { processCleanups } from '../../process/cleanup-registry';
import { PythonLauncher, type PythonProcessSpec } from '../../process/python-launcher';
import type { PythonRuntime, PythonRuntimeProvider } from '../../python/project-python';
import { faketimeLibrary } from '../../process/faketime';
import { cleanErrorText } from './clean-error-text';
import { coverageFromHelper } from './coverage-helper-output';
import { pytestArguments } from './pytest-arguments';
import { withModuleCopy } from './pytest-module-copy';
import { watchPytestProcess, type LaunchOutcome } from './pytest-process-watch';
import {
  commonFolder,
  createRunLayout,
  writeRunConfig,
  writeTestFiles,
  type PytestRoots,
  type RunLayout,
} from './pytest-run-layout';
import { perturbedEnvironment, shadowingError, validateRequest } from './pytest-run-request';
import { lastLines, RunTally, type Shadowing } from './pytest-run-tally';
import { scrubEnvironment } from './sandbox-environment';

export interface PytestTestExecutorOptions {
  /** Default limit per test (setup + call + teardown), in milliseconds. */
  readonly perTestTimeoutMs: number;
  /** Default limit for a whole run (every restart included), in milliseconds. */
  readonly overallTimeoutMs: number;
  /** Address-space limit of the test process (RLIMIT_AS), in bytes; 0 = unlimited. */
  readonly memoryLimitBytes: number;
  /** CPU-time limit of one test process (RLIMIT_CPU), in seconds; 0 = derived from the overall timeout. */
  readonly cpuTimeLimitSeconds: number;
  /** Largest file a test process may write (RLIMIT_FSIZE), in bytes; 0 = unlimited. */
  readonly fileSizeLimitBytes: number;
  /** How much of the process's stdout and stderr is kept (the tail), in bytes; the rest is discarded as it arrives. */
  readonly maxOutputBytes: number;
  /** Seconds a process may linger after pytest finished (threads left running) before it is killed, in ms. */
  readonly lingerMs: number;
  /** Limit for combining and reporting coverage after the tests, in milliseconds. */
  readonly reportTimeoutMs: number;
  /** Folder under which each run gets its private temp folder (the OS temp folder by default). */
  readonly tempRoot?: string;
  /** Variables the subprocess environment starts from before scrubbing (composition passes `config.baseEnv`). */
  readonly baseEnv: Readonly<Record<string, string | undefined>>;
}

export const DEFAULT_PYTEST_EXECUTOR_OPTIONS: Omit<PytestTestExecutorOptions, 'baseEnv'> = {
  perTestTimeoutMs: 10_000,
  overallTimeoutMs: 300_000,
  memoryLimitBytes: 2 * 1024 ** 3,
  cpuTimeLimitSeconds: 0,
  fileSizeLimitBytes: 256 * 1024 ** 2,
  maxOutputBytes: 64 * 1024,
  lingerMs: 3_000,
  reportTimeoutMs: 120_000,
};

const ASSET_DIR = 'adapters/pytest-executor';
/** The coverage of a run that did not measure it (`measureCoverage: false`): no statement. */
const NO_COVERAGE = { executedLines: [], missingLines: [], executedBranches: [], missingBranches: [] };
/** A run restarts after each crash; past this many processes it gives up (a guard against a loop of crashes). */
const MAX_LAUNCHES = 500;

/**
 * Runs pytest under coverage.py (branch coverage) in a subprocess of Test Agent's venv and reports outcomes per
 * test and the coverage of exactly the target file (whole run and, on request, per test).
 *
 * Containment, per run:
 * - a private temp folder: test files in `tests/`, the working directory `cwd/` (empty), `HOME` and `TMPDIR`
 *   inside it, coverage data and control files in `control/`; removed afterwards;
 * - a scrubbed environment (no API keys, tokens, passwords, `LLM_*`, `GIGACHAT_*`, credentials in URLs, nor the
 *   caller's `PYTHON*` / `PYTEST_*` settings); `PYTHONDONTWRITEBYTECODE=1`, so importing the user's module leaves
 *   no `__pycache__` beside it; the module's import root goes to the front of `sys.path` once pytest started
 *   (the plugin's `--ta-import-root`), so tests import it as its users do and a user module named like a
 *   standard-library module cannot break the interpreter, coverage.py or pytest;
 * - generated tests (`testFiles`) run isolated from any project configuration (an empty ini, rootdir and
 *   confcutdir = their folder); user tests (`testPaths`) run the way pytest runs them in the project: the
 *   rootdir and configuration file pytest itself finds from the test paths (started from the import root),
 *   with the project's conftests from there down;
 * - every process started through the `PythonLauncher`: resource limits set before exec (CPU time, address
 *   space, file size, no core files) and, with the sandbox on, bubblewrap (the file system read-only except the
 *   run folder, no network, its own PID namespace, so nothing it starts outlives the run);
 * - a per-test limit (pytest-timeout's signal method, and a watchdog that kills the process group when a test
 *   ignores it) and an overall limit that kills the whole process group (spawned detached, killed by `-pgid`);
 * - stdout/stderr kept as a bounded tail, so a test printing 100 MB costs no memory here.
 * A test that kills its process (`os._exit`, a segfault, a resource limit) is classified `error` (or `timeout`)
 * and the run restarts in a fresh process with the tests that have not run yet; coverage of every process is
 * combined. With the sandbox off, writes through absolute paths, network access and grandchildren that start
 * their own session are not contained.
 * The run folder and the detached process groups are registered in `processCleanups`, so an interrupted Test
 * Agent (SIGINT/SIGTERM) leaves neither behind.
 */
export class PytestTestExecutor implements TestExecutor {
  private readonly options: PytestTestExecutorOptions;
  private readonly logger: Logger;

  constructor(
    private readonly python: PythonRuntimeProvider,
    options: Partial<PytestTestExecutorOptions> & Pick<PytestTestExecutorOptions, 'baseEnv'>,
    logger: Logger = silentLogger,
    private readonly launcher: PythonLauncher = new PythonLauncher({ sandbox: 'on' }),
  ) {
    this.options = { ...DEFAULT_PYTEST_EXECUTOR_OPTIONS, ...options };
    this.logger = logger.child('executor');
  }

  /**
   * Runs the tests of `request` against `request.target`. Never fails because of what a test does; throws
   * `InvalidInputError` for unusable input (both or neither of `testFiles`/`testPaths`, a missing test path, a
   * bad test file name, a target coverage.py cannot parse, a project pytest configuration pytest rejects, a
   * target whose name resolves to another module, e.g. `types.py`) and `EnvironmentError` when Python is unusable.
   */
  async run(request: TestRunRequest): Promise<TestRunResult> {
    const started = Date.now();
    validateRequest(request);
    await this.launcher.assertUsable();
    const interpreter = await this.python.runtimeFor(request.target);
    const layout = createRunLayout(this.options.tempRoot);
    const removeLayout = () => rmSync(layout.root, { recursive: true, force: true, maxRetries: 2 });
    let interrupted = false;
    const unregister = processCleanups.register(() => {
      interrupted = true;
      removeLayout();
    });
    const stopIfInterrupted = () => {
      if (interrupted)
        throw new EnvironmentError('TA_RUN_INTERRUPTED', 'The test run was interrupted: Test Agent is shutting down');
    };
    try {
      const run = withModuleCopy(request, path.join(layout.root, 'module'));
      const roots = await this.prepare(interpreter, run, layout);
      const { shadowed, ...outcome } = await this.runLaunches(
        interpreter,
        run,
        layout,
        roots,
        started,
        stopIfInterrupted,
      );
      stopIfInterrupted();
      if (shadowed) throw shadowingError(request, shadowed);
      const coverage =
        request.measureCoverage === false
          ? { coverage: CoverageReport.fromData(request.target.file, NO_COVERAGE) }
          : await this.readCoverage(interpreter, run, layout, request.target.file);
      return {
        ...outcome,
        ...coverage,
        durationMs: Date.now() - started,
        ...(request.clockShiftSeconds ? { clockShifted: faketimeLibrary() !== undefined } : {}),
      };
    } finally {
      unregister();
      try {
        removeLayout();
      } catch (e) {
        this.logger.warn('Could not remove a run folder', { dir: layout.root, error: (e as Error).message });
      }
    }
  }

  /** Writes config and test files; returns where pytest runs (rootdir, configuration) and the paths to collect. */
  private async prepare(interpreter: PythonRuntime, request: TestRunRequest, layout: RunLayout): Promise<PytestRoots> {
    writeRunConfig(layout, request.target.file);
    if (request.testFiles) {
      writeTestFiles(request.testFiles, layout);
      return { rootdir: layout.tests, inifile: layout.iniFile, confcutdir: layout.tests, paths: [layout.tests] };
    }
    const paths = (request.testPaths ?? []).map((p) => realpathSync(p));
    return this.projectRoots(interpreter, request, layout, paths);
  }

  /**
   * The rootdir and configuration file of user tests, found by pytest's own code (`test_agent_pytest_setup.py`)
   * as if pytest were started in the module's import root (the project folder from which its users import it):
   * the nearest `pytest.toml`, `pytest.ini`, `pyproject.toml` with a pytest table, `tox.ini` `[pytest]` or
   * `setup.cfg` `[tool:pytest]` above the tests, else the nearest `setup.py`, else the common folder of the
   * import root and the tests (the tests' own folder when that is the file-system root).
   * @throws InvalidInputError when pytest rejects the project's configuration.
   */
  private async projectRoots(
    interpreter: PythonRuntime,
    request: TestRunRequest,
    layout: RunLayout,
    paths: string[],
  ): Promise<PytestRoots> {
    const helper = infrastructureAsset(`${ASSET_DIR}/test_agent_pytest_setup.py`);
    const invocationDir = existsSync(request.target.importRoot)
      ? realpathSync(request.target.importRoot)
      : commonFolder(paths);
    const stdout = await this.runHelper(
      interpreter,
      [helper, invocationDir, ...paths],
      request,
      layout,
      'TA_PYTEST_SETUP_FAILED',
      'pytest could not read the project configuration',
    );
    const found = JSON.parse(stdout) as { rootdir?: string; inifile?: string | null; error?: string };
    if (found.error || !found.rootdir) {
      throw new InvalidInputError(
        'TA_PYTEST_CONFIG_INVALID',
        `pytest cannot use the project's configuration: ${found.error ?? 'no rootdir'}`,
      );
    }
    const inifile = found.inifile ?? undefined;
    this.logger.debug('pytest rootdir of the user tests', { rootdir: found.rootdir, inifile });
    return { rootdir: found.rootdir, inifile, confcutdir: inifile ? path.dirname(inifile) : found.rootdir, paths };
  }

  private async runLaunches(
    interpreter: PythonRuntime,
    request: TestRunRequest,
    layout: RunLayout,
    roots: PytestRoots,
    started: number,
    stopIfInterrupted: () => void,
  ): Promise<Pick<TestRunResult, 'outcomes' | 'collectionErrors' | 'timedOut'> & { shadowed?: Shadowing }> {
    const perTestMs = request.perTestTimeoutMs ?? this.options.perTestTimeoutMs;
    const overallMs = request.overallTimeoutMs ?? this.options.overallTimeoutMs;
    const deadline = started + overallMs;
    // pytest prints paths relative to the working directory (`../tests/test_x.py`): show them relative to the
    // test root instead, like the node ids, and never show the private temp folder.
    const relativeRoot = path.relative(layout.cwd, roots.rootdir);
    const hide = [
      layout.tests,
      `${relativeRoot}/`,
      roots.rootdir === layout.tests ? '' : `${roots.rootdir}/`,
      layout.root,
    ];
    const tally = new RunTally((text) => cleanErrorText(text, hide), { perTestMs, overallMs });
    for (let launch = 0; launch < MAX_LAUNCHES; launch++) {
      if (request.testFiles) writeTestFiles(request.testFiles, layout); // a test may have deleted them
      const result = await this.launch(interpreter, request, layout, roots, launch, perTestMs, deadline, tally);
      stopIfInterrupted(); // the cleanups killed the group and removed the folder: no restart
      const verdict = tally.afterLaunch(result);
      if (verdict === 'shadowed')
        return { outcomes: [], collectionErrors: [], timedOut: false, shadowed: tally.shadowed };
      if (verdict === 'finished') break;
      this.logger.debug('Restarting pytest after the process ended early', {
        launch,
        code: result.code,
        signal: result.signal,
        killed: result.killed,
      });
    }
    return tally.result();
  }

  private async launch(
    interpreter: PythonRuntime,
    request: TestRunRequest,
    layout: RunLayout,
    roots: PytestRoots,
    index: number,
    perTestMs: number,
    deadline: number,
    tally: RunTally,
  ): Promise<LaunchOutcome> {
    const eventsFile = path.join(layout.control, `events-${index}.jsonl`);
    const skipFile = path.join(layout.control, `skip-${index}.json`);
    writeFileSync(eventsFile, '');
    writeFileSync(skipFile, JSON.stringify({ nodeids: [...tally.skipIds], paths: [...tally.skipPaths] }));
    const pytestArgs = pytestArguments(request, layout, roots, { eventsFile, skipFile }, perTestMs);
    const overallSeconds = Math.ceil((deadline - Date.now()) / 1000);
    const cpuSeconds = this.options.cpuTimeLimitSeconds || Math.max(5, overallSeconds + 5);
    const measured =
      request.measureCoverage === false ? [] : ['-m', 'coverage', 'run', '--branch', `--rcfile=${layout.rcFile}`];
    const args = [...measured, '-m', 'pytest', ...pytestArgs];
    const base = this.processSpec(interpreter, args, layout, cpuSeconds);
    const spec = { ...base, env: { ...base.env, ...perturbedEnvironment(request, base.env) } };
    const confined = (await this.launcher.status()).confined;
    const child = await this.launcher.spawn(spec, ['ignore', 'pipe', 'pipe']);
    const { maxOutputBytes, lingerMs } = this.options;
    return watchPytestProcess(
      child,
      { eventsFile, perTestMs, deadline, confined, maxOutputBytes, lingerMs },
      this.logger,
    );
  }

  /**
   * The scrubbed environment of a Python subprocess. `PYTHONPATH` holds only the executor's own helpers: the
   * user's import root goes on `sys.path` after start-up (the plugin's `--ta-import-root`), where a module named
   * like a standard-library module cannot shadow what the interpreter, coverage.py and pytest import.
   */
  private environment(layout: RunLayout): Record<string, string> {
    const pythonPath = infrastructureAsset(ASSET_DIR);
    return scrubEnvironment(this.options.baseEnv, {
      HOME: layout.home,
      TMPDIR: layout.tmp,
      TMP: layout.tmp,
      TEMP: layout.tmp,
      XDG_CACHE_HOME: path.join(layout.home, '.cache'),
      XDG_CONFIG_HOME: path.join(layout.home, '.config'),
      XDG_DATA_HOME: path.join(layout.home, '.local', 'share'),
      PYTHONPATH: pythonPath,
      PYTHONDONTWRITEBYTECODE: '1',
      PYTHONNOUSERSITE: '1',
      PYTHONIOENCODING: 'utf-8',
      NO_COLOR: '1',
    });
  }

  /** A Python process of this run: writes only inside the run folder, under the configured limits. */
  private processSpec(
    interpreter: PythonRuntime,
    args: string[],
    layout: RunLayout,
    cpuSeconds: number,
  ): PythonProcessSpec {
    return {
      interpreter: interpreter.executable,
      ...(interpreter.tooling ? { tooling: interpreter.tooling } : {}),
      args,
      cwd: layout.cwd,
      env: this.environment(layout),
      writable: [layout.root],
      limits: {
        cpuSeconds,
        memoryBytes: this.options.memoryLimitBytes,
        fileSizeBytes: this.options.fileSizeLimitBytes,
      },
    };
  }

  /** Runs one of the executor's Python helpers (short-lived, not detached) and resolves to its stdout. */
  private async runHelper(
    interpreter: PythonRuntime,
    args: string[],
    request: TestRunRequest,
    layout: RunLayout,
    code: string,
    what: string,
  ): Promise<string> {
    const spec = this.processSpec(interpreter, args, layout, Math.ceil(this.options.reportTimeoutMs / 1000) + 5);
    const command = await this.launcher.command(spec);
    return new Promise<string>((resolve, reject) => {
      const child = execFile(
        command.file,
        command.args,
        { cwd: spec.cwd, env: { ...spec.env }, timeout: this.options.reportTimeoutMs, maxBuffer: 512 * 1024 * 1024 },
        (error, out, err) => {
          unregister();
          if (error) {
            const detail = cleanErrorText(lastLines(String(err), 5), [layout.root]);
            reject(new EnvironmentError(code, `${what}: ${detail || error.message}`, { cause: error }));
          } else {
            if (err.trim())
              this.logger.debug(`${what}: notes`, {
                stderr: cleanErrorText(lastLines(String(err), 5), [layout.root]),
                target: request.target.file,
              });
            resolve(out);
          }
        },
      );
      const unregister = processCleanups.register(() => child.kill('SIGKILL'));
    });
  }

  /** The coverage of `request.target.file` (the module as imported in the run), reported under `reportedFile`. */
  private async readCoverage(
    interpreter: PythonRuntime,
    request: TestRunRequest,
    layout: RunLayout,
    reportedFile: string,
  ): Promise<Pick<TestRunResult, 'coverage' | 'perTest'>> {
    const helper = infrastructureAsset(`${ASSET_DIR}/test_agent_coverage_report.py`);
    const args = [helper, layout.rcFile, layout.dataFile, request.target.file, request.perTestCoverage ? '1' : '0'];
    const stdout = await this.runHelper(
      interpreter,
      args,
      request,
      layout,
      'TA_COVERAGE_REPORT_FAILED',
      'coverage.py could not report the run',
    );
    return coverageFromHelper(stdout, reportedFile, Boolean(request.perTestCoverage));
  }
}
