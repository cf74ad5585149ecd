import type { ModuleTarget } from '@test-agent/domain';

/** Where one module's tests go inside the output folder: a folder mirroring its package, and a file stem. */
export interface TestFilePlace {
  /** `pkg/sub` for `pkg.sub.mod` (and for `pkg/sub/__init__.py`); '' for a top-level module. */
  readonly folder: string;
  /** `mod` for `test_mod.py` and `test_mod_integration.py`. */
  readonly stem: string;
}

/** The unit test file and the integration test file of a place, relative to the output folder. */
export function testFilesOf(place: TestFilePlace): { unit: string; integration: string } {
  const prefix = place.folder ? `${place.folder}/` : '';
  return { unit: `${prefix}test_${place.stem}.py`, integration: `${prefix}test_${place.stem}_integration.py` };
}

/**
 * Lays the tests out in a tree that mirrors the packages: `pkg.sub.mod` → `pkg/sub/test_mod.py`. pytest imports
 * test files outside packages by base name, so two test files of one run must not share one: a module whose
 * short name is shared with another module of the run, or with a test file already elsewhere in the output
 * folder (`existing`, relative paths), gets its full dotted name (`pkg/sub/test_pkg_sub_mod.py`), then a number.
 * A file already at the intended path is no clash (a re-run replaces its own files).
 */
export function planTestFiles(
  targets: readonly ModuleTarget[],
  existing: readonly string[],
): Map<string, TestFilePlace> {
  const parts = (t: ModuleTarget) => t.moduleName.split('.');
  const shortNames = new Map<string, number>();
  for (const t of targets) {
    const short = parts(t).at(-1)!;
    shortNames.set(short, (shortNames.get(short) ?? 0) + 1);
  }
  const existingByBase = new Map<string, string[]>();
  for (const file of existing) {
    const base = file.slice(file.lastIndexOf('/') + 1);
    existingByBase.set(base, [...(existingByBase.get(base) ?? []), file]);
  }
  const planned = new Set<string>();
  const free = (place: TestFilePlace) =>
    Object.values(testFilesOf(place)).every((file) => {
      const base = file.slice(file.lastIndexOf('/') + 1);
      return !planned.has(base) && (existingByBase.get(base) ?? []).every((other) => other === file);
    });
  const places = new Map<string, TestFilePlace>();
  for (const target of targets) {
    const names = parts(target);
    const isPackage = /(^|\/)__init__\.py$/.test(target.file);
    const folder = (isPackage ? names : names.slice(0, -1)).join('/');
    const short = names.at(-1)!;
    const long = names.join('_');
    const candidates = [...((shortNames.get(short) ?? 0) > 1 ? [] : [short]), long];
    let place = candidates.map((stem) => ({ folder, stem })).find(free);
    for (let n = 2; !place; n++) {
      const numbered = { folder, stem: `${long}_${n}` };
      if (free(numbered)) place = numbered;
    }
    for (const file of Object.values(testFilesOf(place))) planned.add(file.slice(file.lastIndexOf('/') + 1));
    places.set(target.file, place);
  }
  return places;
}
