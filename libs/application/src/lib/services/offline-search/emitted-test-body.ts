import type { CallResult, CallableInfo, ChangedArgument, PlanExpr } from '@test-agent/domain';
import {
  attributeAssertion,
  attributePath,
  exceptionName,
  fallbackAssertion,
  matchable,
  MAX_SIZED_LITERAL,
  sizeAndStart,
  summaryNames,
  valueAssertions,
} from './emitted-assertions';
import { namesIn } from '../../python-text';
import { LITERAL_MODULES, assignmentParts, collectNames, hoistFiles, type Body } from './emitted-source';
import { renderPlanExpr, type Candidate, type GenArg } from './generated-value';
import type { EmittableTest } from './pytest-emitter';
import { PY_KEYWORDS, pyRegexLiteral, pyStr, snakeCase } from './python-source';
import type { NamingFacts } from './test-namer';

/** Types whose value, when too long to rebuild, is checked by `sizeAndStart`. */
const LONG_CHECKED = new Set(['str', 'bytes', 'list', 'tuple', 'dict']);

/** What the body of a test is written with: the module's top-level names and the imports of names from outside. */
export interface BodyContext {
  readonly moduleName: string;
  readonly topNames: ReadonlySet<string>;
  /** Names the module imported from elsewhere → the import statement (`Decimal` → `from decimal import Decimal`). */
  readonly external: Readonly<Record<string, string>>;
}

/** A test of a call plan, before it is named: its subject, its body, and the facts its name is made of. */
export interface CallBody {
  readonly subject: string;
  name: string;
  readonly body: Body;
  readonly facts: NamingFacts;
}

/** How the call under test is written: the statement, and the variable its receiver is held in. */
interface FinalCall {
  readonly body: Body;
  readonly finalExpr: string;
  readonly receiverName: string;
  readonly finalIsReceiver: boolean;
  /** Arguments held in a variable because the call changed them (asserted after the call). */
  readonly held: readonly HeldArgument[];
}

/** A literal argument of the call under test that the call changed: held in `name`, asserted as `changed`. */
interface HeldArgument {
  readonly name: string;
  readonly source: PlanExpr;
  readonly changed: ChangedArgument;
}

/**
 * The test of an archived call plan: the steps before the call, then the call with assertions from the observed
 * outcome (none on unstable facts). Undefined when the plan has no steps or nothing about its outcome can be asserted.
 */
export function callBody(t: EmittableTest, ctx: BodyContext): CallBody | undefined {
  const { plan, result, candidate } = t.test;
  if (!plan.steps || !candidate) return undefined;
  const last = result.status === 'raised' && result.step !== undefined ? result.step : plan.steps.length - 1;
  const steps = plan.steps.slice(0, last + 1);
  const { subject, args, hasReceiver } = subjectOf(plan.receiver, candidate, last);
  const body: Body = { lines: [], usesMath: false, usesCapsys: false, names: new Set(), imports: new Set() };
  const receiverName = variableName(candidate, new Set([...ctx.topNames, ...Object.keys(ctx.external)]));
  const varName = (i: number) => (i === 0 ? receiverName : `value_${i}`);
  // Operator methods read as operators, unless the method answered NotImplemented (the operator would go on).
  const operators = result.value?.repr !== 'NotImplemented';
  const render = (e: PlanExpr) => {
    collectNames(e, body.names);
    return renderPlanExpr(e, varName, operators);
  };
  const finalIsReceiver = plan.receiver === 0 && last === 0;
  // Optional imports made to fail for this test only: the module's fallback code runs.
  for (const p of plan.patches ?? []) {
    body.lines.push(`monkeypatch.setattr(${pyStr(`${ctx.moduleName}.${p.name}`)}, ${p.source})`);
    body.usesMonkeypatch = true;
  }
  // The command line the call reads.
  if (plan.argv) {
    body.lines.push(`monkeypatch.setattr(sys, 'argv', ${render(plan.argv)})`);
    body.imports.add('import sys');
    body.usesMonkeypatch = true;
  }
  // The environment variables the call reads, as the test sets them.
  for (const e of plan.env ?? []) {
    body.lines.push(
      e.value === null
        ? `monkeypatch.delenv(${pyStr(e.name)}, raising=False)`
        : `monkeypatch.setenv(${pyStr(e.name)}, ${pyStr(e.value)})`,
    );
    body.usesMonkeypatch = true;
  }
  for (let i = 0; i < last; i++) {
    const assignment = assignmentParts(steps[i]);
    if (assignment) body.lines.push(`${render(assignment.obj)}.${assignment.name} = ${render(assignment.value)}`);
    else body.lines.push(i === 0 && plan.receiver === 0 ? `${receiverName} = ${render(steps[0])}` : render(steps[i]));
  }
  const taken = [receiverName, ...ctx.topNames, ...Object.keys(ctx.external), ...Object.keys(LITERAL_MODULES)];
  const held = heldArguments(t, steps[last], candidate, [...taken, ...steps.map((_, i) => varName(i))]);
  for (const h of held) body.lines.push(`${h.name} = ${render(h.source)}`);
  const call = render(held.length ? withHeldArguments(steps[last], held) : steps[last]);
  const finalExpr = result.listified ? `list(${call})` : call;
  const final: FinalCall = { body, finalExpr, receiverName, finalIsReceiver, held };
  if (result.status === 'raised') raisedLines(t, final, ctx);
  else if (!returnedLines(t, final, ctx)) return undefined;
  hoistFiles(body);
  for (const line of body.lines) {
    for (const n of namesIn(line)) {
      const statement = ctx.external[n] ?? LITERAL_MODULES[n];
      if (statement && !ctx.topNames.has(n)) body.imports.add(statement);
    }
  }
  return { subject: subject.qualname, name: '', body, facts: namingFacts(t, subject, args, hasReceiver, last) };
}

