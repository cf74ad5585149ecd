import { execFile, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readSync,
  closeSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CoverageReport,
  EnvironmentError,
  InvalidInputError,
  silentLogger,
  type FileCoverageData,
  type Logger,
  type TestExecutor,
  type TestFile,
  type TestOutcome,
  type TestRunRequest,
  type TestRunResult,
} from '@test-agent/domain';
import { infrastructureAsset } from '../../file-system/package-root';
import { processCleanups } from '../../process/cleanup-registry';
import { PythonLauncher, type PythonProcessSpec } from '../../process/python-launcher';
import type { PythonRuntime, PythonRuntimeProvider } from '../../python/project-python';
import { cleanErrorText, fatalErrorSummary } from './clean-error-text';
import { PytestEventReader, type PytestEvent } from './pytest-events';
import { scrubEnvironment } from './sandbox-environment';
import { clockShiftEnvironment, faketimeLibrary } from '../../process/faketime';

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
  /** Variables the subprocess environment starts from before scrubbing (the process environment by default). */
  readonly baseEnv?: Readonly<Record<string, string | undefined>>;
}

export const DEFAULT_PYTEST_EXECUTOR_OPTIONS: PytestTestExecutorOptions = {
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
const PLUGIN_MODULE = 'test_agent_pytest_plugin';
const POLL_MS = 100;
/** A run restarts after each crash; past this many processes it gives up (a guard against a loop of crashes). */
const MAX_LAUNCHES = 500;

type KillReason = 'test-timeout' | 'collect-timeout' | 'deadline' | 'linger';

interface LaunchOutcome {
  readonly events: PytestEvent[];
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly killed?: KillReason;
  readonly stderrTail: string;
  readonly stdoutTail: string;
  /** When the process ended (epoch milliseconds). */
  readonly endedAt: number;
}

interface RunLayout {
  readonly root: string;
  readonly tests: string;
  readonly cwd: string;
  readonly home: string;
  readonly tmp: string;
  readonly control: string;
  readonly dataFile: string;
  readonly rcFile: string;
  readonly iniFile: string;
}

/** Where pytest runs: its rootdir, the configuration file it reads, and what it collects. */
interface PytestRoots {
  readonly rootdir: string;
  /**
   * `-c` file: Test Agent's empty ini for generated tests (isolated from any project configuration), the user's
   * own configuration file for user test paths, or undefined when the user's project has none.
   */
  readonly inifile?: string;
  /** Conftests above this folder are not loaded (pytest's default: the ini file's folder, else the rootdir). */
  readonly confcutdir: string;
  readonly paths: string[];
}

/** The target resolves to another module than the user's file (see `test_agent_pytest_plugin.py`). */
interface Shadowing {
  readonly module: string;
  readonly origin: string;
  readonly stdlib: boolean;
}

interface CoverageHelperFile {
  readonly executed_lines: number[];
  readonly missing_lines: number[];
  readonly executed_branches: [number, number][];
  readonly missing_branches: [number, number][];
}

interface CoverageHelperOutput {
  readonly file: string;
  readonly error?: string;
  readonly measured?: boolean;
  readonly whole?: CoverageHelperFile;
  readonly contexts?: Record<string, CoverageHelperFile>;
}

const SIGNAL_TEXT: Partial<Record<NodeJS.Signals, string>> = {
  SIGSEGV: 'a segmentation fault (SIGSEGV)',
  SIGBUS: 'a bus error (SIGBUS)',
  SIGABRT: 'an abort (SIGABRT)',
  SIGFPE: 'a floating-point exception (SIGFPE)',
  SIGILL: 'an illegal instruction (SIGILL)',
  SIGXCPU: 'exceeding its CPU-time limit (SIGXCPU)',
  SIGXFSZ: 'exceeding its file-size limit (SIGXFSZ)',
  SIGKILL: 'SIGKILL (perhaps out of memory)',
  SIGTERM: 'SIGTERM',
};

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
    options: Partial<PytestTestExecutorOptions> = {},
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
    const layout = this.createLayout();
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
      const roots = await this.prepare(interpreter, request, layout);
      const { shadowed, ...outcome } = await this.runLaunches(
        interpreter,
        request,
        layout,
        roots,
        started,
        stopIfInterrupted,
      );
      stopIfInterrupted();
      if (shadowed) throw shadowingError(request, shadowed);
      const coverage = await this.readCoverage(interpreter, request, layout);
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

  private createLayout(): RunLayout {
    const base = this.options.tempRoot ?? os.tmpdir();
    mkdirSync(base, { recursive: true });
    const root = realpathSync(mkdtempSync(path.join(base, 'test-agent-run-')));
    const control = path.join(root, 'control');
    const layout: RunLayout = {
      root,
      tests: path.join(root, 'tests'),
      cwd: path.join(root, 'cwd'),
      home: path.join(root, 'home'),
      tmp: path.join(root, 'tmp'),
      control,
      dataFile: path.join(control, 'coverage', '.coverage'),
      rcFile: path.join(control, 'coveragerc'),
      iniFile: path.join(control, 'pytest.ini'),
    };
    for (const dir of [layout.tests, layout.cwd, layout.home, layout.tmp, path.dirname(layout.dataFile)]) {
      mkdirSync(dir, { recursive: true });
    }
    return layout;
  }

  /** Writes config and test files; returns where pytest runs (rootdir, configuration) and the paths to collect. */
  private async prepare(interpreter: PythonRuntime, request: TestRunRequest, layout: RunLayout): Promise<PytestRoots> {
    writeFileSync(layout.iniFile, '[pytest]\n');
    writeFileSync(
      layout.rcFile,
      [
        '[run]',
        'branch = True',
        'parallel = True',
        `data_file = ${layout.dataFile}`,
        `include = ${globLiteral(request.target.file)}`,
        'disable_warnings = no-data-collected, module-not-imported',
        '',
      ].join('\n'),
    );
    if (request.testFiles) {
      this.writeTestFiles(request.testFiles, layout);
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

  private writeTestFiles(files: readonly TestFile[], layout: RunLayout): void {
    for (const file of files) {
      const target = path.join(layout.tests, file.name);
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, file.content);
    }
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
    const clean = (text: string) => cleanErrorText(text, hide);

    const outcomes = new Map<string, TestOutcome>();
    const order: string[] = [];
    const ordered = new Set<string>();
    const remember = (id: string) => {
      if (!ordered.has(id)) {
        ordered.add(id);
        order.push(id);
      }
    };
    const collectionErrors: string[] = [];
    const skipIds = new Set<string>();
    const skipPaths = new Set<string>();
    const modulePaths = new Map<string, string>();
    const failedModules = new Set<string>();
    const setOutcome = (outcome: TestOutcome) => {
      remember(outcome.nodeId);
      outcomes.set(outcome.nodeId, outcome);
    };
    let collectedAny = false;
    let timedOut = false;
    let shadowed: Shadowing | undefined;

    for (let launch = 0; launch < MAX_LAUNCHES; launch++) {
      if (request.testFiles) this.writeTestFiles(request.testFiles, layout); // a test may have deleted them
      const result = await this.launch(
        interpreter,
        request,
        layout,
        roots,
        launch,
        perTestMs,
        deadline,
        skipIds,
        skipPaths,
      );
      stopIfInterrupted(); // the cleanups killed the group and removed the folder: no restart
      let running: string | undefined;
      let runningSince = 0;
      const collecting = new Map<string, string>();
      let done = false;
      let collectedNow: readonly string[] | undefined;
      for (const event of result.events) {
        switch (event.e) {
          case 'collect_start':
            collecting.set(event.id, event.path);
            modulePaths.set(event.id, event.path);
            break;
          case 'collect_end':
            collecting.delete(event.id);
            break;
          case 'collect_error': {
            if (failedModules.has(event.id)) break; // reported by an earlier process of this run
            failedModules.add(event.id);
            const text = clean(event.text);
            collectionErrors.push(`${event.id || '<session>'}: ${text}`);
            if (event.id) setOutcome({ nodeId: event.id, status: 'error', error: text, durationMs: 0 });
            const file = modulePaths.get(event.id);
            if (file) skipPaths.add(file); // a restart need not import it again
            break;
          }
          case 'collect_skip':
            setOutcome({ nodeId: event.id, status: 'skipped', error: clean(event.text), durationMs: 0 });
            break;
          case 'collected':
            collectedNow = event.ids;
            collectedAny = true;
            for (const id of event.ids) remember(id);
            break;
          case 'start':
            running = event.id;
            runningSince = event.t;
            break;
          case 'finish':
            running = undefined;
            skipIds.add(event.id);
            setOutcome({
              nodeId: event.id,
              status: event.status,
              ...(event.text ? { error: clean(event.text) } : {}),
              durationMs: Math.round(event.duration * 1000),
            });
            break;
          case 'done':
            done = true;
            break;
          case 'shadowed':
            shadowed = { module: event.module, origin: event.origin, stdlib: event.stdlib };
            break;
        }
      }
      if (shadowed) return { outcomes: [], collectionErrors: [], timedOut: false, shadowed };
      // pytest finished its session (a process killed afterwards only had leftover threads or children).
      if (done) break;

      if (result.killed === 'deadline') timedOut = true;
      if (running) {
        const why = describeEnd(result, perTestMs, overallMs, 'while running this test');
        const status =
          result.killed === 'test-timeout' || result.killed === 'deadline' || result.signal === 'SIGXCPU'
            ? 'timeout'
            : 'error';
        const lastEnd = result.endedAt / 1000;
        setOutcome({
          nodeId: running,
          status,
          error: clean(`${why}${crashDetail(result)}`),
          durationMs: Math.max(0, Math.round((lastEnd - runningSince) * 1000)),
        });
        skipIds.add(running);
      } else if (collecting.size > 0) {
        const why = describeEnd(result, perTestMs, overallMs, 'while importing this test module');
        for (const [id, file] of collecting) {
          const text = clean(`${why}${crashDetail(result)}`);
          collectionErrors.push(`${id}: ${text}`);
          setOutcome({ nodeId: id, status: 'error', error: text, durationMs: 0 });
          skipPaths.add(file);
        }
      } else {
        // Ended outside any test: at start-up (a broken conftest, a usage error) or after the last test.
        const why = describeEnd(result, perTestMs, overallMs, 'before any test ran or after the last one');
        const tail = clean(lastLines(result.stderrTail || result.stdoutTail, 30));
        collectionErrors.push(`${why}${tail ? `:\n${tail}` : ''}`);
        break;
      }
      if (timedOut) break;
      const remaining = collectedNow ? collectedNow.filter((id) => !skipIds.has(id)) : undefined;
      if (remaining && remaining.length === 0) break;
      if (!collectedAny && collecting.size === 0 && !running) break;
      this.logger.debug('Restarting pytest after the process ended early', {
        launch,
        code: result.code,
        signal: result.signal,
        killed: result.killed,
      });
    }

    const list = order.filter((id) => outcomes.has(id)).map((id) => outcomes.get(id) as TestOutcome);
    return { outcomes: list, collectionErrors, timedOut };
  }

  private async launch(
    interpreter: PythonRuntime,
    request: TestRunRequest,
    layout: RunLayout,
    roots: PytestRoots,
    index: number,
    perTestMs: number,
    deadline: number,
    skipIds: ReadonlySet<string>,
    skipPaths: ReadonlySet<string>,
  ): Promise<LaunchOutcome> {
    const eventsFile = path.join(layout.control, `events-${index}.jsonl`);
    const skipFile = path.join(layout.control, `skip-${index}.json`);
    writeFileSync(eventsFile, '');
    writeFileSync(skipFile, JSON.stringify({ nodeids: [...skipIds], paths: [...skipPaths] }));
    const pytestArgs = [
      ...(roots.inifile ? ['-c', roots.inifile] : []),
      '--rootdir',
      roots.rootdir,
      '--confcutdir',
      roots.confcutdir,
      '-p',
      PLUGIN_MODULE,
      '-p',
      'no:cacheprovider',
      '-q',
      '--no-header',
      '--color=no',
      '--tb=short',
      '-rN',
      '--continue-on-collection-errors',
      '--timeout',
      String(perTestMs / 1000),
      '--timeout-method',
      'signal',
      '--ta-events',
      eventsFile,
      '--ta-skip',
      skipFile,
      '--ta-import-root',
      request.target.importRoot,
      '--ta-target-module',
      request.target.moduleName,
    ];
    if (request.select) {
      const selectFile = path.join(layout.control, 'select.json');
      writeFileSync(selectFile, JSON.stringify(request.select));
      pytestArgs.push('--ta-select', selectFile);
    }
    for (const ignored of request.ignorePaths ?? [])
      pytestArgs.push('--ignore', existsSync(ignored) ? realpathSync(ignored) : path.resolve(ignored));
    pytestArgs.push(...roots.paths);

    const overallSeconds = Math.ceil((deadline - Date.now()) / 1000);
    const cpuSeconds = this.options.cpuTimeLimitSeconds || Math.max(5, overallSeconds + 5);
    const args = ['-m', 'coverage', 'run', '--branch', `--rcfile=${layout.rcFile}`, '-m', 'pytest', ...pytestArgs];
    const base = this.processSpec(interpreter, args, layout, cpuSeconds);
    const spec = { ...base, env: { ...base.env, ...perturbedEnvironment(request, base.env) } };
    const confined = (await this.launcher.status()).confined;
    const child = await this.launcher.spawn(spec, ['ignore', 'pipe', 'pipe']);
    return this.watch(child, eventsFile, perTestMs, deadline, confined);
  }

  /** Follows one pytest process: reads its events as they arrive and kills its group past a limit. */
  private watch(
    child: ChildProcess,
    eventsFile: string,
    perTestMs: number,
    deadline: number,
    confined: boolean,
  ): Promise<LaunchOutcome> {
    return new Promise<LaunchOutcome>((resolve, reject) => {
      // Detached: the terminal's Ctrl-C does not reach the group, so an interrupted Test Agent kills it itself.
      const unregister = processCleanups.register(() => killProcessGroup(child.pid));
      const stdout = new TailBuffer(this.options.maxOutputBytes);
      const stderr = new TailBuffer(this.options.maxOutputBytes);
      child.stdout!.on('data', (b: Buffer) => stdout.push(b));
      child.stderr!.on('data', (b: Buffer) => stderr.push(b));
      const reader = new PytestEventReader();
      const events: PytestEvent[] = [];
      let offset = 0;
      let killed: KillReason | undefined;
      let running: { id: string; since: number } | undefined;
      const collecting = new Map<string, number>();
      let doneAt: number | undefined;
      const graceMs = perTestMs + Math.max(2_000, perTestMs / 4);

      const drain = () => {
        const chunk = readFrom(eventsFile, offset);
        offset += chunk.length;
        const now = Date.now();
        for (const event of reader.push(chunk.toString('utf8'))) {
          events.push(event);
          if (event.e === 'start') running = { id: event.id, since: now };
          else if (event.e === 'finish') running = undefined;
          else if (event.e === 'collect_start') collecting.set(event.id, now);
          else if (event.e === 'collect_end') collecting.delete(event.id);
          else if (event.e === 'done') doneAt = now;
        }
      };
      const killGroup = (reason: KillReason) => {
        killed ??= reason;
        killProcessGroup(child.pid);
      };
      const timer = setInterval(() => {
        drain();
        const now = Date.now();
        if (now > deadline) killGroup('deadline');
        else if (running && now - running.since > graceMs) killGroup('test-timeout');
        else if ([...collecting.values()].some((since) => now - since > graceMs)) killGroup('collect-timeout');
        else if (doneAt !== undefined && now - doneAt > this.options.lingerMs) killGroup('linger');
      }, POLL_MS);

      child.on('error', (e) => {
        clearInterval(timer);
        unregister();
        reject(new EnvironmentError('TA_PYTHON_SPAWN_FAILED', `Could not start Python: ${e.message}`, { cause: e }));
      });
      let settled = false;
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        if (settled) return;
        settled = true;
        clearInterval(timer);
        unregister();
        drain();
        if (reader.malformed > 0)
          this.logger.warn('Ignored malformed lines in the pytest events file', { count: reader.malformed });
        resolve({
          events,
          ...(confined ? normaliseExit(code, signal) : { code, signal }),
          killed,
          stdoutTail: stdout.text(),
          stderrTail: stderr.text(),
          endedAt,
        });
      };
      let endedAt = Date.now();
      child.on('exit', (code, signal) => {
        endedAt = Date.now();
        // Whatever the test left behind in the group (background children) goes too.
        killProcessGroup(child.pid);
        // A grandchild in its own session may still hold the pipes open: do not wait for it.
        setTimeout(() => {
          child.stdout!.destroy();
          child.stderr!.destroy();
          finish(code, signal);
        }, 2_000).unref();
      });
      child.on('close', (code, signal) => finish(code, signal));
    });
  }

  /**
   * The scrubbed environment of a Python subprocess. `PYTHONPATH` holds only the executor's own helpers: the
   * user's import root goes on `sys.path` after start-up (the plugin's `--ta-import-root`), where a module named
   * like a standard-library module cannot shadow what the interpreter, coverage.py and pytest import.
   */
  private environment(layout: RunLayout): Record<string, string> {
    const pythonPath = infrastructureAsset(ASSET_DIR);
    return scrubEnvironment(this.options.baseEnv ?? process.env, {
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

  private async readCoverage(
    interpreter: PythonRuntime,
    request: TestRunRequest,
    layout: RunLayout,
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
    const parsed = JSON.parse(stdout) as CoverageHelperOutput;
    if (parsed.error || !parsed.whole) {
      throw new InvalidInputError(
        'TA_TARGET_NOT_PYTHON',
        `coverage.py cannot measure ${request.target.file}: ${parsed.error ?? 'no report'}`,
      );
    }
    const file = request.target.file;
    const coverage = CoverageReport.fromData(file, toData(parsed.whole));
    if (!request.perTestCoverage) return { coverage };
    const perTest = new Map<string, CoverageReport>();
    for (const [context, data] of Object.entries(parsed.contexts ?? {})) {
      perTest.set(context, CoverageReport.fromData(file, toData(data)));
    }
    return { coverage, perTest };
  }
}

function shadowingError(request: TestRunRequest, shadowed: Shadowing): InvalidInputError {
  const file = path.basename(request.target.file);
  const what =
    request.target.moduleName === shadowed.module ? file : `${shadowed.module} (the top-level package of ${file})`;
  const kind = shadowed.stdlib ? 'the standard library module' : 'the module';
  const where = shadowed.stdlib ? '' : ` (${shadowed.origin}), which pytest or coverage.py needs`;
  return new InvalidInputError(
    shadowed.stdlib ? 'TA_MODULE_SHADOWS_STDLIB' : 'TA_MODULE_SHADOWS_DEPENDENCY',
    `${what} shadows ${kind} ${shadowed.module}${where}, so tests cannot import it as yours; rename it`,
    { details: { module: shadowed.module, origin: shadowed.origin } },
  );
}

function validateRequest(request: TestRunRequest): void {
  const hasFiles = request.testFiles !== undefined;
  const hasPaths = request.testPaths !== undefined;
  if (hasFiles === hasPaths) {
    throw new InvalidInputError(
      'TA_BAD_TEST_RUN',
      'A test run needs either testFiles or testPaths (exactly one of them)',
    );
  }
  for (const file of request.testFiles ?? []) {
    const normal = path.posix.normalize(file.name);
    if (path.isAbsolute(file.name) || normal.startsWith('..') || !normal.endsWith('.py')) {
      throw new InvalidInputError(
        'TA_BAD_TEST_FILE_NAME',
        `Test file name must be a relative path to a .py file inside the run: ${file.name}`,
      );
    }
  }
  if (hasPaths && request.testPaths?.length === 0) {
    throw new InvalidInputError('TA_BAD_TEST_RUN', 'testPaths is empty');
  }
  for (const p of request.testPaths ?? []) {
    if (!existsSync(p)) throw new InvalidInputError('TA_PATH_NOT_FOUND', `No such test file or folder: ${p}`);
  }
  if (!existsSync(request.target.file)) {
    throw new InvalidInputError('TA_PATH_NOT_FOUND', `No such module: ${request.target.file}`);
  }
}

function toData(file: CoverageHelperFile): FileCoverageData {
  return {
    executedLines: file.executed_lines,
    missingLines: file.missing_lines,
    executedBranches: file.executed_branches.map(([a, b]) => [a, b] as const),
    missingBranches: file.missing_branches.map(([a, b]) => [a, b] as const),
  };
}

/** coverage.py file patterns are globs: characters with a meaning there (and `$`, expanded in its config) become `?`. */
function globLiteral(file: string): string {
  return file.replace(/[*?[\]$]/g, '?');
}

/** The deepest folder holding every path (a file stands for its folder). */
function commonFolder(paths: readonly string[]): string {
  const folders = paths.map((p) => (statSync(p).isDirectory() ? p : path.dirname(p)));
  let common = folders[0].split(path.sep);
  for (const folder of folders.slice(1)) {
    const parts = folder.split(path.sep);
    let i = 0;
    while (i < common.length && i < parts.length && common[i] === parts[i]) i++;
    common = common.slice(0, i);
  }
  return common.join(path.sep) || path.sep;
}

/** The bytes of `file` from `offset`; none when the file is gone (the run folder removed by an interruption). */
function readFrom(file: string, offset: number): Buffer {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw e;
  }
  try {
    const size = statSync(file).size;
    if (size <= offset) return Buffer.alloc(0);
    const buffer = Buffer.alloc(size - offset);
    const read = readSync(fd, buffer, 0, buffer.length, offset);
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/**
 * The sandbox's init reports a child killed by signal N as exit code 128 + N (as a shell does): read it back as
 * the signal, so a segfault or a resource limit is named the same way with the sandbox on or off.
 */
function normaliseExit(
  code: number | null,
  signal: NodeJS.Signals | null,
): { code: number | null; signal: NodeJS.Signals | null } {
  if (signal || code === null || code <= 128) return { code, signal };
  const name = (Object.keys(os.constants.signals) as NodeJS.Signals[]).find(
    (s) => os.constants.signals[s] === code - 128,
  );
  return name ? { code: null, signal: name } : { code, signal };
}

function killProcessGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

/** Why a process ended early, `when` saying what it was doing ("while running this test"). */
function describeEnd(result: LaunchOutcome, perTestMs: number, overallMs: number, when: string): string {
  switch (result.killed) {
    case 'test-timeout':
      return `Killed after exceeding the per-test limit of ${perTestMs / 1000} s (it did not stop on pytest-timeout's signal)`;
    case 'collect-timeout':
      return `Killed after exceeding the per-test limit of ${perTestMs / 1000} s ${when}`;
    case 'deadline':
      return `Stopped: the run's overall limit of ${overallMs / 1000} s was reached ${when}`;
    case 'linger':
      return 'Killed: the Python process did not exit after its tests finished';
    default:
      break;
  }
  if (result.signal) return `The Python process was killed by ${SIGNAL_TEXT[result.signal] ?? result.signal} ${when}`;
  return `The Python process exited with code ${result.code} (os._exit or a fatal error) ${when}`;
}

/** The interpreter's last words when it crashed (faulthandler's traceback), if any. */
function crashDetail(result: LaunchOutcome): string {
  const summary = fatalErrorSummary(result.stderrTail);
  return summary ? `\n${summary}` : '';
}

function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

/** Keeps the last `limit` bytes pushed into it. */
class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - this.chunks[0].length >= this.limit) {
      this.size -= this.chunks[0].length;
      this.chunks.shift();
    }
  }

  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.limit)).toString('utf8');
  }
}

/** A run's perturbation of the environment pytest sees: the request's variables and, if asked, a moved clock. */
function perturbedEnvironment(request: TestRunRequest, env: Readonly<Record<string, string>>): Record<string, string> {
  return {
    ...(request.environment ?? {}),
    ...(request.clockShiftSeconds ? clockShiftEnvironment(request.clockShiftSeconds, env) : {}),
  };
}
