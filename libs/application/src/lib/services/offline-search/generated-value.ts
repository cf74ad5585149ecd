import type {
  CallableInfo,
  ClassField,
  EnvSetting,
  ModulePatch,
  ParameterInfo,
  PlanExpr,
  TypeHint,
} from '@test-agent/domain';
import { operatorForm } from './operator-calls';

/** A generated argument value: its plan expression plus the JS value when it is a plain str/int/float/bool. */
export interface GenValue {
  readonly expr: PlanExpr;
  readonly js?: string | number | boolean | null;
  readonly kind: 'int' | 'float' | 'str' | 'bool' | 'none' | 'other';
  readonly hint: TypeHint;
  /** For an object built by a constructor of the module: the class path and its arguments (to simplify them). */
  readonly construct?: { readonly path: string; readonly args: readonly GenArg[] };
  /** For a list, set, tuple or dict literal: its elements (dict: values, with `keys`), to simplify them one by one. */
  readonly collection?: Collection;
  /** The parameter's own type when this value deliberately ignored it (the simplifier tries that type first). */
  readonly offHint?: TypeHint;
  /**
   * A value made by a helper from plain arguments: `io.StringIO('a b')` for a stream, `_file('input.txt', 'a b')`
   * for a file the test creates (see `fileValue`); the simplifier shrinks the arguments.
   */
  readonly wrapped?: { readonly fn: string; readonly args: readonly GenValue[] };
}

export interface Collection {
  readonly kind: 'list' | 'set' | 'tuple' | 'dict';
  readonly items: readonly GenValue[];
  /** Dict keys, one per item. */
  readonly keys?: readonly GenValue[];
}

export interface GenArg {
  readonly param: ParameterInfo;
  readonly value: GenValue;
  /** Passed as `name=value` (more readable; required for keyword-only parameters). */
  readonly keyword: boolean;
}

/** A receiver object: built by a constructor, or an enum member. */
export type Receiver =
  | { readonly kind: 'construct'; readonly cls: CallableInfo; readonly args: readonly GenArg[] }
  | { readonly kind: 'member'; readonly path: string };

/**
 * A step that sets the receiver's state before the call under test: a method call, or (`assign`) an assignment
 * of `args[0]` to the public attribute `method.name` (`lexer.debug = 2`).
 */
export interface StateStep {
  readonly method: CallableInfo;
  readonly args: readonly GenArg[];
  readonly assign?: boolean;
  /** For an assignment: the attribute's type is declared (not guessed from its name or left open). */
  readonly declared?: boolean;
}

/**
 * A candidate test: optional receiver, optional state-setting steps, then the call under test; `patches` make
 * optional imports of the module fail for the test (`monkeypatch.setattr('quopri.b2a_qp', None)`), `argv` sets
 * its command line (`monkeypatch.setattr(sys, 'argv', ['prog', '-t'])`).
 */
export interface Candidate {
  readonly target: CallableInfo;
  readonly receiver?: Receiver;
  readonly prefix: readonly StateStep[];
  readonly args: readonly GenArg[];
  readonly patches?: readonly ModulePatch[];
  /** `sys.argv` for the call (a list of str), for a callable that reads it. */
  readonly argv?: GenValue;
  /** Environment variables the call reads, set or removed for it (`monkeypatch.setenv('APP_MODE', 'test')`). */
  readonly env?: readonly EnvSetting[];
}

/** Fields the sandbox found on a class (none for other callables). */
export function fieldsOf(cls: CallableInfo): readonly ClassField[] {
  return cls.fields ?? [];
}

/** Fields worth setting before a call: those the constructor does not already take as arguments. */
export function settableFields(cls: CallableInfo): readonly ClassField[] {
  const params = new Set(cls.params.map((p) => p.name));
  return fieldsOf(cls).filter((f) => !params.has(f.name));
}

/** Name of the file a `_file(...)` value writes, as a test would see it. */
export const FILE_HELPER = '_file';

