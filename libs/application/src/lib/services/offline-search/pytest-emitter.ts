import type { CallableInfo, ModuleInterface, TestCase } from '@test-agent/domain';
import { callBody, type BodyContext } from './emitted-test-body';
import { DOCTEST_HELPER, WORK_DIR_FIXTURE, testSource, type Body } from './emitted-source';
import { snakeCase } from './python-source';
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
  /** The call changed its literal arguments alike in every run (`CallResult.changedArgs`; absent: not asserted). */
  readonly args?: boolean;
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

/** A test as built from its plan or doctest, before it is placed in the file. */
interface BuiltTest {
  readonly subject: string;
  name: string;
  readonly body: Body;
  /** Index in the input list. */
  readonly index: number;
  readonly doctest: boolean;
  readonly defect: boolean;
  readonly facts?: NamingFacts;
}

/**
 * Writes archived plans as a pytest file: one test per plan, grouped per callable in source order, named after
 * what they exercise, with assertions from the observed outcome (exact values, `pytest.approx` for floats,
 * attribute checks for objects, `pytest.raises` for exceptions, captured output), none on unstable facts.
 */
export class PytestEmitter {
  emit(
    moduleName: string,
    module: ModuleInterface,
    tests: readonly EmittableTest[],
    exclude: ReadonlySet<string> = new Set(),
    options: PytestEmitOptions = {},
  ): EmittedFile {
    const topNames = new Set(module.callables.filter((c) => !c.qualname.includes('.')).map((c) => c.qualname));
    for (const c of module.constants) topNames.add(c.name);
    // A compiled pattern a plan matches with (`RE_DATE.match('1988-10-27')`) is a module name even when its value
    // is too long to be listed among the constants.
    for (const p of Object.values(module.patterns ?? {}).flat())
      if (p.name && !p.name.includes('.')) topNames.add(p.name);
    const order = new Map(module.callables.map((c, i) => [c.qualname, (c.span?.[0] ?? 1e9) * 1000 + i]));
    const ctx: BodyContext = { moduleName, topNames, external: module.externalNames ?? {} };
    const built = this.buildAll(module, tests, ctx);
    const defects: EmittedDefect[] = built.filter((b) => b.defect).map((b) => defectOf(b, tests[b.index].test));
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
      cases.push(caseOf(b, comment + source, moduleName, topNames));
    }
    return { tests: emitted, cases, defects };
  }

  /**
   * Every stable test built and named. Names are given over every stable test, excluded or not, so a test keeps
   * its name from one render to the next.
   */
  private buildAll(module: ModuleInterface, tests: readonly EmittableTest[], ctx: BodyContext): BuiltTest[] {
    const namer = new TestNamer();
    const byName = new Map(module.callables.map((c) => [c.qualname, c]));
    const built: BuiltTest[] = [];
    tests.forEach((t, index) => {
      if (!t.stability.outcome) return;
      const b =
        t.test.doctest !== undefined
          ? this.doctestBody(t.test.doctest, ctx.moduleName, namer, byName)
          : callBody(t, ctx);
      if (b) built.push({ ...b, index, doctest: t.test.doctest !== undefined, defect: Boolean(t.defect) });
    });
    const calls = built.filter((b) => b.facts);
    namer
      .nameAll(calls.map((b) => b.facts!))
      .forEach((name, i) => (calls[i].name = calls[i].defect ? `${name}_suspected_defect` : name));
    return built;
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
}

/** A suspected defect as reported: its test, and the error it raises. */
function defectOf(b: BuiltTest, test: ArchivedTest): EmittedDefect {
  const ex = test.result.exception!;
  return {
    name: b.name,
    subject: b.subject,
    source: testSource(b.name, b.body),
    error: `${ex.type}: ${ex.message}`,
    ...(typeof ex.line === 'number' ? { line: ex.line } : {}),
  };
}

/** One test as a test case with its own imports and support blocks, for the test-file assembler. */
function caseOf(b: BuiltTest, code: string, moduleName: string, topNames: ReadonlySet<string>): TestCase {
  const names = [...b.body.names].filter((n) => topNames.has(n)).sort();
  return {
    name: b.name,
    code,
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
  };
}
