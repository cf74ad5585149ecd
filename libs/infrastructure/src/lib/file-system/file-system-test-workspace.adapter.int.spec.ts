import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileSystemPythonSourceReader } from './file-system-python-source-reader.adapter';
import { FileSystemTestWorkspace } from './file-system-test-workspace.adapter';

// `generate <folder>` finds its modules with the same walker as `chunk <folder>`: folders are not skipped for
// their name (build/, env/, dist/, test/, tests/), .gitignore is honoured, virtual environments are recognised
// by pyvenv.cfg; test files, setup.py and empty __init__.py files are not modules to test.
let root: string;

beforeAll(() => {
  root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'ta-workspace-')));
  const files: Record<string, string> = {
    '.gitignore': 'generated/\nscratch_*.py\n',
    'setup.py': 'from setuptools import setup\n',
    'conftest.py': '',
    'app/__init__.py': '',
    'app/core.py': 'X = 1\n',
    'app/core_test.py': 'def test_x():\n    pass\n',
    'app/scratch_notes.py': 'Y = 2\n',
    'app/generated/models.py': 'Z = 3\n',
    'app/build/steps.py': 'def step():\n    return 1\n',
    'env/settings.py': 'DEBUG = False\n',
    'dist/packer.py': 'def pack():\n    return 1\n',
    'test/support.py': 'def helper():\n    return 1\n',
    'tests/__init__.py': '',
    'tests/test_core.py': 'def test_core():\n    pass\n',
    'tests/factories.py': 'def make():\n    return 1\n',
    'lib/__init__.py': '"""A package with code in __init__."""\nVALUE = 1\n',
    'lib/site-packages/dep.py': 'A = 1\n',
    'lib/__pycache__/cached.py': 'B = 1\n',
    'myenv/pyvenv.cfg': 'home = /usr/bin\n',
    'myenv/lib/python3.11/vendored.py': 'C = 1\n',
  };
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('FileSystemTestWorkspace.resolveTargets', () => {
  it('lists the modules the chunk walker lists, minus test files, setup.py and empty __init__.py', async () => {
    const targets = await new FileSystemTestWorkspace().resolveTargets(root);
    const relative = targets.map((t) => path.relative(root, t.file));
    expect(relative).toEqual([
      'app/build/steps.py',
      'app/core.py',
      'dist/packer.py',
      'env/settings.py',
      'lib/__init__.py',
      'test/support.py',
      'tests/factories.py',
    ]);
    expect(targets.find((t) => t.file.endsWith('app/core.py'))).toEqual({ file: path.join(root, 'app/core.py'), importRoot: root, moduleName: 'app.core' });
    expect(targets.find((t) => t.file.endsWith('tests/factories.py'))?.moduleName).toBe('tests.factories');

    // One walker: every target is a file the source reader lists for `chunk`.
    const listed = await new FileSystemPythonSourceReader().listPythonFiles(root);
    expect(targets.every((t) => listed.includes(t.file))).toBe(true);
    expect(listed.map((f) => path.relative(root, f)).filter((f) => !relative.includes(f)).sort()).toEqual([
      'app/__init__.py',
      'app/core_test.py',
      'conftest.py',
      'setup.py',
      'tests/__init__.py',
      'tests/test_core.py',
    ]);
  });

  it('still rejects a folder without any module to test', async () => {
    const empty = path.join(root, 'only_tests');
    mkdirSync(empty);
    writeFileSync(path.join(empty, 'test_a.py'), 'def test_a():\n    pass\n');
    await expect(new FileSystemTestWorkspace().resolveTargets(empty)).rejects.toThrow(`No Python module to test under ${empty}`);
  });
});
