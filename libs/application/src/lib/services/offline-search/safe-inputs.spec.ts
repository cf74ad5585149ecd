import type {
  CallableInfo,
  HarvestedLiteral,
  ModuleInterface,
  ParameterInfo,
  PlanExpr,
  TypeHint,
} from '@test-agent/domain';
import { InputGenerator } from './input-generator';
import { evalPyStr, type Candidate, type GenValue } from './generated-value';
import { strArgValue } from './scalar-values';
import { PytestEmitter } from './pytest-emitter';
import { RandomSource } from './random-source';
import { leavesWorkingDirectory, reRootPath, safeLiteralSource, safePlan } from './safe-inputs';
import { toPlan } from './call-plans';
import { plainer } from './test-simplifier';
import { TestFileAssembler } from '../test-file-assembler/test-file-assembler.service';

/**
 * Independent of the code under test: where a path lands when resolved against the working directory. Safe
 * when it is relative, never climbs above the working directory and names something below it.
 */
function staysInside(s: string): boolean {
  if (s === '') return true;
  if (s.startsWith('/') || s.startsWith('~')) return false;
  let depth = 0;
  for (const seg of s.split('/')) {
    if (seg === '' || seg === '.') continue;
    depth += seg === '..' ? -1 : 1;
    if (depth < 0) return false;
  }
  return depth > 0;
}

