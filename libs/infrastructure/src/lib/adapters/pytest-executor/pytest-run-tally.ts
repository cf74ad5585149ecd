import type { TestOutcome, TestRunResult } from '@test-agent/domain';
import { fatalErrorSummary } from './clean-error-text';
import type { PytestEvent } from './pytest-events';
import type { LaunchOutcome } from './pytest-process-watch';

/** The target resolves to another module than the user's file (see `test_agent_pytest_plugin.py`). */
export interface Shadowing {
  readonly module: string;
  readonly origin: string;
  readonly stdlib: boolean;
}

/** After one pytest process: the target is shadowed (the run stops), the run is finished, or it restarts. */
export type LaunchVerdict = 'shadowed' | 'finished' | 'restart';

/** What one process was doing when it ended, read from its events. */
interface LaunchState {
  running?: string;
  /** When the running test started (seconds since the epoch, the plugin's clock). */
  runningSince: number;
  /** Test modules being imported: node id to file. */
  readonly collecting: Map<string, string>;
  /** pytest finished its session. */
  done: boolean;
  /** The node ids this process collected, if it got that far. */
  collectedNow?: readonly string[];
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
 * The outcomes of a run across its pytest processes: each process's events are folded in (`afterLaunch`); a test
 * or an import that killed its process is classified (`error`, or `timeout`) and skipped by the next process,
 * which runs the tests that have not run yet. Outcomes keep the collection order.
 */
export class RunTally {
  /** Node ids that ran (or killed their process): the next process skips them. */
  readonly skipIds = new Set<string>();
  /** Test files whose import failed or killed the process: the next process does not import them. */
  readonly skipPaths = new Set<string>();
  shadowed: Shadowing | undefined;
  private readonly outcomes = new Map<string, TestOutcome>();
  private readonly order: string[] = [];
  private readonly ordered = new Set<string>();
  private readonly collectionErrors: string[] = [];
  private readonly modulePaths = new Map<string, string>();
  private readonly failedModules = new Set<string>();
  private timedOut = false;

  /**
   * @param clean makes process text fit for a message (private folders hidden, bounded).
   * @param limits the per-test and overall limits, in milliseconds (for messages).
   */
  constructor(
    private readonly clean: (text: string) => string,
    private readonly limits: { readonly perTestMs: number; readonly overallMs: number },
  ) {}

  /** Folds in one process's events and how it ended; says whether the run goes on in a fresh process. */
  afterLaunch(result: LaunchOutcome): LaunchVerdict {
    const launch = this.absorb(result.events);
    if (this.shadowed) return 'shadowed';
    // pytest finished its session (a process killed afterwards only had leftover threads or children).
    if (launch.done) return 'finished';
    if (result.killed === 'deadline') this.timedOut = true;
    if (launch.running) this.endRunningTest(result, launch.running, launch.runningSince);
    else if (launch.collecting.size > 0) this.endImports(result, launch.collecting);
    else {
      // Ended outside any test: at start-up (a broken conftest, a usage error) or after the last test.
      const why = this.describeEnd(result, 'before any test ran or after the last one');
      const tail = this.clean(lastLines(result.stderrTail || result.stdoutTail, 30));
      this.collectionErrors.push(`${why}${tail ? `:\n${tail}` : ''}`);
      return 'finished';
    }
    if (this.timedOut) return 'finished';
    const remaining = launch.collectedNow?.filter((id) => !this.skipIds.has(id));
    if (remaining && remaining.length === 0) return 'finished';
    return 'restart';
  }

  /** The run's outcomes in collection order. */
  result(): Pick<TestRunResult, 'outcomes' | 'collectionErrors' | 'timedOut'> {
    const list = this.order.filter((id) => this.outcomes.has(id)).map((id) => this.outcomes.get(id) as TestOutcome);
    return { outcomes: list, collectionErrors: this.collectionErrors, timedOut: this.timedOut };
  }

