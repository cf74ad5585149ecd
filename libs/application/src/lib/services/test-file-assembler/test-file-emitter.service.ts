import { TestAgentError, type TestFile, type TestFileStore } from '@test-agent/domain';
import { isPristineGeneratedFile } from './test-file-assembler.service';

export interface EmitOptions {
  /** Replace an existing file even when it is the user's (the CLI's `--force`). */
  readonly force?: boolean;
}

/**
 * What happened: `created` a new file; `replaced` an existing one (with `force`, or a file Test Agent wrote
 * that nobody edited); `unchanged` (same content already there); `written-beside` — the intended file is the
 * user's, so the tests went to `path` next to it (`test_x_test_agent.py`, then `_2`, ...).
 */
export interface EmitResult {
  readonly path: string;
  readonly action: 'created' | 'replaced' | 'unchanged' | 'written-beside';
  /** The intended path, when `action` is `written-beside`. */
  readonly intendedPath?: string;
}

/** How many `_test_agent_N` names are tried beside a user's file before giving up. */
const MAX_BESIDE = 100;

/**
 * Writes assembled test files through a `TestFileStore`, never overwriting a user's test file unless told to
 * (`force`). A file Test Agent wrote earlier and nobody edited (see `isPristineGeneratedFile`) is replaced.
 */
export class TestFileEmitter {
  constructor(private readonly store: TestFileStore) {}

  /**
   * Writes `file` into `directory` (absolute, `/`-separated). Throws `TA_NO_FREE_TEST_FILE_NAME` when every name
   * beside a user's file is taken by other user files, and what the store throws.
   */
  async emit(directory: string, file: TestFile, options: EmitOptions = {}): Promise<EmitResult> {
    const intended = joinPath(directory, file.name);
    const first = await this.place(intended, file.content, options.force === true);
    if (first) return first;
    const stem = file.name.replace(/\.py$/, '');
    for (let n = 1; n <= MAX_BESIDE; n++) {
      const candidate = joinPath(directory, `${stem}_test_agent${n === 1 ? '' : `_${n}`}.py`);
      const placed = await this.place(candidate, file.content, false);
      if (placed)
        return {
          path: candidate,
          action: placed.action === 'created' || placed.action === 'replaced' ? 'written-beside' : placed.action,
          intendedPath: intended,
        };
    }
    throw new TestAgentError(
      'TA_NO_FREE_TEST_FILE_NAME',
      'invalid-input',
      `No free file name beside ${intended} after ${MAX_BESIDE} attempts`,
    );
  }

  /** Writes to `file` if allowed; `undefined` when the file belongs to the user. */
  private async place(file: string, content: string, force: boolean): Promise<EmitResult | undefined> {
    if (await this.store.create(file, content)) return { path: file, action: 'created' };
    const existing = await this.store.read(file);
    if (existing === content) return { path: file, action: 'unchanged' };
    if (force || existing === undefined || isPristineGeneratedFile(existing)) {
      await this.store.replace(file, content);
      return { path: file, action: 'replaced' };
    }
    return undefined;
  }
}

function joinPath(directory: string, name: string): string {
  return `${directory.replace(/\/+$/, '')}/${name}`;
}
