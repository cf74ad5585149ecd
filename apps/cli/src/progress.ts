import { MultiBar, type SingleBar } from 'cli-progress';
import type { LlmProgressEvent, ModuleGenerationReport, ModuleProgressEvent } from '@test-agent/application';

export interface ProgressReporter {
  /** A module of a run of several starting or done. */
  readonly module: (event: ModuleProgressEvent) => void;
  /** The LLM phase of a module, chunk by chunk. */
  readonly update: (module: string, event: LlmProgressEvent) => void;
  readonly stop: () => void;
}

/** `12 tests, line+branch 85.0 %` or `skipped — why`, for a module's progress line. */
function outcomeOf(report: ModuleGenerationReport): string {
  if (report.error) return `skipped — ${report.error.message}`;
  const seconds = `${(report.durationMs / 1000).toFixed(1)} s`;
  return `${report.tests} test${report.tests === 1 ? '' : 's'}, line+branch ${report.coverage.percent.combined.toFixed(1)} % (${seconds})`;
}

/** How progress is shown: live bars (a terminal), plain lines (CI logs), JSON lines (a program) or not at all. */
export type ProgressStyle = 'bars' | 'lines' | 'json' | 'none';

/**
 * One progress event as `--progress json` writes it: a line `{"progress": {...}}` on stderr. Module events come for
 * every module (a run of one too); chunk events only from the LLM phase (the offline engine works on whole modules).
 */
export type ProgressLine =
  | { readonly type: 'module-start'; readonly module: string; readonly of: number }
  | {
      readonly type: 'module-done';
      readonly module: string;
      readonly done: number;
      readonly of: number;
      readonly tests: number;
      readonly combinedPercent: number;
      readonly durationMs: number;
      /** Why the module was skipped (then it has no tests). */
      readonly skipped?: string;
    }
  | ({ readonly module: string } & LlmProgressEvent);

const NO_PROGRESS: ProgressReporter = { module: () => undefined, update: () => undefined, stop: () => undefined };

/** `--progress json`: every event as a JSON line, for the server (and any program) to follow a run. */
function jsonReporter(stream: NodeJS.WriteStream): ProgressReporter {
  const write = (event: ProgressLine) => stream.write(`${JSON.stringify({ progress: event })}\n`);
  return {
    module: (event) =>
      write(
        event.type === 'start'
          ? { type: 'module-start', module: event.module, of: event.of }
          : {
              type: 'module-done',
              module: event.module,
              done: event.done,
              of: event.of,
              tests: event.report.tests,
              combinedPercent: event.report.coverage.percent.combined,
              durationMs: event.report.durationMs,
              ...(event.report.error ? { skipped: event.report.error.message } : {}),
            },
      ),
    update: (module, event) => write({ module, ...event }),
    stop: () => undefined,
  };
}

/**
 * Progress of a run: over the modules (when there are several) and through each module's LLM phase. Live bars on
 * a terminal; plain lines otherwise (CI logs), one per module done; JSON lines for programs. Always on stderr, so
 * stdout keeps only the result.
 */
export function createProgressReporter(options: {
  style: ProgressStyle;
  stream: NodeJS.WriteStream;
}): ProgressReporter {
  const line = (text: string) => options.stream.write(`${text}\n`);
  if (options.style === 'none') return NO_PROGRESS;
  if (options.style === 'json') return jsonReporter(options.stream);
  if (options.style === 'lines') {
    return {
      module: (event) => {
        if (event.type === 'done' && event.of > 1)
          line(`[${event.done}/${event.of}] ${event.module}: ${outcomeOf(event.report)}`);
      },
      update: (module, event) => {
        if (event.type === 'chunk-start')
          line(
            `[${module}] chunk ${event.chunk + 1}/${event.of} (${event.symbols.join(', ') || 'module code'}), round ${event.iteration}`,
          );
        if (event.type === 'chunk-done')
          line(
            `[${module}] chunk ${event.chunk + 1}: ${event.accepted} tests accepted, line+branch ${event.combinedPercent.toFixed(1)} %, ${event.tokens} tokens so far`,
          );
        if (event.type === 'stopped')
          line(`[${module}] LLM phase stopped by ${event.reason} at ${event.combinedPercent.toFixed(1)} %`);
      },
      stop: () => undefined,
    };
  }
  let bars: MultiBar | undefined;
  const multi = () =>
    (bars ??= new MultiBar({
      stream: options.stream,
      hideCursor: true,
      clearOnComplete: false,
      format: '{label} |{bar}| {value}/{total} {status}',
    }));
  let modules: SingleBar | undefined;
  const running = new Set<string>();
  const chunks = new Map<string, SingleBar>();
  return {
    module: (event) => {
      if (event.of < 2) return;
      modules ??= multi().create(event.of, 0, { label: 'modules', status: '' });
      if (event.type === 'start') running.add(event.module);
      else {
        running.delete(event.module);
        modules.update(event.done);
        multi().log(`${event.module}: ${outcomeOf(event.report)}\n`);
      }
      modules.update({ status: running.size ? `running ${[...running].join(', ')}` : '' });
    },
    update: (module, event) => {
      let bar = chunks.get(module);
      if (event.type === 'chunk-start') {
        bar ??= multi().create(
          event.of,
          0,
          { label: `${module} chunks`, status: '', coverage: '—', tokens: 0 },
          { format: '{label} |{bar}| {value}/{total} {status} | line+branch {coverage} % | {tokens} tokens' },
        );
        chunks.set(module, bar);
        bar.setTotal(event.of);
        bar.update(event.chunk, { status: `${event.symbols.slice(0, 3).join(', ')} (round ${event.iteration})` });
      } else if (event.type === 'chunk-done') {
        bar?.update(event.chunk + 1, {
          coverage: event.combinedPercent.toFixed(1),
          tokens: event.tokens,
          status: `${event.accepted} accepted`,
        });
      } else if (bar) {
        bar.update({ status: `stopped: ${event.reason}`, coverage: event.combinedPercent.toFixed(1) });
        bar.stop();
        bars?.remove(bar);
        chunks.delete(module);
      }
    },
    stop: () => {
      bars?.stop();
      bars = undefined;
    },
  };
}
