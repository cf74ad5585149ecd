import type { TestFileStore } from '../interfaces/test-file-store.port';

/** `TestFileStore` in memory, for specs: `files` maps a path to its content; `writes` records every write. */
export class InMemoryTestFileStore implements TestFileStore {
  readonly files = new Map<string, string>();
  readonly writes: { readonly file: string; readonly kind: 'create' | 'replace' }[] = [];

  constructor(initial: Record<string, string> = {}) {
    for (const [file, content] of Object.entries(initial)) this.files.set(file, content);
  }

  async read(file: string): Promise<string | undefined> {
    return this.files.get(file);
  }

  async create(file: string, content: string): Promise<boolean> {
    if (this.files.has(file)) return false;
    this.files.set(file, content);
    this.writes.push({ file, kind: 'create' });
    return true;
  }

  async replace(file: string, content: string): Promise<void> {
    this.files.set(file, content);
    this.writes.push({ file, kind: 'replace' });
  }
}
