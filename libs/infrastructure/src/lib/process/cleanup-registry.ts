/**
 * Something to undo when the process is interrupted (Ctrl-C, SIGTERM) before the code that created it could
 * run its `finally`: kill a detached process group, remove a temp folder. It must be synchronous (it runs
 * right before the process exits, from a signal handler), quick, and idempotent (the owner may also run it).
 */
export type Cleanup = () => void;

/** Undoes a `register`: the cleanup will not run. Calling it again does nothing. */
export type Unregister = () => void;

/**
 * A registry of cleanups for resources that outlive an interrupted process: detached process groups (they do
 * not receive the terminal's SIGINT) and temp folders. Owners register a cleanup when they create the resource
 * and unregister it once they released the resource themselves; the process's edge (the CLI's and the server's
 * `main.ts`) calls `runAll()` on SIGINT/SIGTERM before exiting.
 *
 * ```ts
 * const unregister = processCleanups.register(() => process.kill(-child.pid, 'SIGKILL'));
 * child.on('exit', unregister);
 * ```
 */
export class CleanupRegistry {
  private readonly cleanups = new Map<number, Cleanup>();
  private next = 0;

  /**
   * Registers `cleanup`; returns the function that unregisters it. Cleanups run in reverse order of
   * registration (a process group registered after its run folder is killed before the folder is removed).
   */
  register(cleanup: Cleanup): Unregister {
    const id = this.next++;
    this.cleanups.set(id, cleanup);
    return () => {
      this.cleanups.delete(id);
    };
  }

  /** How many cleanups are registered. */
  get size(): number {
    return this.cleanups.size;
  }

  /**
   * Runs every registered cleanup once, newest first, and empties the registry. A cleanup that throws does not
   * stop the others; the errors are returned (never thrown: this runs on the way out).
   */
  runAll(): Error[] {
    const pending = [...this.cleanups.entries()].sort(([a], [b]) => b - a);
    this.cleanups.clear();
    const errors: Error[] = [];
    for (const [, cleanup] of pending) {
      try {
        cleanup();
      } catch (e) {
        errors.push(e instanceof Error ? e : new Error(String(e)));
      }
    }
    return errors;
  }
}

/**
 * The process-wide registry: adapters that start detached processes or create temp folders register here
 * (the pytest executor does; the Python worker is to follow), and the apps run it on SIGINT/SIGTERM through
 * `runCleanups()` of `@test-agent/composition`.
 */
export const processCleanups = new CleanupRegistry();
