import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import os from 'node:os';
import { EnvironmentError, type Logger } from '@test-agent/domain';
import { processCleanups } from '../../process/cleanup-registry';
import { PytestEventReader, type PytestEvent } from './pytest-events';

/** Why the watch killed a pytest process. */
export type KillReason = 'test-timeout' | 'collect-timeout' | 'deadline' | 'linger';

/** How one pytest process ended, and what it reported before. */
export interface LaunchOutcome {
  readonly events: PytestEvent[];
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly killed?: KillReason;
  readonly stderrTail: string;
  readonly stdoutTail: string;
  /** When the process ended (epoch milliseconds). */
  readonly endedAt: number;
}

/** The limits one pytest process is watched against. */
export interface WatchLimits {
  /** The events file the plugin appends to. */
  readonly eventsFile: string;
  /** Per-test limit, in milliseconds (pytest-timeout's; the watch kills after a grace period past it). */
  readonly perTestMs: number;
  /** The run's overall deadline (epoch milliseconds). */
  readonly deadline: number;
  /** The process runs in the sandbox (its init reports signals as exit codes 128 + N). */
  readonly confined: boolean;
  /** Bytes of stdout and of stderr kept (the tail). */
  readonly maxOutputBytes: number;
  /** How long a process may linger after pytest finished, in milliseconds. */
  readonly lingerMs: number;
}

const POLL_MS = 100;

/**
 * Follows one pytest process: reads its events as they arrive and kills its group past a limit (a test or an
 * import past the per-test limit and its grace, the overall deadline, lingering after the session ended).
 */
export function watchPytestProcess(child: ChildProcess, limits: WatchLimits, logger: Logger): Promise<LaunchOutcome> {
  return new Promise<LaunchOutcome>((resolve, reject) => {
    // Detached: the terminal's Ctrl-C does not reach the group, so an interrupted Test Agent kills it itself.
    const unregister = processCleanups.register(() => killProcessGroup(child.pid));
    const stdout = new TailBuffer(limits.maxOutputBytes);
    const stderr = new TailBuffer(limits.maxOutputBytes);
    child.stdout!.on('data', (b: Buffer) => stdout.push(b));
    child.stderr!.on('data', (b: Buffer) => stderr.push(b));
    const follower = new EventFollower(limits.eventsFile);
    let killed: KillReason | undefined;
    const graceMs = limits.perTestMs + Math.max(2_000, limits.perTestMs / 4);
    const killGroup = (reason: KillReason) => {
      killed ??= reason;
      killProcessGroup(child.pid);
    };
    const timer = setInterval(() => {
      follower.drain();
      const now = Date.now();
      if (now > limits.deadline) killGroup('deadline');
      else if (follower.running && now - follower.running.since > graceMs) killGroup('test-timeout');
      else if ([...follower.collecting.values()].some((since) => now - since > graceMs)) killGroup('collect-timeout');
      else if (follower.doneAt !== undefined && now - follower.doneAt > limits.lingerMs) killGroup('linger');
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
      follower.drain();
      if (follower.malformed > 0)
        logger.warn('Ignored malformed lines in the pytest events file', { count: follower.malformed });
      resolve({
        events: follower.events,
        ...(limits.confined ? normaliseExit(code, signal) : { code, signal }),
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

/** Reads the events file as it grows and keeps what the process is doing now (the test running, the imports). */
class EventFollower {
  readonly events: PytestEvent[] = [];
  running: { id: string; since: number } | undefined;
  readonly collecting = new Map<string, number>();
  doneAt: number | undefined;
  private readonly reader = new PytestEventReader();
  private offset = 0;

  constructor(private readonly file: string) {}

  get malformed(): number {
    return this.reader.malformed;
  }

  drain(): void {
    const chunk = readFrom(this.file, this.offset);
    this.offset += chunk.length;
    const now = Date.now();
    for (const event of this.reader.push(chunk.toString('utf8'))) {
      this.events.push(event);
      if (event.e === 'start') this.running = { id: event.id, since: now };
      else if (event.e === 'finish') this.running = undefined;
      else if (event.e === 'collect_start') this.collecting.set(event.id, now);
      else if (event.e === 'collect_end') this.collecting.delete(event.id);
      else if (event.e === 'done') this.doneAt = now;
    }
  }
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

/** Kills a detached process group (`-pgid`); a group already gone is fine. */
function killProcessGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
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
