import type { ValueDescription } from '@test-agent/domain';

/** A value as the sandbox describes it, for specs: a builtin `type` whose `expr` rebuilds it (`extra` overrides). */
export function describedValue(expr: string, type: string, extra: Partial<ValueDescription> = {}): ValueDescription {
  return {
    type,
    module: 'builtins',
    repr: expr,
    expr,
    canon: expr,
    float: false,
    approx: false,
    nan: false,
    len: null,
    attrs: [],
    ...extra,
  };
}
