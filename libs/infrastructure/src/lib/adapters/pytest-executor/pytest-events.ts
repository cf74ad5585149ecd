import type { TestOutcomeStatus } from '@test-agent/domain';

/** One line of the events file written by `test_agent_pytest_plugin.py` (see its docstring). */
export type PytestEvent =
  | { readonly e: 'collect_start'; readonly id: string; readonly path: string; readonly t: number }
  | { readonly e: 'collect_end'; readonly id: string; readonly t: number }
  | { readonly e: 'collect_error'; readonly id: string; readonly text: string; readonly t: number }
  | { readonly e: 'collect_skip'; readonly id: string; readonly text: string; readonly t: number }
  | { readonly e: 'collected'; readonly ids: readonly string[]; readonly t: number }
  | { readonly e: 'start'; readonly id: string; readonly t: number }
  | {
      readonly e: 'finish';
      readonly id: string;
      readonly status: TestOutcomeStatus;
      readonly text: string | null;
      /** Seconds (setup + call + teardown). */
      readonly duration: number;
      readonly t: number;
    }
  | { readonly e: 'done'; readonly exit: number; readonly t: number }
  /** The target's top-level name resolves to another module (`origin`: its file, or `built-in`); the run stops. */
  | {
      readonly e: 'shadowed';
      readonly module: string;
      readonly origin: string;
      readonly stdlib: boolean;
      readonly t: number;
    };

const KINDS = new Set([
  'collect_start',
  'collect_end',
  'collect_error',
  'collect_skip',
  'collected',
  'start',
  'finish',
  'done',
  'shadowed',
]);

/**
 * Incremental reader of a JSON-lines events file: `push(chunk)` takes bytes as they arrive and returns the
 * complete events; a partial last line waits for the next chunk. Lines that are not events are counted in
 * `malformed` (a test could write into the file), never thrown.
 */
export class PytestEventReader {
  private pending = '';
  malformed = 0;

  push(chunk: string): PytestEvent[] {
    const text = this.pending + chunk;
    const lines = text.split('\n');
    this.pending = lines.pop() ?? '';
    const events: PytestEvent[] = [];
    for (const line of lines) {
      if (line.trim() === '') continue;
      const event = parseEvent(line);
      if (event) events.push(event);
      else this.malformed++;
    }
    return events;
  }
}

function parseEvent(line: string): PytestEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined; // counted by the caller as malformed
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const kind = (value as { e?: unknown }).e;
  return typeof kind === 'string' && KINDS.has(kind) ? (value as PytestEvent) : undefined;
}