/** Which callable the (possibly truncated) plan ends in, and with which arguments. */
function subjectOf(
  receiver: number | undefined,
  candidate: Candidate,
  last: number,
): { subject: CallableInfo; args: readonly GenArg[]; hasReceiver: boolean } {
  let subject: CallableInfo = candidate.target;
  let args: readonly GenArg[] = candidate.args;
  const hasReceiver = receiver === 0 && candidate.target.kind !== 'class';
  if (hasReceiver && last === 0 && candidate.receiver?.kind === 'construct') {
    subject = candidate.receiver.cls;
    args = candidate.receiver.args;
  } else if (hasReceiver && last >= 1 && last <= candidate.prefix.length) {
    subject = candidate.prefix[last - 1].method;
    args = candidate.prefix[last - 1].args;
  }
  return { subject, args, hasReceiver };
}

/** A call that raised: `pytest.raises` (with `match=` when the message is stable), or a suspected defect's xfail. */
function raisedLines(t: EmittableTest, { body, finalExpr }: FinalCall, ctx: BodyContext): void {
  const result = t.test.result;
  const ex = result.exception!;
  const type = exceptionName(ex, ctx.topNames, body);
  if (t.defect) {
    const where = typeof ex.line === 'number' ? ` on line ${ex.line}` : '';
    body.decorators = [
      `@pytest.mark.xfail(strict=True, raises=${type}, reason=${pyStr(`suspected defect: ${ex.type}${where} on well-typed input`)})`,
    ];
    body.lines.push(finalExpr);
    return;
  }
  const match =
    t.stability.value && !result.machineDependent && matchable(ex.message) ? pyRegexLiteral(ex.message) : null;
  body.lines.push(`with pytest.raises(${type}${match ? `, match=${match}` : ''}):`, `    ${finalExpr}`);
}

/** A call that returned: the call and its assertions; false when nothing about it can be asserted. */
function returnedLines(t: EmittableTest, final: FinalCall, ctx: BodyContext): boolean {
  const { body, finalExpr, receiverName, finalIsReceiver } = final;
  const v = t.test.result.value!;
  const target = finalIsReceiver ? receiverName : 'result';
  const assertions = [...stateAssertions(t, final, ctx), ...outputAssertions(t, body)];
  // Every test checks something: when no value, state or output can be asserted, the type of what it returned.
  if (assertions.length === 0) {
    const check = fallbackAssertion(target, v, t.stability, body, ctx);
    if (!check) return false;
    assertions.push(check);
  }
  const usesResult = assertions.some((a) => a.includes(target));
  if (finalIsReceiver) body.lines.push(`${receiverName} = ${finalExpr}`);
  else if (usesResult) body.lines.push(`result = ${finalExpr}`);
  else body.lines.push(finalExpr);
  body.lines.push(...assertions);
  return true;
}

