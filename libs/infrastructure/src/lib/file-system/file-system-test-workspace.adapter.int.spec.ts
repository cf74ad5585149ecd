import { chmodSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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
    expect(targets.find((t) => t.file.endsWith('app/core.py'))).toEqual({
      file: path.join(root, 'app/core.py'),
      importRoot: root,
      moduleName: 'app.core',
    });
    expect(targets.find((t) => t.file.endsWith('tests/factories.py'))?.moduleName).toBe('tests.factories');

    // One walker: every target is a file the source reader lists for `chunk`.
    const listed = await new FileSystemPythonSourceReader().listPythonFiles(root);
    expect(targets.every((t) => listed.includes(t.file))).toBe(true);
    expect(
      listed
        .map((f) => path.relative(root, f))
        .filter((f) => !relative.includes(f))
        .sort(),
    ).toEqual([
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
    await expect(new FileSystemTestWorkspace().resolveTargets(empty)).rejects.toThrow(
      `No Python module to test under ${empty}`,
    );
  });
});

// `generate` refuses an output folder that cannot take the tests, and modules that cannot be Python source,
// before any search: nothing here writes anything.
describe('FileSystemTestWorkspace up-front checks', () => {
  let project: string;
  const workspace = new FileSystemTestWorkspace();
  beforeAll(() => {
    project = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'ta-workspace-out-')));
    const files: Record<string, string | Buffer> = {
      'pyproject.toml': '[project]\nname = "p"\n',
      'afile.txt': 'not a folder\n',
      'pkg/__init__.py': '',
      'pkg/mod.py': 'X = 1\n',
      'pkg/sub/__init__.py': '',
      'pkg/sub/inner.py': 'Y = 2\n',
      'tests/__init__.py': '',
      'tests/test_mod.py': 'def test_x():\n    pass\n',
      'blob.py': Buffer.from([0x78, 0x00, 0x0a]),
      'latin1.py': Buffer.from('# -*- coding: latin-1 -*-\nx = "caf\xe9"\n', 'latin1'),
      'big.py': 'x = 1\n'.repeat(100),
    };
    for (const [file, content] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(project, file)), { recursive: true });
      writeFileSync(path.join(project, file), content);
    }
    symlinkSync('/proc', path.join(project, 'to-proc'));
  });
  afterAll(() => rmSync(project, { recursive: true, force: true }));
  const at = (p: string) => path.join(project, p);
  const check = async (out: string, input = at('pkg')) =>
    workspace.checkOutputFolder(out, input, await workspace.resolveTargets(input));

  it.each([
    ['an existing file', () => at('afile.txt'), 'TA_OUTPUT_NOT_A_FOLDER', /is an existing file, not a folder$/],
    [
      'a path under a file',
      () => at('afile.txt/sub'),
      'TA_OUTPUT_NOT_A_FOLDER',
      /lies under .*afile\.txt, which is a file$/,
    ],
    [
      'a path under /proc',
      () => '/proc/nope',
      'TA_OUTPUT_UNUSABLE',
      /^The output folder \/proc\/nope is under \/proc, a kernel file system/,
    ],
    ['a path under /sys', () => '/sys/x', 'TA_OUTPUT_UNUSABLE', /is under \/sys/],
    ['a path under /dev', () => '/dev/shm/x', 'TA_OUTPUT_UNUSABLE', /is under \/dev/],
    ['a symbolic link into /proc', () => at('to-proc/x'), 'TA_OUTPUT_UNUSABLE', /is under \/proc/],
    ['the package under test itself', () => at('pkg'), 'TA_OUTPUT_INSIDE_SOURCES', /is the folder under test/],
    [
      'a folder inside the package under test',
      () => at('pkg/tests'),
      'TA_OUTPUT_INSIDE_SOURCES',
      /lies inside .*\/pkg, a package under test/,
    ],
    [
      'a folder inside a subpackage',
      () => at('pkg/sub/t'),
      'TA_OUTPUT_INSIDE_SOURCES',
      /lies inside .*\/pkg\/sub, a package under test/,
    ],
  ])('refuses %s', async (_what, out, code, message) => {
    const error = await check(out()).catch((e: unknown) => e);
    expect(error).toMatchObject({ code, kind: 'invalid-input' });
    expect((error as Error).message).toMatch(message);
  });

  it('refuses a package folder inside a project root under test, and the root itself', async () => {
    await expect(check(at('pkg/generated'), project)).rejects.toMatchObject({ code: 'TA_OUTPUT_INSIDE_SOURCES' });
    await expect(check(project, project)).rejects.toThrow(/is the folder under test/);
  });

  it('accepts tests/ in a project root, a folder beside the package, and any folder for a single module', async () => {
    await expect(check(at('tests/generated'), project)).resolves.toBeUndefined();
    await expect(check(at('tests'), project)).resolves.toBeUndefined();
    await expect(check(at('build/tests'))).resolves.toBeUndefined();
    await expect(check(at('pkg/tests'), at('pkg/mod.py'))).resolves.toBeUndefined();
  });

  (process.getuid?.() === 0 ? it.skip : it)(
    'refuses a folder whose nearest existing ancestor is not writable (as a user: root writes anywhere)',
    async () => {
      mkdirSync(at('locked'));
      chmodSync(at('locked'), 0o555);
      try {
        await expect(check(at('locked/out/deeper'))).rejects.toMatchObject({
          code: 'TA_OUTPUT_NOT_WRITABLE',
          message: expect.stringMatching(/locked is not writable \(EACCES\)$/),
        });
      } finally {
        chmodSync(at('locked'), 0o755);
      }
    },
  );

  it('refuses binary and oversized modules with the limit chunk uses, and accepts other encodings', async () => {
    const small = new FileSystemTestWorkspace(new FileSystemPythonSourceReader(100));
    const [big] = await small.resolveTargets(at('big.py'));
    await expect(small.checkModule(big)).rejects.toMatchObject({
      code: 'TA_FILE_TOO_LARGE',
      message: expect.stringMatching(/big\.py is 0\.0 MiB, over the 0\.0 MiB limit/),
    });
    await expect(workspace.checkModule(big)).resolves.toBeUndefined();
    await expect(workspace.checkModule((await workspace.resolveTargets(at('blob.py')))[0])).rejects.toMatchObject({
      code: 'TA_BINARY_FILE',
    });
    await expect(workspace.checkModule((await workspace.resolveTargets(at('latin1.py')))[0])).resolves.toBeUndefined();
  });
});

describe('FileSystemTestWorkspace.testFilesUnder', () => {
  it('lists the pytest files below a folder (not in virtual environments), and none for a missing folder', async () => {
    const workspace = new FileSystemTestWorkspace();
    mkdirSync(path.join(root, 'myenv', 'tests'), { recursive: true });
    writeFileSync(path.join(root, 'myenv', 'tests', 'test_vendored.py'), '');
    expect(await workspace.testFilesUnder(root)).toEqual(['only_tests/test_a.py', 'tests/test_core.py']);
    expect(await workspace.testFilesUnder(path.join(root, 'nope'))).toEqual([]);
  });
});
