import type { ValueDescription } from '@test-agent/domain';

/**
 * A value as the sandbox describes it, for specs: a builtin `type` whose `expr` rebuilds it (null: none does; its
 * repr and canonical text are then empty), `extra` overriding any field.
 */
export function describedValue(
  expr: string | null,
  type: string,
  extra: Partial<ValueDescription> = {},
): ValueDescription {
  return {
    type,
    module: 'builtins',
    repr: expr ?? '',
    expr,
    canon: expr ?? '',
    float: false,
    approx: false,
    nan: false,
    len: null,
    attrs: [],
    ...extra,
  };
}
