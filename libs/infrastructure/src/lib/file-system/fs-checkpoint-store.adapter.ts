import { createHash } from 'node:crypto';
import path from 'node:path';
import { InvalidInputError, type CheckpointStore } from '@test-agent/domain';
import { FsTestFileStore } from './fs-test-file-store.adapter';

/**
 * Checkpoints as JSON files in a folder (by default `<out>/.test-agent/checkpoints`), one per key (hashed into
 * the file name). Reads and atomic replaces are the test file store's (temp file + rename), so a crash never
 * leaves half a checkpoint.
 */
export class FsCheckpointStore implements CheckpointStore {
  private readonly files = new FsTestFileStore();

  constructor(private readonly directory: string) {}

  private fileOf(key: string): string {
    return path.join(this.directory, `${createHash('sha256').update(key).digest('hex').slice(0, 24)}.json`);
  }

  async load(key: string): Promise<unknown> {
    const text = await this.files.read(this.fileOf(key));
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch (cause) {
      throw new InvalidInputError(
        'TA_CHECKPOINT_CORRUPT',
        `The checkpoint ${this.fileOf(key)} is corrupt: delete it or do not resume`,
        { cause, option: 'resume' },
      );
    }
  }

  async save(key: string, value: unknown): Promise<void> {
    await this.files.replace(this.fileOf(key), `${JSON.stringify(value)}\n`);
  }
}
