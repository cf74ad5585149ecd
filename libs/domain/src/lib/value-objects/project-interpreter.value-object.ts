import type { ModuleTarget } from './module-target.value-object';

/** The Python interpreter that runs a module under test and its tests, and how it was chosen. */
export interface ProjectInterpreter {
  readonly executable: string;
  /**
   * How it was found: the `projectPython` option, `$VIRTUAL_ENV`, a `.venv`/`venv` folder at the project root,
   * `python3` on PATH, or Test Agent's own venv (embedders and specs that pass it explicitly).
   */
  readonly source: 'option' | 'VIRTUAL_ENV' | '.venv' | 'venv' | 'PATH' | 'test-agent';
  /** `sys.version`'s first word, e.g. `3.11.7`. */
  readonly version: string;
  /** The folder the project lives in (where `.venv` was looked for). */
  readonly projectRoot: string;
  /** The version of the interpreter's own pytest, which is then used with its plugins; null when it has none. */
  readonly pytest: string | null;
}

/** Which interpreter runs a module's code (its project's). */
export interface ProjectInterpreters {
  runtimeFor(target: ModuleTarget): Promise<ProjectInterpreter>;
}