  private absorb(events: readonly PytestEvent[]): LaunchState {
    const launch: LaunchState = { runningSince: 0, collecting: new Map(), done: false };
    for (const event of events) {
      switch (event.e) {
        case 'collect_start':
          launch.collecting.set(event.id, event.path);
          this.modulePaths.set(event.id, event.path);
          break;
        case 'collect_end':
          launch.collecting.delete(event.id);
          break;
        case 'collect_error':
          this.collectError(event.id, event.text);
          break;
        case 'collect_skip':
          this.setOutcome({ nodeId: event.id, status: 'skipped', error: this.clean(event.text), durationMs: 0 });
          break;
        case 'collected':
          launch.collectedNow = event.ids;
          for (const id of event.ids) this.remember(id);
          break;
        case 'start':
          launch.running = event.id;
          launch.runningSince = event.t;
          break;
        case 'finish':
          launch.running = undefined;
          this.skipIds.add(event.id);
          this.setOutcome({
            nodeId: event.id,
            status: event.status,
            ...(event.text ? { error: this.clean(event.text) } : {}),
            durationMs: Math.round(event.duration * 1000),
          });
          break;
        case 'done':
          launch.done = true;
          break;
        case 'shadowed':
          this.shadowed = { module: event.module, origin: event.origin, stdlib: event.stdlib };
          break;
      }
    }
    return launch;
  }

  private collectError(id: string, raw: string): void {
    if (this.failedModules.has(id)) return; // reported by an earlier process of this run
    this.failedModules.add(id);
    const text = this.clean(raw);
    this.collectionErrors.push(`${id || '<session>'}: ${text}`);
    if (id) this.setOutcome({ nodeId: id, status: 'error', error: text, durationMs: 0 });
    const file = this.modulePaths.get(id);
    if (file) this.skipPaths.add(file); // a restart need not import it again
  }

  /** The process ended while a test ran: the test's outcome (a timeout, or an error naming the crash). */
  private endRunningTest(result: LaunchOutcome, running: string, runningSince: number): void {
    const why = this.describeEnd(result, 'while running this test');
    const status =
      result.killed === 'test-timeout' || result.killed === 'deadline' || result.signal === 'SIGXCPU'
        ? 'timeout'
        : 'error';
    const lastEnd = result.endedAt / 1000;
    this.setOutcome({
      nodeId: running,
      status,
      error: this.clean(`${why}${crashDetail(result)}`),
      durationMs: Math.max(0, Math.round((lastEnd - runningSince) * 1000)),
    });
    this.skipIds.add(running);
  }

  /** The process ended while importing test modules: each is a collection error, not imported again. */
  private endImports(result: LaunchOutcome, collecting: ReadonlyMap<string, string>): void {
    const why = this.describeEnd(result, 'while importing this test module');
    for (const [id, file] of collecting) {
      const text = this.clean(`${why}${crashDetail(result)}`);
      this.collectionErrors.push(`${id}: ${text}`);
      this.setOutcome({ nodeId: id, status: 'error', error: text, durationMs: 0 });
      this.skipPaths.add(file);
    }
  }

  private remember(id: string): void {
    if (!this.ordered.has(id)) {
      this.ordered.add(id);
      this.order.push(id);
    }
  }

  private setOutcome(outcome: TestOutcome): void {
    this.remember(outcome.nodeId);
    this.outcomes.set(outcome.nodeId, outcome);
  }

  /** Why a process ended early, `when` saying what it was doing ("while running this test"). */
  private describeEnd(result: LaunchOutcome, when: string): string {
    const { perTestMs, overallMs } = this.limits;
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
}

/** The interpreter's last words when it crashed (faulthandler's traceback), if any. */
function crashDetail(result: LaunchOutcome): string {
  const summary = fatalErrorSummary(result.stderrTail);
  return summary ? `\n${summary}` : '';
}

/** The last `count` lines of `text`. */
export function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}
