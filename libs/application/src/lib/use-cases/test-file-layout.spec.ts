import type { ModuleTarget } from '@test-agent/domain';
import { planTestFiles, testFilesOf } from './test-file-layout';

const target = (moduleName: string, file = `/p/src/${moduleName.replace(/\./g, '/')}.py`): ModuleTarget => ({
  file,
  importRoot: '/p/src',
  moduleName,
});
const layout = (targets: ModuleTarget[], existing: string[] = []) =>
  [...planTestFiles(targets, existing).values()].map((p) => testFilesOf(p).unit);

describe('planTestFiles', () => {
  it('mirrors the packages, a top-level module at the root', () => {
    expect(layout([target('calculator'), target('pkg.sub.mod'), target('pkg.util')])).toEqual([
      'test_calculator.py',
      'pkg/sub/test_mod.py',
      'pkg/test_util.py',
    ]);
  });

  it("puts a package's __init__ tests in the package's folder", () => {
    expect(layout([target('pkg.sub', '/p/src/pkg/sub/__init__.py')])).toEqual(['pkg/sub/test_sub.py']);
  });

  it('gives modules sharing a short name their full dotted names (pytest needs distinct base names)', () => {
    expect(layout([target('pkg.a.utils'), target('pkg.b.utils'), target('pkg.c.other')])).toEqual([
      'pkg/a/test_pkg_a_utils.py',
      'pkg/b/test_pkg_b_utils.py',
      'pkg/c/test_other.py',
    ]);
  });

  it('avoids base names already used elsewhere in the output folder, but replaces its own files', () => {
    expect(layout([target('pkg.b.utils')], ['pkg/a/test_utils.py'])).toEqual(['pkg/b/test_pkg_b_utils.py']);
    expect(layout([target('pkg.b.utils')], ['pkg/b/test_utils.py'])).toEqual(['pkg/b/test_utils.py']);
    expect(layout([target('pkg.b.utils')], ['pkg/a/test_utils_integration.py'])).toEqual(['pkg/b/test_pkg_b_utils.py']);
  });

  it('numbers a name when even the full dotted name is taken', () => {
    expect(layout([target('a.b')], ['x/test_b.py', 'test_a_b.py'])).toEqual(['a/test_a_b_2.py']);
    expect(layout([target('a_b'), target('a.b')], ['x/test_b.py'])).toEqual(['test_a_b.py', 'a/test_a_b_2.py']);
  });
});
