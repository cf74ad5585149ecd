import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidInputError, type CheckpointStore } from '@test-agent/domain';

/**
 * Checkpoints as JSON files in a folder (by default `<out>/.test-agent/checkpoints`), one per key (hashed into
 * the file name). Writes go to a temporary file renamed over the old one, so a crash never leaves half a file.
 */
export class FsCheckpointStore implements CheckpointStore {
  constructor(private readonly directory: string) {}

  private fileOf(key: string): string {
    return path.join(this.directory, `${createHash('sha256').update(key).digest('hex').slice(0, 24)}.json`);
  }

  async load(key: string): Promise<unknown> {
    let text: string;
    try {
      text = await readFile(this.fileOf(key), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (cause) {
      throw new InvalidInputError('TA_CHECKPOINT_CORRUPT', `The checkpoint ${this.fileOf(key)} is corrupt: delete it or run without --resume`, { cause });
    }
  }

  async save(key: string, value: unknown): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    const file = this.fileOf(key);
    const temporary = `${file}.${randomUUID()}.tmp`;
    await writeFile(temporary, `${JSON.stringify(value)}\n`, 'utf8');
    await rename(temporary, file);
  }
}
