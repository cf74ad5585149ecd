import type { AttributeDescription, CallResult } from '@test-agent/domain';
import { namesIn } from '../../python-text';
import type { Body } from './emitted-source';
import type { Stability } from './pytest-emitter';
import { pyStr } from './python-source';

/** The names a test can use: the module's top-level names, and its imports (local name → import statement). */
export interface NameContext {
  readonly moduleName: string;
  readonly topNames: ReadonlySet<string>;
  readonly external: Readonly<Record<string, string>>;
}

/** Longest value written out in an assertion; a longer one of a sized type is checked by its size and start. */
export const MAX_EXACT = 1200;
/** ... for a str, bytes, list, tuple, dict or set: a reviewer reads 120 characters, not a wall of them. */
export const MAX_SIZED_LITERAL = 120;
export const SIZED_TYPES = new Set(['str', 'bytes', 'list', 'tuple', 'dict', 'set']);
/** Types of `builtins` a test can name (`dict_keys`, `function`, `list_iterator` are not names there). */
export const BUILTIN_TYPE_NAMES = new Set([
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

/** Types of what a call returns that are functions, which no test can name but `callable()` recognises. */
const CALLABLE_TYPE_NAMES = new Set(['function', 'builtin_function_or_method', 'method', 'method-wrapper']);

/**
 * What a test asserts when its value, state and output all vary between runs or show the machine: that it
 * returned None, or the type of what it returned (when every run agreed on it and the test can name it).
 * Undefined when not even that holds: the test is then not written.
 */
export function fallbackAssertion(
  target: string,
  v: NonNullable<CallResult['value']>,
  stability: Stability,
  body: Body,
  ctx: NameContext,
): string | undefined {
  const { topNames, moduleName } = ctx;
  if (v.expr === 'None' && stability.value) return `assert ${target} is None`;
  if (!(stability.type ?? stability.value) || v.type.includes('<') || v.type === 'NoneType') return undefined;
  // A function the call made (a closure, a compiled expression, a bound method): that it can be called.
  if (v.module === 'builtins' && CALLABLE_TYPE_NAMES.has(v.type)) return `assert callable(${target})`;
  if (v.module === 'builtins')
    return BUILTIN_TYPE_NAMES.has(v.type) ? `assert isinstance(${target}, ${v.type})` : undefined;
  const qualname = v.type.startsWith(`${v.module}.`) ? v.type.slice(v.module.length + 1) : v.type;
  if (qualname.split('.').some((p) => p.startsWith('_'))) return undefined;
  if (v.module === moduleName && topNames.has(qualname.split('.')[0])) {
    body.names.add(qualname.split('.')[0]);
    return `assert isinstance(${target}, ${qualname})`;
  }
  // The name the module itself imported the type by (`from datetime import datetime`): the test imports it the
  // same way, so `import datetime` never shadows it (or is shadowed by it) in the same file.
  const local = importedName(ctx.external, v.module, qualname);
  if (local) {
    body.imports.add(ctx.external[local.split('.')[0]]);
    return `assert isinstance(${target}, ${local})`;
  }
  if (/^[a-z][\w.]*$/.test(v.module) && !v.module.split('.').some((p) => p.startsWith('_'))) {
    body.imports.add(`import ${v.module}`);
    return `assert isinstance(${target}, ${v.module}.${qualname})`;
  }
  return undefined;
}

/**
 * The name a test reaches `<module>.<qualname>` by, the way the module itself imported it: the local name of
 * `from <module> import <qualname>` (or `... as <local>`), else `<local>.<qualname>` for `import <module> as
 * <local>`; undefined when the module imported neither.
 */
function importedName(external: NameContext['external'], module: string, qualname: string): string | undefined {
  const statement = `from ${module} import ${qualname}`;
  const byName = Object.keys(external).find((n) => external[n] === statement || external[n] === `${statement} as ${n}`);
  if (byName) return byName;
  const asModule = Object.keys(external).find((n) => n !== module && external[n] === `import ${module} as ${n}`);
  return asModule ? `${asModule}.${qualname}` : undefined;
}

export function valueAssertions(
  target: string,
  expr: string,
  v: NonNullable<CallResult['value']>,
  body: Body,
): string[] {
  if (v.nan) {
    body.usesMath = true;
    return [`assert math.isnan(${target})`];
  }
  if (expr === 'None' || expr === 'True' || expr === 'False') return [`assert ${target} is ${expr}`];
  if (v.float && v.approx) return [`assert ${target} == pytest.approx(${expr})`];
  const sized = v.len !== null && SIZED_TYPES.has(v.type);
  if (expr.length <= (sized ? MAX_SIZED_LITERAL : MAX_EXACT)) return [`assert ${target} == ${expr}`];
  // Too long to read: its size and how it starts; an unsized value gets the type check (see `fallbackAssertion`).
  return sized ? sizeAndStart(target, v) : [];
}

/**
 * For a value too long to write out: its length and how it starts, then what the worker summed up of it
 * (`ValueSummary`): how a text ends and how often its separators occur; a sequence's first and last element (or
 * their sizes) and the sum of its numbers or of its strings' lengths; a dict's first and last entry. Each line is
 * short; together they notice a changed character, line or element that a size and a start let through.
 */
export function sizeAndStart(target: string, v: NonNullable<CallResult['value']>): string[] {
  const out = [`assert len(${target}) == ${v.len ?? 0}`];
  const head = evalHead(v.repr);
  const s = v.summary ?? {};
  const sequence = v.type === 'list' || v.type === 'tuple';
  if (v.type === 'str' && head) out.push(`assert ${target}.startswith(${pyStr(head)})`);
  else if (v.type === 'bytes' && head) out.push(`assert ${target}.startswith(b${pyStr(head)})`);
  else if (sequence && s.first !== undefined) out.push(elementCheck(`${target}[0]`, s.first, v.float));
  else if (sequence && v.parts?.length) out.push(`assert ${target}[0] == ${v.parts[0]}`);
  if (s.tail !== undefined) out.push(`assert ${target}.endswith(${s.tail})`);
  for (const [separator, n] of s.counts ?? []) out.push(`assert ${target}.count(${separator}) == ${n}`);
  if (sequence && s.first === undefined && s.firstLen !== undefined)
    out.push(`assert len(${target}[0]) == ${s.firstLen}`);
  if (sequence && s.last !== undefined) out.push(elementCheck(`${target}[-1]`, s.last, v.float));
  else if (sequence && s.lastLen !== undefined) out.push(`assert len(${target}[-1]) == ${s.lastLen}`);
  if (s.sum !== undefined)
    out.push(s.sumFloat ? `assert sum(${target}) == pytest.approx(${s.sum})` : `assert sum(${target}) == ${s.sum}`);
  if (s.itemLengths !== undefined) out.push(`assert sum(len(item) for item in ${target}) == ${s.itemLengths}`);
  for (const [key, value] of s.entries ?? []) out.push(`assert ${target}[${key}] == ${value}`);
  return out;
}

/** The names the summary's sources use (an enum member, a class of the module), for the test's imports. */
export function summaryNames(v: NonNullable<CallResult['value']>): string[] {
  const s = v.summary;
  if (!s) return [];
  const sources = [s.first, s.last, ...(s.entries ?? []).flat()].filter((x): x is string => x !== undefined);
  return sources.flatMap((x) => namesIn(x));
}

/** `assert result[0] == 0.5`: with approx for a float element of a value holding floats. */
function elementCheck(path: string, source: string, float: boolean): string {
  return float && /^-?\d+\.\d*(e-?\d+)?$/.test(source)
    ? `assert ${path} == pytest.approx(${source})`
    : `assert ${path} == ${source}`;
}

/** What a test writes for an attribute of `owner`: `owner.name`, or `owner` itself for its own text (`__str__`). */
export function attributePath(owner: string, a: AttributeDescription): string {
  return a.name === '__str__' && a.via === 'str' ? owner : `${owner}.${a.name}`;
}

export function attributeAssertion(
  path: string,
  a: AttributeDescription,
  body: Body,
  topNames: ReadonlySet<string>,
): string {
  for (const n of namesIn(a.expr)) if (topNames.has(n)) body.names.add(n);
  if (a.via === 'str') return `assert str(${path}) == ${a.expr}`;
  if (a.via === 'str-items') return `assert [str(x) for x in ${path}] == ${a.expr}`;
  if (a.float && a.approx) return `assert ${path} == pytest.approx(${a.expr})`;
  if (a.expr === 'None' || a.expr === 'True' || a.expr === 'False') return `assert ${path} is ${a.expr}`;
  return `assert ${path} == ${a.expr}`;
}

export function exceptionName(
  ex: NonNullable<CallResult['exception']>,
  topNames: ReadonlySet<string>,
  body: Body,
): string {
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

/** An exception message short and plain enough to check with `match=` (no object address). */
export function matchable(message: string): boolean {
  return message.length > 0 && message.length <= 80 && !/0x[0-9a-f]{6,}/.test(message);
}

/** The first 60 characters of the str or bytes a Python `repr` describes (best effort; falls back to ''). */
export function evalHead(repr: string): string {
  const m = /^b?(['"])(.*)$/s.exec(repr);
  if (!m) return '';
  const body = m[2].slice(0, 60);
  // Cut before any escape so the prefix is exact.
  const cut = body.search(/\\/);
  return cut >= 0 ? body.slice(0, cut) : body.replace(/['"]$/, '');
}
