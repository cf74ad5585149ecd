import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FsCheckpointStore } from './fs-checkpoint-store.adapter';

describe('FsCheckpointStore', () => {
  it('saves and loads by key, leaving no temporary files', async () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'ta-ckpt-')), 'checkpoints');
    const store = new FsCheckpointStore(dir);
    expect(await store.load('/src/calc.py#abc')).toBeUndefined();
    await store.save('/src/calc.py#abc', { version: 1, accepted: ['test_add'] });
    await store.save('/src/calc.py#abc', { version: 1, accepted: ['test_add', 'test_sub'] });
    expect(await store.load('/src/calc.py#abc')).toEqual({ version: 1, accepted: ['test_add', 'test_sub'] });
    expect(await store.load('/src/calc.py#other')).toBeUndefined();
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('throws a clear error naming a corrupt checkpoint instead of silently starting over', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ta-ckpt-'));
    const store = new FsCheckpointStore(dir);
    await store.save('k', { a: 1 });
    const [file] = readdirSync(dir);
    writeFileSync(path.join(dir, file), '{ half');
    await expect(store.load('k')).rejects.toMatchObject({
      code: 'TA_CHECKPOINT_CORRUPT',
      kind: 'invalid-input',
      message: expect.stringContaining(path.join(dir, file)),
    });
  });
});