/** Assertions on the returned value (or its attributes, size or type) and on the receiver's changed attributes. */
function stateAssertions(t: EmittableTest, final: FinalCall, ctx: BodyContext): string[] {
  const { body, receiverName, finalIsReceiver } = final;
  const { result } = t.test;
  const { topNames } = ctx;
  const v = result.value!;
  const target = finalIsReceiver ? receiverName : 'result';
  const assertions: string[] = [];
  // A result that showed a value of the machine (HOME, the working folder, a variable) asserts nothing of it.
  const machine = result.machineDependent === true;
  if (t.stability.value && !machine) {
    const stateChanged = ((result.receiverAttrs ?? []).length > 0 && !finalIsReceiver) || final.held.length > 0;
    if (v.expr === 'None' && (stateChanged || result.stdout)) {
      // A mutator or a printer: what it changed or printed is the assertion, not its None.
    } else if (v.expr !== null) {
      for (const n of [...namesIn(v.expr), ...summaryNames(v)]) if (topNames.has(n)) body.names.add(n);
      assertions.push(...valueAssertions(target, v.expr, v, body));
    } else if (v.len !== null && LONG_CHECKED.has(v.type)) {
      // Too long to write out (a whole HTML page): its size, how it starts and what the worker summed up of it.
      for (const n of summaryNames(v)) if (topNames.has(n)) body.names.add(n);
      assertions.push(...sizeAndStart(target, v));
    } else {
      const attrs = v.attrs.filter((a) => t.stability.attrs.has(a.name)).slice(0, 6);
      for (const a of attrs) assertions.push(attributeAssertion(attributePath(target, a), a, body, topNames));
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
  for (const a of changed) assertions.push(attributeAssertion(attributePath(receiverName, a), a, body, topNames));
  for (const h of final.held)
    assertions.push(
      attributeAssertion(
        h.changed.via === 'getvalue' ? `${h.name}.getvalue()` : h.name,
        { ...h.changed, name: h.name, via: undefined },
        body,
        topNames,
      ),
    );
  return assertions;
}

/**
 * The literal arguments of the call under test that it changed in place (`chunks` of `_fix_sentence_endings`),
 * each named after its parameter, when every run changed them alike: the test holds them in a variable and
 * asserts their value after the call. None for a call that raised or a result showing the machine.
 */
function heldArguments(
  t: EmittableTest,
  step: PlanExpr,
  candidate: Candidate,
  taken: readonly string[],
): HeldArgument[] {
  const { result } = t.test;
  if (step.kind !== 'call' || result.status !== 'ok' || result.machineDependent || !t.stability.args) return [];
  const positional = candidate.args.filter((a) => !a.keyword);
  const used = new Set(taken);
  return (result.changedArgs ?? []).flatMap((changed) => {
    const source =
      changed.position !== null
        ? step.args[changed.position]
        : step.keywords.find(([name]) => name === changed.keyword)?.[1];
    const param = changed.position !== null ? positional[changed.position]?.param.name : changed.keyword;
    if (!source || source.kind !== 'lit' || !param) return [];
    let name = snakeCase(param) || 'arg';
    while (used.has(name) || PY_KEYWORDS.has(name) || RESERVED.has(name)) name = `${name}_arg`;
    used.add(name);
    return [{ name, source, changed }];
  });
}

const RESERVED = new Set(['result', 'printed', 'pytest', 'math', 'capsys', 'tmp_path', 'monkeypatch', 'sys']);

/** The call with each held argument replaced by its variable. */
function withHeldArguments(step: PlanExpr, held: readonly HeldArgument[]): PlanExpr {
  if (step.kind !== 'call') return step;
  const byPosition = new Map(held.flatMap((h) => (h.changed.position !== null ? [[h.changed.position, h.name]] : [])));
  const byKeyword = new Map(held.flatMap((h) => (h.changed.keyword !== null ? [[h.changed.keyword, h.name]] : [])));
  const variable = (name: string): PlanExpr => ({ kind: 'lit', source: name });
  return {
    ...step,
    args: step.args.map((a, i) => (byPosition.has(i) ? variable(byPosition.get(i)!) : a)),
    keywords: step.keywords.map(([k, a]) => [k, byKeyword.has(k) ? variable(byKeyword.get(k)!) : a] as const),
  };
}

/** The worker keeps this much of what a call printed; output this long may have been cut. */
const STDOUT_KEPT = 2000;

/**
 * The assertions on what the call printed: all of it when its literal is short; else its length, how it starts and
 * how it ends (each literal at most `MAX_SIZED_LITERAL` characters, cut at a line end where there is one); output the
 * worker cut (2,000 characters) by how it starts only; or what comes before an object's address.
 */
function outputAssertions(t: EmittableTest, body: Body): string[] {
  const { result } = t.test;
  const machine = result.machineDependent === true;
  const printed = t.stability.stdout && result.stdout && !machine ? result.stdout : '';
  const prefix = !printed && !machine && t.stability.stdoutPrefix ? t.stability.stdoutPrefix : '';
  if (!printed && !prefix) return [];
  body.usesCapsys = true;
  if (printed && pyStr(printed).length <= MAX_SIZED_LITERAL)
    return [`assert capsys.readouterr().out == ${pyStr(printed)}`];
  if (!printed) return [`assert capsys.readouterr().out.startswith(${pyStr(shortEnd(prefix, 'head'))})`];
  if (printed.length >= STDOUT_KEPT)
    return [`assert capsys.readouterr().out.startswith(${pyStr(shortEnd(printed, 'head'))})`];
  return [
    'printed = capsys.readouterr().out',
    `assert len(printed) == ${[...printed].length}`,
    `assert printed.startswith(${pyStr(shortEnd(printed, 'head'))})`,
    `assert printed.endswith(${pyStr(shortEnd(printed, 'tail'))})`,
  ];
}

/**
 * The longest start (`head`) or end (`tail`) of `text` whose Python literal fits `MAX_SIZED_LITERAL` characters,
 * cut after a line end when one falls in its second half (so a check reads as whole lines).
 */
export function shortEnd(text: string, end: 'head' | 'tail'): string {
  const chars = [...text];
  const piece = (n: number) => (end === 'head' ? chars.slice(0, n) : chars.slice(chars.length - n)).join('');
  let n = Math.min(chars.length, MAX_SIZED_LITERAL);
  while (n > 1 && pyStr(piece(n)).length > MAX_SIZED_LITERAL) n--;
  const fits = piece(n);
  // Whole lines where they keep at least half of the piece: a head up to a line end, a tail from a line start.
  if (end === 'head') {
    const upTo = fits.lastIndexOf('\n') + 1;
    return upTo >= fits.length / 2 ? fits.slice(0, upTo) : fits;
  }
  const from = fits.indexOf('\n') + 1;
  return from > 0 && fits.length - from >= fits.length / 2 && from < fits.length ? fits.slice(from) : fits;
}

/** What the test's name is made of: only what it asserts (a value or message that varies between runs is not in it). */
function namingFacts(
  t: EmittableTest,
  subject: CallableInfo,
  args: readonly GenArg[],
  hasReceiver: boolean,
  last: number,
): NamingFacts {
  const { result, candidate } = t.test;
  // The calls before and the receiver's options describe the test too, unless it ends building the receiver.
  const context = subject === candidate!.target || (hasReceiver && last > 0) ? candidate : undefined;
  const messageChecked = result.status !== 'raised' || Boolean(result.exception && matchable(result.exception.message));
  const asserted = t.stability.value && !result.machineDependent && !t.defect && messageChecked;
  const named: CallResult = asserted
    ? result
    : {
        ...result,
        ...(result.value ? { value: { ...result.value, expr: null } } : {}),
        ...(result.exception ? { exception: { ...result.exception, message: '' } } : {}),
      };
  const { patches, env } = t.test.plan;
  return {
    fn: subject,
    result: named,
    args,
    candidate: context,
    lastStep: last,
    ...(patches ? { patches } : {}),
    ...(env ? { env } : {}),
  };
}

/** The variable holding the receiver: its class in snake case, `_obj` added where that name is taken. */
/** The receiver's variable: its class's name in snake case, unless a name the test uses (`taken`) has it. */
function variableName(c: Candidate, taken: ReadonlySet<string>): string {
  const cls =
    c.target.kind === 'class'
      ? c.target.qualname
      : c.receiver?.kind === 'construct'
        ? c.receiver.cls.qualname
        : (c.target.owner ?? 'obj');
  let name = snakeCase(cls.split('.').pop() ?? 'obj') || 'obj';
  if (taken.has(name) || PY_KEYWORDS.has(name) || name === 'result' || name === 'pytest' || name === 'math')
    name = `${name}_obj`;
  return name;
}
