import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FsTestFileStore } from './fs-test-file-store.adapter';

describe('FsTestFileStore', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'ta-store-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates exclusively, replaces atomically and reads back', async () => {
    const store = new FsTestFileStore();
    const file = path.join(dir, 'tests', 'unit', 'test_x.py');
    expect(await store.read(file)).toBeUndefined();
    expect(await store.create(file, 'one\n')).toBe(true);
    expect(await store.create(file, 'two\n')).toBe(false);
    expect(await store.read(file)).toBe('one\n');
    await store.replace(file, 'three\n');
    expect(await store.read(file)).toBe('three\n');
    expect(readdirSync(path.dirname(file))).toEqual(['test_x.py']);
  });

  it('lets exactly one of concurrent creators win', async () => {
    const store = new FsTestFileStore();
    const file = path.join(dir, 'test_race.py');
    const wins = await Promise.all(Array.from({ length: 8 }, (_, i) => store.create(file, `${i}\n`)));
    expect(wins.filter(Boolean)).toHaveLength(1);
  });
});
