/** Arguments a call gets beyond its named parameters: keywords for `**kwargs`, public attributes set before it. */
import type { CallableInfo, ParameterInfo, TypeHint } from '@test-agent/domain';
import { settableFields, type GenArg, type GenValue, type StateStep } from './generated-value';
import { FIELD_TYPES, INT, NONE, STR, fieldHint } from './input-pools';
import { PY_KEYWORDS } from './python-source';
import type { RandomSource } from './random-source';

/** Names a `**kwargs` parameter gets when the function's own literals spell none. */
const FALLBACK_NAMES = ['name', 'value', 'key', 'option_b'];

/**
 * One or two keyword arguments for a `**kwargs` parameter (`add_header('X', 'y', charset='utf-8')`): named after
 * identifiers among the function's own str literals (the keys it looks up), else generic names, never one of its
 * named parameters; each value of the type the function's use of the dict's values says (`hint`), else a str, an
 * int or None.
 */
export function extraKeywords(
  p: ParameterInfo,
  fn: CallableInfo,
  strings: readonly string[],
  hint: TypeHint,
  rng: RandomSource,
  valueOf: (h: TypeHint) => GenValue,
): GenArg[] {
  const named = new Set(fn.params.map((x) => x.name));
  const spelled = strings.filter((s) => /^[a-z_][a-z0-9_]{0,20}$/.test(s) && !PY_KEYWORDS.has(s));
  const names = [...new Set([...spelled, ...FALLBACK_NAMES])].filter((n) => !named.has(n));
  const valueHint = hint.kind === 'dict' ? hint.value : hint;
  const out: GenArg[] = [];
  for (let i = rng.int(1, 2); i > 0 && names.length; i--) {
    const name = names.splice(rng.int(0, names.length - 1), 1)[0];
    const h = valueHint.kind === 'any' ? rng.pick([STR, STR, INT, NONE]) : valueHint;
    out.push({ param: { ...p, name, kind: 'keyword' }, value: valueOf(h), keyword: true });
  }
  return out;
}

/** An assignment step `obj.<field> = value` for a constructible class's public attribute, or undefined. */
export function fieldAssignment(
  cls: CallableInfo,
  rng: RandomSource,
  valueOf: (h: TypeHint) => GenValue,
): StateStep | undefined {
  const fields = settableFields(cls);
  if (fields.length === 0) return undefined;
  const field = rng.pick(fields);
  // The attribute as a one-parameter setter, so mutation and simplification treat its value like an argument.
  const param: ParameterInfo = {
    name: field.name,
    kind: 'either',
    type: fieldHint(field),
    hasDefault: false,
    default: null,
    defaultIsNone: false,
  };
  const method: CallableInfo = {
    kind: 'property',
    name: field.name,
    qualname: `${cls.qualname}.${field.name}`,
    owner: cls.qualname,
    params: [param],
  };
  return {
    method,
    args: [{ param, value: valueOf(param.type), keyword: false }],
    assign: true,
    declared: FIELD_TYPES[field.type] !== undefined,
  };
}