export const lit = (src: string): PlanExpr => ({ kind: 'lit', source: src });

export function callExpr(fn: PlanExpr, args: readonly GenArg[]): PlanExpr {
  return {
    kind: 'call',
    callee: fn,
    args: args.filter((a) => !a.keyword).map((a) => a.value.expr),
    keywords: args.filter((a) => a.keyword).map((a) => [a.param.name, a.value.expr] as const),
  };
}

/**
 * Python source of a plan expression; `varName(i)` names the value of step `i`. With `operators`, calls of operator
 * methods read as the operators (`x.__add__(2)` as `x + 2`, see `operatorForm`).
 */
export function renderPlanExpr(e: PlanExpr, varName: (i: number) => string, operators = false): string {
  const sub = (x: PlanExpr) => renderPlanExpr(x, varName, operators);
  switch (e.kind) {
    case 'lit':
      return e.source;
    case 'ref':
      return e.path;
    case 'var':
      return varName(e.index);
    case 'attr':
      return `${sub(e.target)}.${e.name}`;
    case 'list':
      return `list(${sub(e.iterable)})`;
    case 'call': {
      const op = operators ? operatorForm(e, sub) : undefined;
      if (op) return op.source;
      const args = [...e.args.map(sub), ...e.keywords.map(([n, a]) => `${n}=${sub(a)}`)];
      return `${sub(e.callee)}(${args.join(', ')})`;
    }
  }
}

/** A list, set, tuple or dict value from its elements (the literal's source rebuilt from theirs). */
export function collectionValue(c: Collection, hint: TypeHint, source: (v: GenValue) => string): GenValue {
  const items = c.items.map(source);
  const src =
    c.kind === 'list'
      ? `[${items.join(', ')}]`
      : c.kind === 'set'
        ? items.length
          ? `{${items.join(', ')}}`
          : 'set()'
        : c.kind === 'tuple'
          ? `(${items.join(', ')}${items.length === 1 ? ',' : ''})`
          : `{${items.map((v, i) => `${source(c.keys![i])}: ${v}`).join(', ')}}`;
  return { expr: lit(src), kind: 'other', hint, collection: c };
}

/** Python source of a generated value. */
export function valueSource(v: GenValue): string {
  return v.expr.kind === 'lit' ? v.expr.source : renderPlanExpr(v.expr, () => 'obj');
}

/** A value made by the helper `fn` from `args` (see `GenValue.wrapped`). */
export function wrappedValue(fn: string, args: readonly GenValue[], hint: TypeHint): GenValue {
  return { expr: lit(`${fn}(${args.map(valueSource).join(', ')})`), kind: 'other', hint, wrapped: { fn, args } };
}

/** Every str value inside a value (constructor arguments and collection elements included), for data flow. */
export function stringsIn(v: GenValue, out: string[] = [], depth = 0): string[] {
  if (depth > 4) return out;
  if (v.kind === 'str' && typeof v.js === 'string' && v.js.length > 0) out.push(v.js);
  for (const a of v.construct?.args ?? []) stringsIn(a.value, out, depth + 1);
  for (const a of v.wrapped?.args ?? []) stringsIn(a, out, depth + 1);
  for (const x of [...(v.collection?.items ?? []), ...(v.collection?.keys ?? [])]) stringsIn(x, out, depth + 1);
  return out;
}

/** The text of a simple Python string literal (as written by `repr`), or undefined. */
export function evalPyStr(src: string): string | undefined {
  const m = /^(['"])(.*)\1$/s.exec(src);
  if (!m) return undefined;
  try {
    const body = m[2]
      .replace(/\\x([0-9a-f]{2})/gi, '\\u00$1')
      .replace(/\\'/g, "'")
      .replace(/"/g, '\\"');
    return JSON.parse(`"${body}"`) as string;
  } catch {
    return undefined;
  }
}
