import type {
  AttributeDescription,
  CallResult,
  CallableInfo,
  ModuleInterface,
  PlanExpr,
  TestCase,
} from '@test-agent/domain';
import type { GenArg } from './input-generator';
import { FILE_HELPER, renderPlanExpr } from './input-generator';
import { PY_KEYWORDS, pyRegexLiteral, pyStr, snakeCase } from './python-source';
import type { ArchivedTest } from './search-engine.service';
import { TestNamer, subjectName, type NamingFacts } from './test-namer';

/** What a second run (fresh process, other hash seed) agreed on; unstable facts get no assertion. */
export interface Stability {
  /** Same outcome kind (and exception type) in both runs; otherwise the test is dropped. */
  readonly outcome: boolean;
  readonly value: boolean;
  readonly stdout: boolean;
  /** Every run returned a value of the same type (absent: as `value`). */
  readonly type?: boolean;
  /** Attribute names whose value was the same in both runs. */
  readonly attrs: ReadonlySet<string>;
  /** When the output differed between runs: how every run's output started (addresses cut off), if long enough. */
  readonly stdoutPrefix?: string;
}

export interface EmittableTest {
  readonly test: ArchivedTest;
  readonly stability: Stability;
  /**
   * A suspected defect (see `raisedKind`): written as an `xfail(strict=True)` test that calls the code plainly,
   * and only into the file when the caller asks (`pinDefects`); always described in `EmittedFile.defects`.
   */
  readonly defect?: boolean;
}

/** A suspected defect of the code under test, as a test that shows it. */
export interface EmittedDefect {
  readonly name: string;
  readonly subject: string;
  /** The `xfail(strict=True)` test: the input and the error it raises. */
  readonly source: string;
  /** `ZeroDivisionError: division by zero`. */
  readonly error: string;
  /** The module's line that raised it. */
  readonly line?: number;
}

export interface PytestEmitOptions {
  /** Suspected defects go into the file as `xfail(strict=True)` tests (otherwise only into `defects`). */
  readonly pinDefects?: boolean;
}

export interface EmittedTest {
  /** Test function name. */
  readonly name: string;
  /** Qualname of the callable it exercises (doctests: the documented object). */
  readonly subject: string;
  /** The `def ...` block. */
  readonly source: string;
  /** Index in the input list. */
  readonly index: number;
}

export interface EmittedFile {
  readonly tests: readonly EmittedTest[];
  /** The same tests as test cases (each with its own imports and support blocks), for the test-file assembler. */
  readonly cases: readonly TestCase[];
  /** Suspected defects, whether pinned in the file or not. */
  readonly defects: readonly EmittedDefect[];
}

/** Longest value written out in an assertion; a longer one of a sized type is checked by its size and start. */
const MAX_EXACT = 1200;
/** ... for a str, bytes, list, tuple, dict or set: a reviewer reads 120 characters, not a wall of them. */
const MAX_SIZED_LITERAL = 120;
const SIZED_TYPES = new Set(['str', 'bytes', 'list', 'tuple', 'dict', 'set']);
/** Types of `builtins` a test can name (`dict_keys`, `function`, `list_iterator` are not names there). */
const BUILTIN_TYPE_NAMES = new Set([
  'int',
  'float',
  'complex',
  'bool',
  'str',
  'bytes',
  'bytearray',
  'memoryview',
  'list',
  'tuple',
  'dict',
  'set',
  'frozenset',
  'range',
  'slice',
  'type',
  'object',
  'property',
  'enumerate',
  'zip',
  'map',
  'filter',
  'reversed',
]);

