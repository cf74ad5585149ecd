import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvalidInputError } from '@test-agent/domain';
import { resolveModuleTarget } from './python-source';

// `resolveModuleTarget` on real folders: regular packages (`__init__.py`), PEP 420 namespace packages in the src
// and flat layouts of a project, and folders of scripts, which keep their own folder as import root.
let temp: string;

/** Writes `files` (relative path → content) under a new folder of `temp` and returns that folder. */
function project(name: string, files: Record<string, string>): string {
  const root = path.join(temp, name);
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
  return root;
}

/** The import root (relative to `root`, '.' for itself) and module name of `root/file`. */
function located(root: string, file: string): { importRoot: string; moduleName: string } {
  const target = resolveModuleTarget(path.join(root, file));
  expect(target.file).toBe(path.join(root, file));
  return { importRoot: path.relative(root, target.importRoot) || '.', moduleName: target.moduleName };
}

beforeAll(() => {
  temp = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'ta-python-source-')));
});
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe('resolveModuleTarget', () => {
  it('src layout: a namespace package under src/ is imported from src/, whatever the packaging marker', () => {
    for (const marker of ['pyproject.toml', '.git/HEAD']) {
      const root = project(`src-${marker.split('/')[0]}`, {
        [marker]: '',
        'src/acme/util/__init__.py': '',
        'src/acme/util/strings.py': 'from acme.util import helpers\n',
        'src/acme/tools/run.py': 'X = 1\n',
        'src/solo.py': 'Y = 1\n',
      });
      expect(located(root, 'src/acme/util/strings.py')).toEqual({ importRoot: 'src', moduleName: 'acme.util.strings' });
      expect(located(root, 'src/acme/util/__init__.py')).toEqual({ importRoot: 'src', moduleName: 'acme.util' });
      expect(located(root, 'src/acme/tools/run.py')).toEqual({ importRoot: 'src', moduleName: 'acme.tools.run' });
      expect(located(root, 'src/solo.py')).toEqual({ importRoot: 'src', moduleName: 'solo' });
    }
  });

  it('src layout with src/__init__.py (code imported as src.x) keeps the __init__.py walk', () => {
    const root = project('src-package', {
      'pyproject.toml': '',
      'src/__init__.py': '',
      'src/app/__init__.py': '',
      'src/app/core.py': 'X = 1\n',
    });
    expect(located(root, 'src/app/core.py')).toEqual({ importRoot: '.', moduleName: 'src.app.core' });
  });

  it('flat layout with pyproject.toml: regular packages under namespace folders are imported from the project root', () => {
    const root = project('flat', {
      'pyproject.toml': '[project]\nname = "acme"\n',
      'acme/util/__init__.py': '',
      'acme/util/strings.py': 'X = 1\n',
      'acme/deep/ns/pkg/__init__.py': '',
      'acme/deep/ns/pkg/mod.py': 'Y = 1\n',
      'shop/__init__.py': '',
      'shop/cart.py': 'Z = 1\n',
    });
    expect(located(root, 'acme/util/strings.py')).toEqual({ importRoot: '.', moduleName: 'acme.util.strings' });
    expect(located(root, 'acme/util/__init__.py')).toEqual({ importRoot: '.', moduleName: 'acme.util' });
    expect(located(root, 'acme/deep/ns/pkg/mod.py')).toEqual({ importRoot: '.', moduleName: 'acme.deep.ns.pkg.mod' });
    expect(located(root, 'shop/cart.py')).toEqual({ importRoot: '.', moduleName: 'shop.cart' });
  });

  it('flat layout needs a packaging marker: with .git alone a namespace folder stays outside the module name', () => {
    const root = project('flat-git', {
      '.git/HEAD': '',
      'acme/util/__init__.py': '',
      'acme/util/strings.py': 'X = 1\n',
    });
    expect(located(root, 'acme/util/strings.py')).toEqual({ importRoot: 'acme', moduleName: 'util.strings' });
  });

  it('a folder of scripts (no __init__.py) keeps its own folder as import root, with or without a packaging marker', () => {
    const git = project('scripts-git', { '.git/HEAD': '', 'examples/calculator.py': 'X = 1\n' });
    expect(located(git, 'examples/calculator.py')).toEqual({ importRoot: 'examples', moduleName: 'calculator' });
    const packaged = project('scripts-pyproject', {
      'pyproject.toml': '',
      'tools/scripts/run.py': 'X = 1\n',
      'top.py': 'Y = 1\n',
    });
    expect(located(packaged, 'tools/scripts/run.py')).toEqual({ importRoot: 'tools/scripts', moduleName: 'run' });
    expect(located(packaged, 'top.py')).toEqual({ importRoot: '.', moduleName: 'top' });
  });

  it('the repository example behind `make demo` is still module calculator imported from examples/', () => {
    const example = path.resolve(__dirname, '../../../../../examples/calculator.py');
    expect(resolveModuleTarget(example)).toEqual({
      file: realpathSync(example),
      importRoot: path.dirname(realpathSync(example)),
      moduleName: 'calculator',
    });
  });

  it('outside any project only __init__.py folders count', () => {
    // A folder of temp with no project marker anywhere above (the temp folder itself has none).
    const root = project('no-project', { 'acme/util/__init__.py': '', 'acme/util/strings.py': 'X = 1\n' });
    expect(located(root, 'acme/util/strings.py')).toEqual({ importRoot: 'acme', moduleName: 'util.strings' });
  });

  it('a folder that is not a valid identifier falls back to the __init__.py walk', () => {
    const src = project('bad-src', {
      'pyproject.toml': '',
      'src/my-ns/util/__init__.py': '',
      'src/my-ns/util/strings.py': 'X = 1\n',
    });
    expect(located(src, 'src/my-ns/util/strings.py')).toEqual({ importRoot: 'src/my-ns', moduleName: 'util.strings' });
    const flat = project('bad-flat', {
      'setup.cfg': '',
      'my-ns/util/__init__.py': '',
      'my-ns/util/strings.py': 'X = 1\n',
    });
    expect(located(flat, 'my-ns/util/strings.py')).toEqual({ importRoot: 'my-ns', moduleName: 'util.strings' });
  });

  it('keeps its errors: missing path, not Python, a package name that cannot be imported', () => {
    const root = project('errors', {
      'pyproject.toml': '',
      'src/acme/notes.txt': '',
      'src/acme/my-pkg/__init__.py': '',
      'src/acme/my-pkg/mod.py': '',
    });
    const error = (file: string) => {
      try {
        resolveModuleTarget(path.join(root, file));
      } catch (e) {
        return e instanceof InvalidInputError ? e.code : String(e);
      }
      return 'no error';
    };
    expect(error('src/acme/missing.py')).toBe('TA_PATH_NOT_FOUND');
    expect(error('src/acme/notes.txt')).toBe('TA_NOT_PYTHON');
    // src/acme/my-pkg is a regular package with a name Python cannot import, so the fallback refuses it too.
    expect(error('src/acme/my-pkg/mod.py')).toBe('TA_BAD_MODULE_NAME');
  });
});