/** The text of every string literal in a piece of Python source the search wrote. */
function stringsOf(src: string): string[] {
  return [...src.matchAll(/'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"/g)].map((m) => evalPyStr(m[0]) ?? m[0]);
}

function literalSources(e: PlanExpr, out: string[] = []): string[] {
  if (e.kind === 'lit') out.push(e.source);
  else if (e.kind === 'attr') literalSources(e.target, out);
  else if (e.kind === 'list') literalSources(e.iterable, out);
  else if (e.kind === 'call')
    [e.callee, ...e.args, ...e.keywords.map(([, a]) => a)].forEach((a) => literalSources(a, out));
  return out;
}

describe('reRootPath', () => {
  it('keeps the file name and the shape under the working directory', () => {
    expect(reRootPath('/tmp/sec-x/data.txt')).toBe('tmp/sec-x/data.txt');
    expect(reRootPath('/etc/')).toBe('etc/');
    expect(reRootPath('//srv//x')).toBe('srv//x');
    expect(reRootPath('~/.cfg')).toBe('home/.cfg');
    expect(reRootPath('~bob/notes.txt')).toBe('home/bob/notes.txt');
    expect(reRootPath('../../etc/passwd')).toBe('etc/passwd');
    expect(reRootPath('a/../../b.txt')).toBe('a/b.txt');
    expect(reRootPath('..//x')).toBe('x');
  });

  it('gives a plain relative name to the root, the home, the working directory and its parent', () => {
    expect(reRootPath('/')).toBe('top');
    expect(reRootPath('/./')).toBe('top');
    expect(reRootPath('~')).toBe('home');
    expect(reRootPath('.')).toBe('here');
    expect(reRootPath('./')).toBe('here');
    expect(reRootPath('..')).toBe('up');
    expect(reRootPath('../..')).toBe('up');
  });

  it('leaves relative paths and plain text alone', () => {
    for (const s of [
      '',
      'data.txt',
      'dir/file.csv',
      './x',
      '.hidden',
      '...',
      '1..5',
      'a .. b',
      'Hello World',
      '3 4 /',
      'a~b',
      'x/./y',
    ]) {
      expect(leavesWorkingDirectory(s)).toBe(false);
      expect(reRootPath(s)).toBe(s);
    }
  });

  it('always stays inside and is idempotent, whatever the string', () => {
    const rng = new RandomSource(11);
    const alphabet = ['/', '.', '~', 'a', 'b', ' ', '..', '/..', '~x'];
    for (let n = 0; n < 3000; n++) {
      let s = '';
      for (let i = rng.int(1, 7); i > 0; i--) s += rng.pick(alphabet);
      const safe = reRootPath(s);
      expect({ s, inside: staysInside(safe) }).toEqual({ s, inside: true });
      expect(reRootPath(safe)).toBe(safe);
    }
  });
});

describe('safeLiteralSource', () => {
  it('re-roots the strings inside lists, tuples, dicts, calls and bytes, and nothing else', () => {
    expect(safeLiteralSource("['/', 'a', '~/.cfg']")).toBe("['top', 'a', 'home/.cfg']");
    expect(safeLiteralSource("('..',)")).toBe("('up',)");
    expect(safeLiteralSource("{'/etc/x': 1, 'k': \"../y\"}")).toBe("{'etc/x': 1, 'k': \"y\"}");
    expect(safeLiteralSource("Path('.')")).toBe("Path('here')");
    expect(safeLiteralSource("b'/dev/sda'")).toBe("b'dev/sda'");
    expect(safeLiteralSource("'it\\'s /x'")).toBe("'it\\'s /x'");
    expect(safeLiteralSource("'/a\\nb'")).toBe("'a\\nb'");
    expect(safeLiteralSource('lambda x: x / 2')).toBe('lambda x: x / 2');
    expect(safeLiteralSource("f'/{x}'")).toBe("f'/{x}'");
    expect(safeLiteralSource("_file('input.txt', 'a b')")).toBe("_file('input.txt', 'a b')");
  });
});

// A fake module `cleaner`: functions whose arguments end up as paths, and literals that point everywhere.
const STR: TypeHint = { kind: 'builtin', name: 'str' };
const param = (name: string, type: TypeHint): ParameterInfo => ({
  name,
  kind: 'either',
  type,
  hasDefault: false,
  default: null,
  defaultIsNone: false,
});
const fn = (name: string, params: ParameterInfo[], span: [number, number]): CallableInfo => ({
  kind: 'function',
  name,
  qualname: name,
  params,
  span,
});
const clean = fn('clean', [param('path', STR)], [1, 2]);
const merge = fn('merge', [param('paths', { kind: 'list', item: STR })], [3, 4]);
const configure = fn('configure', [param('settings', { kind: 'dict', key: STR, value: STR })], [5, 6]);
const anything = fn('anything', [param('x', { kind: 'any' })], [7, 8]);
const dangerous = ['/', '.', '..', '~', '~root', '~/.cfg', '/tmp/sec-x/data.txt', 'a/../../b', '/etc/passwd', './..'];
const literals: HarvestedLiteral[] = dangerous.map((s) => ({ source: `'${s}'`, kind: 'str', value: s }));
const cleaner: ModuleInterface = {
  callables: [clean, merge, configure, anything],
  literals: { clean: literals, merge: literals, configure: literals, anything: literals },
  moduleLiterals: literals,
  constants: [],
  paramHints: {},
  doctests: [],
  shape: { statements: [1, 2, 3, 4, 5, 6, 7, 8], branches: [] },
  baseline: { lines: [], branches: [] },
};

describe('inputs of the offline search', () => {
  it('never pass a path outside the working directory, however a value was made or mutated', () => {
    const gen = new InputGenerator(cleaner, new RandomSource(3));
    // Results of earlier calls feed later inputs too.
    gen.observe('str', "'/var/lib/data'");
    gen.observe('list', "['..', '/']");
    const seen = new Set<string>();
    for (const target of cleaner.callables) {
      for (let n = 0; n < 300; n++) {
        let args = gen.arguments(target);
        for (let m = 0; m < 3; m++) {
          const plan = toPlan({ target, prefix: [], args });
          for (const step of plan.steps!)
            for (const src of literalSources(step)) for (const s of stringsOf(src)) seen.add(s);
          args = gen.mutate(target, args);
        }
      }
    }
    const outside = [...seen].filter((s) => !staysInside(s));
    expect(outside).toEqual([]);
    // Re-rooted, the literals keep their names.
    expect([...seen]).toEqual(
      expect.arrayContaining(['tmp/sec-x/data.txt', 'home/.cfg', 'etc/passwd', 'top', 'here', 'up', 'var/lib/data']),
    );
  });

  it('keep the characters of pool text that would leave the working directory: a space goes in front', () => {
    const plain: ModuleInterface = { ...cleaner, literals: {}, moduleLiterals: [] };
    const gen = new InputGenerator(plain, new RandomSource(8));
    const made = Array.from({ length: 3000 }, () => gen.string(clean));
    expect(made.filter((s) => !staysInside(s))).toEqual([]);
    expect(made).toEqual(expect.arrayContaining([' /', ' .']));
    expect(made.some((s) => s.startsWith(' /') && s.length > 2)).toBe(true);
  });

  it('re-roots a literal that slipped through in the plan, so the sandbox runs what the test says', () => {
    const sneaky: GenValue = {
      expr: { kind: 'lit', source: "['/tmp/sec-x/data.txt', '~']" },
      kind: 'other',
      hint: { kind: 'list', item: STR },
    };
    const candidate: Candidate = {
      target: merge,
      prefix: [],
      args: [{ param: merge.params[0], value: sneaky, keyword: false }],
    };
    const plan = toPlan(candidate);
    expect(plan.steps![0]).toEqual({
      kind: 'call',
      callee: { kind: 'ref', path: 'merge' },
      args: [{ kind: 'lit', source: "['tmp/sec-x/data.txt', 'home']" }],
      keywords: [],
    });
    const stable = { outcome: true, value: true, stdout: true, attrs: new Set<string>() };
    const emitted = new PytestEmitter().emit('cleaner', cleaner, [
      {
        test: {
          plan,
          candidate,
          result: {
            status: 'ok',
            lines: [3],
            branches: [],
            value: {
              type: 'NoneType',
              module: 'builtins',
              repr: 'None',
              expr: 'None',
              canon: 'None',
              float: false,
              approx: false,
              nan: false,
              len: null,
              attrs: [],
            },
          },
        },
        stability: stable,
      },
    ]);
    // The file that ships: the emitted cases as the test-file assembler writes them.
    const content = new TestFileAssembler().assemble(
      { file: '/src/cleaner.py', importRoot: '/src', moduleName: 'cleaner' },
      emitted.cases,
    ).content;
    expect(content).toContain("merge(['tmp/sec-x/data.txt', 'home'])");
    expect(content).not.toMatch(/'\/tmp|'~'/);
  });

  it('keep shortened strings inside the working directory while simplifying', () => {
    for (const s of ['ab/cd', 'tmp/sec-x/data.txt', 'x/../y', 'home/.cfg']) {
      for (const v of plainer(strArgValue(s, STR)))
        expect({ s, shorter: v.js, inside: staysInside(String(v.js)) }).toEqual({ s, shorter: v.js, inside: true });
    }
    expect(plainer(strArgValue('ab/cd', STR)).map((v) => v.js)).toContain('cd');
  });
});

describe('environment values a plan sets', () => {
  it('are re-rooted like any string (a variable may name the folder the code writes to); removals stay', () => {
    const plan = safePlan({
      steps: [{ kind: 'ref', path: 'f' }],
      env: [
        { name: 'DATA_DIR', value: '/' },
        { name: 'CACHE', value: '~/.cache/app' },
        { name: 'MODE', value: 'test' },
        { name: 'EMPTY', value: '' },
        { name: 'LANG', value: null },
      ],
    });
    expect(plan.env).toEqual([
      { name: 'DATA_DIR', value: 'top' },
      { name: 'CACHE', value: 'home/.cache/app' },
      { name: 'MODE', value: 'test' },
      { name: 'EMPTY', value: '' },
      { name: 'LANG', value: null },
    ]);
  });
});
