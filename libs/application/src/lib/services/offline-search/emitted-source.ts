import type { PlanExpr } from '@test-agent/domain';
import { namesIn } from '../../python-text';
import { FILE_HELPER } from './generated-value';

/** The Python text around an emitted test: fixtures, helpers, names, test functions. */

export const DOCTEST_HELPER = [
  'def _doctest_failures(obj, module):',
  '    """Runs the doctest examples in `obj`\'s docstring; returns how many failed."""',
  '    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)',
  '    for test in doctest.DocTestFinder(recurse=False).find(obj, getattr(obj, "__name__", None), globs=dict(vars(module))):',
  '        runner.run(test)',
  '    return runner.failures',
];

/**
 * Every emitted file starts its tests in an empty folder of their own, which is also their HOME: whatever path
 * a test passes (`'data.txt'`, `'~/.cfg'`) stays under `tmp_path`, from whichever folder pytest runs.
 */
export const WORK_DIR_FIXTURE = [
  '@pytest.fixture(autouse=True)',
  'def _work_in_tmp_path(tmp_path, monkeypatch):',
  '    """Runs each test in its own empty folder, which is also its HOME."""',
  '    monkeypatch.chdir(tmp_path)',
  "    monkeypatch.setenv('HOME', str(tmp_path))",
];

export interface Body {
  lines: string[];
  usesMath: boolean;
  usesCapsys: boolean;
  /** The test sets module attributes first (`monkeypatch.setattr`, an optional import made to fail). */
  usesMonkeypatch?: boolean;
  /** The test writes input files under `tmp_path` (where every test works, see `WORK_DIR_FIXTURE`). */
  usesFiles?: boolean;
  /** Lines before the `def` (a suspected defect's `xfail` mark). */
  decorators?: string[];
  names: Set<string>;
  imports: Set<string>;
}

/** The test function: its marks, `def` with the fixtures it uses, and its body. */
export function testSource(name: string, body: Body): string {
  const fixtures = [
    ...(body.usesFiles ? ['tmp_path'] : []),
    ...(body.usesMonkeypatch ? ['monkeypatch'] : []),
    ...(body.usesCapsys ? ['capsys'] : []),
  ];
  return [
    ...(body.decorators ?? []),
    `def ${name}(${fixtures.join(', ')}):`,
    ...body.lines.map((l) => `    ${l}`),
  ].join('\n');
}

/** Standard modules a plan's literals may use (the sandbox provides them), with their import. */
export const LITERAL_MODULES: Readonly<Record<string, string>> = {
  io: 'import io',
  math: 'import math',
  struct: 'import struct',
};

/** `setattr(obj, 'name', value)` as the parts of `obj.name = value`, or undefined. */
export function assignmentParts(e: PlanExpr): { obj: PlanExpr; name: string; value: PlanExpr } | undefined {
  if (
    e.kind !== 'call' ||
    e.callee.kind !== 'lit' ||
    e.callee.source !== 'setattr' ||
    e.args.length !== 3 ||
    e.keywords.length
  )
    return undefined;
  const name = e.args[1].kind === 'lit' ? /^'([A-Za-z_]\w*)'$/.exec(e.args[1].source)?.[1] : undefined;
  return name ? { obj: e.args[0], name, value: e.args[2] } : undefined;
}

export const PY_STRING = String.raw`(?:'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*")`;
export const FILE_CALL = new RegExp(String.raw`${FILE_HELPER}\((${PY_STRING}), (${PY_STRING})\)`, 'g');

/**
 * `_file('input.txt', 'text')` in a plan is a file the sandbox wrote in its working directory. The test does
 * the same under pytest's `tmp_path` (its working directory, see `WORK_DIR_FIXTURE`) and passes the plain name:
 * `(tmp_path / 'input.txt').write_text('text')` first, then `sourcehook('input.txt')`.
 */
export function hoistFiles(body: Body): void {
  const files = new Map<string, string>();
  const lines = body.lines.map((line) =>
    line.replace(FILE_CALL, (_, name: string, text: string) => {
      files.set(name, text);
      return name;
    }),
  );
  if (files.size === 0) return;
  body.usesFiles = true;
  body.lines = [...[...files].map(([name, text]) => `(tmp_path / ${name}).write_text(${text})`), ...lines];
}

export function collectNames(e: PlanExpr, names: Set<string>): void {
  switch (e.kind) {
    case 'ref':
      names.add(e.path.split('.')[0]);
      return;
    case 'lit':
      for (const n of namesIn(e.source)) names.add(n);
      return;
    case 'attr':
      collectNames(e.target, names);
      return;
    case 'list':
      collectNames(e.iterable, names);
      return;
    case 'call':
      collectNames(e.callee, names);
      e.args.forEach((a) => collectNames(a, names));
      e.keywords.forEach(([, a]) => collectNames(a, names));
      return;
    case 'var':
      return;
  }
}
