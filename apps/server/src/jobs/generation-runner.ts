import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { GenerateTestsReport } from '@test-agent/application';
import { optionField } from '../option-fields';
import { progressEventOf, ProgressTracker, type JobProgress } from './job-progress';

/** What a generation job runs: a target under `cwd`, tests to `outDir`, and the `generate` options. */
export interface GenerationSpec {
  /** A private folder the CLI runs from. */
  readonly cwd: string;
  /** The configuration file the CLI reads (the server's), so none in `cwd` or among the sources counts. */
  readonly configFile: string;
  readonly target: string;
  readonly outDir: string;
  readonly options: GenerationOptions;
}

export interface GenerationOptions {
  readonly strategy?: 'offline' | 'llm' | 'hybrid';
  readonly timeBudgetSeconds?: number;
  readonly targetCoverage?: number;
  readonly maxIterations?: number;
  readonly maxTokens?: number;
  readonly timeoutSeconds?: number;
  readonly seed?: number;
  readonly jobs?: number;
}

/** A generation that ended without a report (the CLI's error, as its JSON said it). */
export class GenerationFailed extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'GenerationFailed';
  }
}

const FLAGS: Record<keyof GenerationOptions, string> = {
  strategy: '--strategy',
  timeBudgetSeconds: '--time-budget',
  targetCoverage: '--target-coverage',
  maxIterations: '--max-iterations',
  maxTokens: '--max-tokens',
  timeoutSeconds: '--timeout',
  seed: '--seed',
  jobs: '--jobs',
};

const CLI = path.join('dist', 'apps', 'cli', 'main.js');

/** The error of the CLI's `--json` output: with `option`, `coreMessage` is the message without the CLI's flag hint. */
interface CliError {
  readonly code?: string;
  readonly message?: string;
  readonly option?: string;
  readonly coreMessage?: string;
}

/** The CLI's message for HTTP clients: the neutral core message with the request field it names, not a CLI flag. */
export function serverMessage(error: CliError): string {
  if (error.option !== undefined && error.coreMessage !== undefined)
    return `${error.coreMessage}${optionField(error.option)}`;
  return error.message ?? 'generation failed';
}

/**
 * util-linux's `setpriv`, when the machine has it: started through `setpriv --pdeathsig TERM`, the CLI gets SIGTERM
 * when this server dies (even by SIGKILL), so a dead replica leaves no generation running on (its job is retried by
 * another replica, and must not be done twice).
 */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((file) => existsSync(file));

/** The bundled CLI beside this server: found above this file, from the bundle in `dist/` or from the sources. */
function bundledCli(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, CLI))) return path.join(dir, CLI);
    if (path.dirname(dir) === dir)
      throw new GenerationFailed(
        'TA_CLI_NOT_BUILT',
        `The bundled CLI (${CLI}) is not above ${__dirname}: run npm run build`,
      );
  }
}

/** The largest report a job may print (characters of JSON); the job is killed past it. */
const MAX_REPORT_CHARS = 64 * 1024 * 1024;

/** How long a cancelled generation gets to clean up (its sandboxes, temp folders) before it is killed. */
const KILL_GRACE_MS = 3_000;

/** How often a running job's progress is passed on at most, ms. */
const PROGRESS_INTERVAL_MS = 250;

/**
 * Runs one generation as its own process (the bundled CLI, `--json generate`): the server's event loop stays
 * free, a crash costs only the job, and cancelling stops every process of it — SIGTERM to the CLI's process
 * group (the CLI then kills its sandboxes), SIGKILL after a grace period. Progress comes from the CLI's
 * JSON progress events (`--progress json`), module by module and chunk by chunk.
 */
export function runGeneration(
  spec: GenerationSpec,
  env: NodeJS.ProcessEnv,
  signal: AbortSignal,
  progress: (p: JobProgress) => void,
): Promise<GenerateTestsReport> {
  const args = [
    bundledCli(),
    '--json',
    '--config',
    spec.configFile,
    'generate',
    spec.target,
    '--out',
    spec.outDir,
    '--progress',
    'json',
  ];
  for (const [key, flag] of Object.entries(FLAGS) as [keyof GenerationOptions, string][]) {
    const value = spec.options[key];
    if (value !== undefined) args.push(flag, String(value));
  }
  return new Promise((resolve, reject) => {
    const [command, argv] = SETPRIV
      ? [SETPRIV, ['--pdeathsig', 'TERM', '--', process.execPath, ...args]]
      : [process.execPath, args];
    const child = spawn(command, argv, { cwd: spec.cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let partial = '';
    let overflow = false;
    const tracker = new ProgressTracker();
    // Progress reaches the job (in Redis, with BullMQ) at most every PROGRESS_INTERVAL_MS, and once at the end.
    let pending: NodeJS.Timeout | undefined;
    const report = () => {
      clearTimeout(pending);
      pending = undefined;
      progress(tracker.view());
    };
    // Decoded as streams: a character split between two chunks stays whole.
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      stdout += text;
      if (stdout.length > MAX_REPORT_CHARS && !overflow) {
        overflow = true;
        kill('SIGKILL');
      }
    });
    child.stderr.on('data', (text: string) => {
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const event = progressEventOf(line);
        if (!event) continue;
        tracker.apply(event);
        pending ??= setTimeout(report, PROGRESS_INTERVAL_MS);
      }
    });
    const kill = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        // Already gone.
      }
    };
    let killer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      kill('SIGTERM');
      killer = setTimeout(() => kill('SIGKILL'), KILL_GRACE_MS);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e) =>
      reject(new GenerationFailed('TA_JOB_START_FAILED', `Could not start the generation: ${e.message}`)),
    );
    // 'close', not 'exit': the output is complete only once the streams are.
    child.on('close', (code, sig) => {
      signal.removeEventListener('abort', onAbort);
      clearTimeout(killer);
      if (pending) report();
      if (signal.aborted) return reject(new GenerationFailed('TA_JOB_CANCELLED', 'The job was cancelled'));
      if (overflow)
        return reject(
          new GenerationFailed(
            'TA_JOB_REPORT_TOO_LARGE',
            `The generation's report was over ${MAX_REPORT_CHARS} characters`,
          ),
        );
      let parsed: unknown;
      try {
        parsed = JSON.parse(stdout);
      } catch {
        parsed = undefined;
      }
      if (typeof parsed !== 'object' || parsed === null) {
        return reject(
          new GenerationFailed(
            'TA_JOB_CRASHED',
            `The generation ended (${sig ?? `exit ${code}`}) after ${tracker.view().modulesDone} modules without a report`,
          ),
        );
      }
      const error = (parsed as { error?: CliError }).error;
      if (error && !('modules' in parsed))
        return reject(new GenerationFailed(error.code ?? 'TA_INTERNAL', serverMessage(error)));
      resolve(parsed as GenerateTestsReport);
    });
  });
}
