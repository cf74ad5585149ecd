/** Where a module's LLM phase is: the chunk being prompted, the round, and the chunk visits finished. */
export interface ChunkProgress {
  /** The module's chunks. */
  readonly of: number;
  /** The LLM round (1, 2, ...: later rounds revisit only the chunks with gaps). */
  readonly round: number;
  /** Chunk visits finished, all rounds together. */
  readonly done: number;
  /** The chunk being prompted (1-based) and its symbols; absent between chunks and once the phase stopped. */
  readonly current?: { readonly chunk: number; readonly symbols: readonly string[] };
  /** Why the LLM phase stopped (target, budget, rounds, ...), once it has. */
  readonly stopped?: string;
}

/** One module of a running or finished job. */
export interface ModuleProgress {
  readonly module: string;
  readonly state: 'running' | 'done' | 'skipped';
  /** Tests kept, once done. */
  readonly tests?: number;
  /** Line+branch coverage: the latest measured while running (LLM phase), the final one once done. */
  readonly combinedPercent?: number;
  /** LLM tokens spent on the module so far. */
  readonly tokens?: number;
  /** The LLM phase chunk by chunk (llm and hybrid strategies; the offline engine works on whole modules). */
  readonly chunks?: ChunkProgress;
  /** Why the module was skipped. */
  readonly reason?: string;
}

/** How far a job is: modules done of the run's modules (known once the first starts), and each started module. */
export interface JobProgress {
  readonly modulesDone: number;
  readonly modules?: number;
  readonly perModule?: readonly ModuleProgress[];
}

/** The progress events the generation process writes (`--progress json`: `{"progress": event}` per line). */
type ProgressEvent = { readonly type: string; readonly module: string } & Record<string, unknown>;

/** The chunk progress with no chunk being prompted (the module or its LLM phase ended). */
function between(chunks: ChunkProgress | undefined): ChunkProgress {
  return { of: chunks?.of ?? 0, round: chunks?.round ?? 0, done: chunks?.done ?? 0 };
}

const stoppedOf = (chunks: ChunkProgress) => (chunks.stopped ? { stopped: chunks.stopped } : {});

const number = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

/** The event of one line of the generation's stderr, or undefined for any other line (a warning, a log line). */
export function progressEventOf(line: string): ProgressEvent | undefined {
  if (!line.startsWith('{"progress":')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  const event = (parsed as { progress?: unknown }).progress;
  if (typeof event !== 'object' || event === null) return undefined;
  const { type, module } = event as { type?: unknown; module?: unknown };
  return typeof type === 'string' && typeof module === 'string' ? (event as ProgressEvent) : undefined;
}

/**
 * Builds a job's progress from its generation's events: modules in the order they started, each with its state,
 * tests and coverage, and for the LLM strategies its chunk, round and tokens. Unknown events are ignored (a newer
 * CLI may send more).
 */
export class ProgressTracker {
  private readonly modules = new Map<string, ModuleProgress>();
  private modulesDone = 0;
  private of?: number;

  apply(event: ProgressEvent): void {
    const current = this.modules.get(event.module);
    const update = (patch: Partial<ModuleProgress>) =>
      this.modules.set(event.module, { module: event.module, state: 'running', ...current, ...patch });
    switch (event.type) {
      case 'module-start':
        this.of = number(event.of) ?? this.of;
        update({ state: 'running' });
        break;
      case 'module-done': {
        this.of = number(event.of) ?? this.of;
        this.modulesDone = Math.max(this.modulesDone, number(event.done) ?? this.modulesDone + 1);
        const skipped = typeof event.skipped === 'string' ? event.skipped : undefined;
        update({
          state: skipped ? 'skipped' : 'done',
          tests: number(event.tests) ?? 0,
          ...(skipped ? { reason: skipped } : { combinedPercent: number(event.combinedPercent) }),
          ...(current?.chunks ? { chunks: { ...between(current.chunks), ...stoppedOf(current.chunks) } } : {}),
        });
        break;
      }
      case 'chunk-start':
        update({
          chunks: {
            of: number(event.of) ?? 0,
            round: number(event.iteration) ?? 1,
            done: current?.chunks?.done ?? 0,
            current: {
              chunk: (number(event.chunk) ?? 0) + 1,
              symbols: Array.isArray(event.symbols) ? event.symbols.filter((s) => typeof s === 'string') : [],
            },
          },
        });
        break;
      case 'chunk-done': {
        const chunks = current?.chunks ?? { of: 0, round: 1, done: 0 };
        update({
          chunks: { of: chunks.of, round: chunks.round, done: chunks.done + 1 },
          combinedPercent: number(event.combinedPercent),
          tokens: number(event.tokens),
        });
        break;
      }
      case 'stopped': {
        update({
          chunks: { ...between(current?.chunks), stopped: String(event.reason) },
          combinedPercent: number(event.combinedPercent),
        });
        break;
      }
    }
  }

  view(): JobProgress {
    return {
      modulesDone: this.modulesDone,
      ...(this.of !== undefined ? { modules: this.of } : {}),
      ...(this.modules.size ? { perModule: [...this.modules.values()] } : {}),
    };
  }
}
