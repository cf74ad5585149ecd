import { InMemoryTestFileStore } from '@test-agent/domain/testing';
import { TestFileAssembler } from './test-file-assembler.service';
import { TestFileEmitter } from './test-file-emitter.service';

const target = { file: '/proj/calc.py', importRoot: '/proj', moduleName: 'calc' };
const generated = new TestFileAssembler().assemble(target, [
  { name: 'test_add', code: 'def test_add():\n    assert add(1, 2) == 3', imports: ['from calc import add'] },
]);
const newer = new TestFileAssembler().assemble(target, [
  { name: 'test_add', code: 'def test_add():\n    assert add(2, 2) == 4', imports: ['from calc import add'] },
]);

describe('TestFileEmitter', () => {
  it('creates a new file', async () => {
    const store = new InMemoryTestFileStore();
    const result = await new TestFileEmitter(store).emit('/proj/tests/', generated);
    expect(result).toEqual({ path: '/proj/tests/test_calc.py', action: 'created' });
    expect(store.files.get('/proj/tests/test_calc.py')).toBe(generated.content);
  });

  it("never overwrites a user's test file without force: it writes beside it", async () => {
    const store = new InMemoryTestFileStore({ '/proj/tests/test_calc.py': 'def test_mine():\n    pass\n' });
    const emitter = new TestFileEmitter(store);
    const result = await emitter.emit('/proj/tests', generated);
    expect(result).toEqual({
      path: '/proj/tests/test_calc_test_agent.py',
      action: 'written-beside',
      intendedPath: '/proj/tests/test_calc.py',
    });
    expect(store.files.get('/proj/tests/test_calc.py')).toBe('def test_mine():\n    pass\n');
    // The next run replaces its own, unedited file beside the user's.
    const again = await emitter.emit('/proj/tests', newer);
    expect(again).toEqual({
      path: '/proj/tests/test_calc_test_agent.py',
      action: 'written-beside',
      intendedPath: '/proj/tests/test_calc.py',
    });
    expect(store.files.get('/proj/tests/test_calc_test_agent.py')).toBe(newer.content);
  });

  it('overwrites with force', async () => {
    const store = new InMemoryTestFileStore({ '/proj/tests/test_calc.py': 'user content\n' });
    const result = await new TestFileEmitter(store).emit('/proj/tests', generated, { force: true });
    expect(result).toEqual({ path: '/proj/tests/test_calc.py', action: 'replaced' });
    expect(store.files.get('/proj/tests/test_calc.py')).toBe(generated.content);
  });

  it('replaces an unedited generated file, but treats an edited one as the user’s', async () => {
    const store = new InMemoryTestFileStore({ '/t/test_calc.py': generated.content });
    const emitter = new TestFileEmitter(store);
    expect(await emitter.emit('/t', newer)).toEqual({ path: '/t/test_calc.py', action: 'replaced' });
    expect(await emitter.emit('/t', newer)).toEqual({ path: '/t/test_calc.py', action: 'unchanged' });
    store.files.set('/t/test_calc.py', `${newer.content}\ndef test_extra():\n    pass\n`);
    expect((await emitter.emit('/t', generated)).action).toBe('written-beside');
    expect(store.files.get('/t/test_calc.py')).toContain('test_extra');
  });
});
