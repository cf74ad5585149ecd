import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TestFileStore } from '@test-agent/domain';

/** `TestFileStore` on the local file system: exclusive creates (`wx`), atomic replaces (temp file + rename). */
export class FsTestFileStore implements TestFileStore {
  async read(file: string): Promise<string | undefined> {
    try {
      return await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async create(file: string, content: string): Promise<boolean> {
    await mkdir(path.dirname(file), { recursive: true });
    try {
      await writeFile(file, content, { flag: 'wx' });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
  }

  async replace(file: string, content: string): Promise<void> {
    await mkdir(path.dirname(file), { recursive: true });
    // Unique per write: two writers of one file in the same millisecond must not share a temp file.
    const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomUUID()}.tmp`);
    try {
      await writeFile(temp, content);
      await rename(temp, file);
    } catch (e) {
      await rm(temp, { force: true });
      throw e;
    }
  }
}