const DOCTEST_HELPER = [
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
const WORK_DIR_FIXTURE = [
  '@pytest.fixture(autouse=True)',
  'def _work_in_tmp_path(tmp_path, monkeypatch):',
  '    """Runs each test in its own empty folder, which is also its HOME."""',
  '    monkeypatch.chdir(tmp_path)',
  "    monkeypatch.setenv('HOME', str(tmp_path))",
];

interface Body {
  lines: string[];
  usesMath: boolean;
  usesCapsys: boolean;
  /** The test writes input files under `tmp_path` (where every test works, see `WORK_DIR_FIXTURE`). */
  usesFiles?: boolean;
  /** Lines before the `def` (a suspected defect's `xfail` mark). */
  decorators?: string[];
  names: Set<string>;
  imports: Set<string>;
}

/**
 * Writes archived plans as a pytest file: one test per plan, grouped per callable in source order, named after
 * what they exercise, with assertions from the observed outcome (exact values, `pytest.approx` for floats,
 * attribute checks for objects, `pytest.raises` for exceptions, captured output), none on unstable facts.
 */
export class PytestEmitter {
  private external: Readonly<Record<string, string>> = {};
  private moduleName = '';

  emit(
    moduleName: string,
    module: ModuleInterface,
    tests: readonly EmittableTest[],
    exclude: ReadonlySet<string> = new Set(),
    options: PytestEmitOptions = {},
  ): EmittedFile {
    const namer = new TestNamer();
    this.external = module.externalNames ?? {};
    this.moduleName = moduleName;
    const topNames = new Set(module.callables.filter((c) => !c.qualname.includes('.')).map((c) => c.qualname));
    for (const c of module.constants) topNames.add(c.name);
    const order = new Map(module.callables.map((c, i) => [c.qualname, (c.span?.[0] ?? 1e9) * 1000 + i]));
    const byName = new Map(module.callables.map((c) => [c.qualname, c]));

    // Names are given over every stable test, excluded or not, so a test keeps its name from one render to the next.
    const built: {
      subject: string;
      name: string;
      body: Body;
      index: number;
      doctest: boolean;
      defect: boolean;
      facts?: NamingFacts;
    }[] = [];
    tests.forEach((t, index) => {
      if (!t.stability.outcome) return;
      const b =
        t.test.doctest !== undefined
          ? this.doctestBody(t.test.doctest, moduleName, namer, byName)
          : this.callBody(t, topNames);
      if (b) built.push({ ...b, index, doctest: t.test.doctest !== undefined, defect: Boolean(t.defect) });
    });
    const calls = built.filter((b) => b.facts);
    namer
      .nameAll(calls.map((b) => b.facts!))
      .forEach((name, i) => (calls[i].name = calls[i].defect ? `${name}_suspected_defect` : name));
    const defects: EmittedDefect[] = built
      .filter((b) => b.defect)
      .map((b) => {
        const ex = tests[b.index].test.result.exception!;
        return {
          name: b.name,
          subject: b.subject,
          source: testSource(b.name, b.body),
          error: `${ex.type}: ${ex.message}`,
          ...(typeof ex.line === 'number' ? { line: ex.line } : {}),
        };
      });
    const blocks = built
      .filter((b) => !exclude.has(b.name) && (!b.defect || options.pinDefects))
      .map((b) => ({ ...b, order: order.get(b.subject) ?? 1e12 }));
    blocks.sort((a, b) => a.order - b.order || a.index - b.index);

    let lastSubject = '';
    const emitted: EmittedTest[] = [];
    const cases: TestCase[] = [];
    for (const b of blocks) {
      const comment = b.subject !== lastSubject ? `# ${b.subject || moduleName}\n` : '';
      lastSubject = b.subject;
      const source = testSource(b.name, b.body);
      emitted.push({ name: b.name, subject: b.subject, source, index: b.index });
      const names = [...b.body.names].filter((n) => topNames.has(n)).sort();
      cases.push({
        name: b.name,
        code: comment + source,
        imports: [
          ...(b.doctest ? ['import doctest', `import ${moduleName}`] : []),
          ...(b.body.usesMath ? ['import math'] : []),
          ...b.body.imports,
          'import pytest',
          ...(names.length ? [`from ${moduleName} import ${names.join(', ')}`] : []),
        ],
        support: [WORK_DIR_FIXTURE.join('\n'), ...(b.doctest ? [DOCTEST_HELPER.join('\n')] : [])],
        ...(b.defect ? { expectedFailure: true } : {}),
        ...(b.doctest ? { doctest: true } : {}),
      });
    }
    return { tests: emitted, cases, defects };
  }

  private doctestBody(qualname: string, moduleName: string, namer: TestNamer, byName: Map<string, CallableInfo>) {
    const fn = byName.get(qualname);
    const name = namer.reserve(`test_${fn ? subjectName(fn) : snakeCase(moduleName)}_doctest_examples`);
    const obj = qualname ? `${moduleName}.${qualname}` : moduleName;
    const body: Body = {
      lines: [`assert _doctest_failures(${obj}, ${moduleName}) == 0`],
      usesMath: false,
      usesCapsys: false,
      names: new Set(),
      imports: new Set(),
    };
    return { subject: qualname, name, body };
  }

  private callBody(t: EmittableTest, topNames: ReadonlySet<string>) {
    const { plan, result, candidate } = t.test;
    if (!plan.steps || !candidate) return undefined;
    const last = result.status === 'raised' && result.step !== undefined ? result.step : plan.steps.length - 1;
    const steps = plan.steps.slice(0, last + 1);
    // Which callable the (possibly truncated) plan ends in, and with which arguments.
    let subject: CallableInfo = candidate.target;
    let args: readonly GenArg[] = candidate.args;
    const hasReceiver = plan.receiver === 0 && candidate.target.kind !== 'class';
    if (hasReceiver && last === 0 && candidate.receiver?.kind === 'construct') {
      subject = candidate.receiver.cls;
      args = candidate.receiver.args;
    } else if (hasReceiver && last >= 1 && last <= candidate.prefix.length) {
      subject = candidate.prefix[last - 1].method;
      args = candidate.prefix[last - 1].args;
    }
    const body: Body = { lines: [], usesMath: false, usesCapsys: false, names: new Set(), imports: new Set() };
    const receiverName = this.variableName(candidate, topNames);
    const varName = (i: number) => (i === 0 ? receiverName : `value_${i}`);
    const render = (e: PlanExpr) => {
      collectNames(e, body.names);
      return renderPlanExpr(e, varName);
    };
    const finalIsReceiver = plan.receiver === 0 && last === 0;
    for (let i = 0; i < last; i++) {
      const assignment = assignmentParts(steps[i]);
      if (assignment) body.lines.push(`${render(assignment.obj)}.${assignment.name} = ${render(assignment.value)}`);
      else body.lines.push(i === 0 && plan.receiver === 0 ? `${receiverName} = ${render(steps[0])}` : render(steps[i]));
    }
    const call = render(steps[last]);
    const finalExpr = result.listified ? `list(${call})` : call;

    if (result.status === 'raised' && t.defect) {
      const ex = result.exception!;
      const type = this.exceptionName(ex, topNames, body);
      const where = typeof ex.line === 'number' ? ` on line ${ex.line}` : '';
      body.decorators = [
        `@pytest.mark.xfail(strict=True, raises=${type}, reason=${pyStr(`suspected defect: ${ex.type}${where} on well-typed input`)})`,
      ];
      body.lines.push(finalExpr);
    } else if (result.status === 'raised') {
      const ex = result.exception!;
      const type = this.exceptionName(ex, topNames, body);
      const match =
        t.stability.value && !result.machineDependent && matchable(ex.message) ? pyRegexLiteral(ex.message) : null;
      body.lines.push(`with pytest.raises(${type}${match ? `, match=${match}` : ''}):`, `    ${finalExpr}`);
    } else {
      const v = result.value!;
      const target = finalIsReceiver ? receiverName : 'result';
      const assertions: string[] = [];
      // A result that showed a value of the machine (HOME, the working folder, a variable) asserts nothing of it.
      const machine = result.machineDependent === true;
      if (t.stability.value && !machine) {
        const stateChanged = (result.receiverAttrs ?? []).length > 0 && !finalIsReceiver;
        if (v.expr === 'None' && (stateChanged || result.stdout)) {
          // A mutator or a printer: what it changed or printed is the assertion, not its None.
        } else if (v.expr !== null) {
          for (const n of namesIn(v.expr)) if (topNames.has(n)) body.names.add(n);
          assertions.push(...this.valueAssertions(target, v.expr, v, body));
        } else if (
          v.len !== null &&
          (v.type === 'str' || v.type === 'bytes' || v.type === 'list' || v.type === 'tuple')
        ) {
          // Too long to write out (a whole HTML page): its size and how it starts.
          assertions.push(...this.sizeAndStart(target, v));
        } else {
          const attrs = v.attrs.filter((a) => t.stability.attrs.has(a.name)).slice(0, 6);
          for (const a of attrs) assertions.push(this.attributeAssertion(`${target}.${a.name}`, a, body, topNames));
          const typeName = v.type.split('.').pop()!;
          if (attrs.length === 0 && v.module !== 'builtins' && topNames.has(typeName) && !v.type.includes('<')) {
            body.names.add(typeName);
            assertions.push(`assert isinstance(${target}, ${typeName})`);
          }
        }
      }
      const changed = machine
        ? []
        : (result.receiverAttrs ?? []).filter((a) => t.stability.attrs.has(a.name) && !finalIsReceiver).slice(0, 4);
      for (const a of changed) assertions.push(this.attributeAssertion(`${receiverName}.${a.name}`, a, body, topNames));
      const printed = t.stability.stdout && result.stdout && !machine ? result.stdout : '';
      const prefix = !printed && !machine && t.stability.stdoutPrefix ? t.stability.stdoutPrefix.slice(0, 300) : '';
      if (printed && printed.length < 2000) {
        body.usesCapsys = true;
        assertions.push(`assert capsys.readouterr().out == ${pyStr(printed)}`);
      } else if (printed) {
        // The worker keeps the first 2,000 characters: check how the output starts (its first lines).
        const head = printed.slice(0, Math.max(1, printed.lastIndexOf('\n', 300) + 1));
        body.usesCapsys = true;
        assertions.push(`assert capsys.readouterr().out.startswith(${pyStr(head)})`);
      } else if (prefix) {
        // Output that names an object's address: what comes before it.
        body.usesCapsys = true;
        assertions.push(`assert capsys.readouterr().out.startswith(${pyStr(prefix)})`);
      }
      // Every test checks something: when no value, state or output can be asserted, the type of what it returned.
      if (assertions.length === 0) {
        const check = this.fallbackAssertion(target, v, t.stability, body, topNames);
        if (!check) return undefined;
        assertions.push(check);
      }
      const usesResult = assertions.some((a) => a.includes(target));
      if (finalIsReceiver) body.lines.push(`${receiverName} = ${finalExpr}`);
      else if (usesResult) body.lines.push(`result = ${finalExpr}`);
      else body.lines.push(finalExpr);
      body.lines.push(...assertions);
    }
    hoistFiles(body);
    for (const line of body.lines) {
      for (const n of namesIn(line)) {
        const statement = this.external[n] ?? LITERAL_MODULES[n];
        if (statement && !topNames.has(n)) body.imports.add(statement);
      }
    }
    // The calls before and the receiver's options describe the test too, unless it ends building the receiver.
    const context = subject === candidate.target || (hasReceiver && last > 0) ? candidate : undefined;
    // The name says only what the test asserts: a value or message that varies between runs is not in it.
    const messageChecked =
      result.status !== 'raised' || Boolean(result.exception && matchable(result.exception.message));
    const asserted = t.stability.value && !result.machineDependent && !t.defect && messageChecked;
    const named: CallResult = asserted
      ? result
      : {
          ...result,
          ...(result.value ? { value: { ...result.value, expr: null } } : {}),
          ...(result.exception ? { exception: { ...result.exception, message: '' } } : {}),
        };
    const facts: NamingFacts = { fn: subject, result: named, args, candidate: context, lastStep: last };
    return { subject: subject.qualname, name: '', body, facts };
  }

  /**
   * What a test asserts when its value, state and output all vary between runs or show the machine: that it
   * returned None, or the type of what it returned (when every run agreed on it and the test can name it).
   * Undefined when not even that holds: the test is then not written.
   */
  private fallbackAssertion(
    target: string,
    v: NonNullable<CallResult['value']>,
    stability: Stability,
    body: Body,
    topNames: ReadonlySet<string>,
  ): string | undefined {
    if (v.expr === 'None' && stability.value) return `assert ${target} is None`;
    if (!(stability.type ?? stability.value) || v.type.includes('<') || v.type === 'NoneType') return undefined;
    if (v.module === 'builtins')
      return BUILTIN_TYPE_NAMES.has(v.type) ? `assert isinstance(${target}, ${v.type})` : undefined;
    const qualname = v.type.startsWith(`${v.module}.`) ? v.type.slice(v.module.length + 1) : v.type;
    if (qualname.split('.').some((p) => p.startsWith('_'))) return undefined;
    if (v.module === this.moduleName && topNames.has(qualname.split('.')[0])) {
      body.names.add(qualname.split('.')[0]);
      return `assert isinstance(${target}, ${qualname})`;
    }
    if (/^[a-z][\w.]*$/.test(v.module) && !v.module.split('.').some((p) => p.startsWith('_'))) {
      body.imports.add(`import ${v.module}`);
      return `assert isinstance(${target}, ${v.module}.${qualname})`;
    }
    return undefined;
  }

  private valueAssertions(target: string, expr: string, v: NonNullable<CallResult['value']>, body: Body): string[] {
    if (v.nan) {
      body.usesMath = true;
      return [`assert math.isnan(${target})`];
    }
    if (expr === 'None' || expr === 'True' || expr === 'False') return [`assert ${target} is ${expr}`];
    if (v.float && v.approx) return [`assert ${target} == pytest.approx(${expr})`];
    const sized = v.len !== null && SIZED_TYPES.has(v.type);
    if (expr.length <= (sized ? MAX_SIZED_LITERAL : MAX_EXACT)) return [`assert ${target} == ${expr}`];
    // Too long to read: its size and how it starts; an unsized value gets the type check (see `fallbackAssertion`).
    return sized ? this.sizeAndStart(target, v) : [];
  }

  /** For a long text or bytes value: its length and how it starts; for a long list: its length and first item. */
  private sizeAndStart(target: string, v: NonNullable<CallResult['value']>): string[] {
    // Very long values: check the size and the first element instead of a wall of text.
    const out = [`assert len(${target}) == ${v.len ?? 0}`];
    const head = evalHead(v.repr);
    if (v.type === 'str' && head) out.push(`assert ${target}.startswith(${pyStr(head)})`);
    else if (v.type === 'bytes' && head) out.push(`assert ${target}.startswith(b${pyStr(head)})`);
    else if (v.parts?.length && (v.type === 'list' || v.type === 'tuple'))
      out.push(`assert ${target}[0] == ${v.parts[0]}`);
    return out;
  }

  private attributeAssertion(path: string, a: AttributeDescription, body: Body, topNames: ReadonlySet<string>): string {
    for (const n of namesIn(a.expr)) if (topNames.has(n)) body.names.add(n);
    if (a.float && a.approx) return `assert ${path} == pytest.approx(${a.expr})`;
    if (a.expr === 'None' || a.expr === 'True' || a.expr === 'False') return `assert ${path} is ${a.expr}`;
    return `assert ${path} == ${a.expr}`;
  }

  private exceptionName(ex: NonNullable<CallResult['exception']>, topNames: ReadonlySet<string>, body: Body): string {
    if (ex.path && topNames.has(ex.path.split('.')[0])) {
      body.names.add(ex.path.split('.')[0]);
      return ex.path;
    }
    if (ex.module === 'builtins') return ex.type;
    if (
      /^[a-z][\w.]*$/.test(ex.module) &&
      !ex.module.split('.').some((p) => p.startsWith('_')) &&
      !ex.type.includes('<')
    ) {
      body.imports.add(`import ${ex.module}`);
      return `${ex.module}.${ex.type}`;
    }
    return 'Exception';
  }

  private variableName(c: NonNullable<ArchivedTest['candidate']>, topNames: ReadonlySet<string>): string {
    const cls =
      c.target.kind === 'class'
        ? c.target.qualname
        : c.receiver?.kind === 'construct'
          ? c.receiver.cls.qualname
          : (c.target.owner ?? 'obj');
    let name = snakeCase(cls.split('.').pop() ?? 'obj') || 'obj';
    if (topNames.has(name) || PY_KEYWORDS.has(name) || name === 'result' || name === 'pytest' || name === 'math')
      name = `${name}_obj`;
    return name;
  }
}

/** An exception message short and plain enough to check with `match=` (no object address). */
function matchable(message: string): boolean {
  return message.length > 0 && message.length <= 80 && !/0x[0-9a-f]{6,}/.test(message);
}

/** The test function: its marks, `def` with the fixtures it uses, and its body. */
function testSource(name: string, body: Body): string {
  const fixtures = [...(body.usesFiles ? ['tmp_path'] : []), ...(body.usesCapsys ? ['capsys'] : [])];
  return [
    ...(body.decorators ?? []),
    `def ${name}(${fixtures.join(', ')}):`,
    ...body.lines.map((l) => `    ${l}`),
  ].join('\n');
}

/** Standard modules a plan's literals may use (the sandbox provides them), with their import. */
const LITERAL_MODULES: Readonly<Record<string, string>> = { io: 'import io' };

/** `setattr(obj, 'name', value)` as the parts of `obj.name = value`, or undefined. */
function assignmentParts(e: PlanExpr): { obj: PlanExpr; name: string; value: PlanExpr } | undefined {
  if (e.k !== 'call' || e.fn.k !== 'lit' || e.fn.src !== 'setattr' || e.args.length !== 3 || e.kw.length)
    return undefined;
  const name = e.args[1].k === 'lit' ? /^'([A-Za-z_]\w*)'$/.exec(e.args[1].src)?.[1] : undefined;
  return name ? { obj: e.args[0], name, value: e.args[2] } : undefined;
}

const PY_STRING = String.raw`(?:'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*")`;
const FILE_CALL = new RegExp(String.raw`${FILE_HELPER}\((${PY_STRING}), (${PY_STRING})\)`, 'g');

/**
 * `_file('input.txt', 'text')` in a plan is a file the sandbox wrote in its working directory. The test does
 * the same under pytest's `tmp_path` (its working directory, see `WORK_DIR_FIXTURE`) and passes the plain name:
 * `(tmp_path / 'input.txt').write_text('text')` first, then `sourcehook('input.txt')`.
 */
function hoistFiles(body: Body): void {
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

function collectNames(e: PlanExpr, names: Set<string>): void {
  switch (e.k) {
    case 'ref':
      names.add(e.path.split('.')[0]);
      return;
    case 'lit':
      for (const n of namesIn(e.src)) names.add(n);
      return;
    case 'attr':
      collectNames(e.obj, names);
      return;
    case 'list':
      collectNames(e.of, names);
      return;
    case 'call':
      collectNames(e.fn, names);
      e.args.forEach((a) => collectNames(a, names));
      e.kw.forEach(([, a]) => collectNames(a, names));
      return;
    case 'var':
      return;
  }
}

/** Identifiers used in a Python expression, outside string literals and not after a dot. */
export function namesIn(src: string): string[] {
  const code = src.replace(/[bBrRuUfF]*('(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*")/g, '""');
  const out: string[] = [];
  for (const m of code.matchAll(/(?<![.\w])([A-Za-z_]\w*)/g)) out.push(m[1]);
  return out;
}

/** The first 60 characters of the str or bytes a Python `repr` describes (best effort; falls back to ''). */
function evalHead(repr: string): string {
  const m = /^b?(['"])(.*)$/s.exec(repr);
  if (!m) return '';
  const body = m[2].slice(0, 60);
  // Cut before any escape so the prefix is exact.
  const cut = body.search(/\\/);
  return cut >= 0 ? body.slice(0, cut) : body.replace(/['"]$/, '');
}
