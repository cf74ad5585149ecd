import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InvalidInputError } from '@test-agent/domain';
import { FileSystemPythonSourceReader } from './file-system-python-source-reader.adapter';

describe('FileSystemPythonSourceReader', () => {
  let root: string;
  const write = (rel: string, content: string | Buffer = 'x = 1\n') => {
    const file = path.join(root, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  };
  const reader = new FileSystemPythonSourceReader();

  beforeEach(() => {
    root = realpathSync(mkdtempSync(path.join(tmpdir(), 'ta-reader-')));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('lists a package sorted, skipping venvs, caches, site-packages and .gitignore matches', async () => {
    write('pkg/__init__.py', '');
    write('pkg/core.py');
    write('pkg/sub/util.py');
    write('pkg/sub/generated_pb2.py');
    write('pkg/sub/.gitignore', '*_pb2.py\n');
    write('pkg/__pycache__/core.cpython-311.py');
    write('myenv/pyvenv.cfg', 'home = /usr/bin\n');
    write('myenv/lib/python3.11/site-packages/dep.py');
    write('.venv/lib/x.py');
    write('vendor/lib/site-packages/other.py');
    write('build/out.py');
    write('.gitignore', 'build/\n');
    write('notes.txt', 'not python');
    write('setup.py');
    const files = await reader.listPythonFiles(root);
    expect(files.map((f) => path.relative(root, f))).toEqual([
      'pkg/__init__.py',
      'pkg/core.py',
      'pkg/sub/util.py',
      'setup.py',
    ]);
  });

  it('applies extra exclude patterns', async () => {
    write('a/one.py');
    write('b/two.py');
    write('b/keep/three.py');
    const files = await reader.listPythonFiles(root, { exclude: ['b/*.py'] });
    expect(files.map((f) => path.relative(root, f))).toEqual(['a/one.py', 'b/keep/three.py']);
  });

  it('resolves files and folders and rejects a missing path', async () => {
    write('m.py');
    expect(await reader.resolve(path.join(root, 'm.py'))).toEqual({ path: path.join(root, 'm.py'), kind: 'file' });
    expect(await reader.resolve(root)).toEqual({ path: root, kind: 'directory' });
    await expect(reader.resolve(path.join(root, 'nope.py'))).rejects.toMatchObject({ code: 'TA_PATH_NOT_FOUND' });
  });

  it('reads UTF-8 (BOM removed) and rejects binary and non-UTF-8 files', async () => {
    write('bom.py', Buffer.from('\ufeffx = "é"\n', 'utf8'));
    write('bin.py', Buffer.from([0x78, 0x00, 0x0a]));
    write('latin.py', Buffer.from([0x78, 0x3d, 0xe9, 0x0a]));
    expect(await reader.read(path.join(root, 'bom.py'))).toBe('x = "é"\n');
    await expect(reader.read(path.join(root, 'bin.py'))).rejects.toMatchObject({ code: 'TA_BINARY_FILE' });
    const error = await reader.read(path.join(root, 'latin.py')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ code: 'TA_NOT_UTF8' });
  });
});
