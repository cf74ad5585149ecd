import type { CallResult } from '@test-agent/domain';
import { isWithheldVariable } from '../pytest-executor/sandbox-environment';

/** Values of the variables withheld from the worker (keys, tokens), at least 6 characters long. */
export function withheldValues(env: Readonly<Record<string, string | undefined>>): string[] {
  return Object.entries(env)
    .filter((e): e is [string, string] => e[1] !== undefined && e[1].length >= 6 && isWithheldVariable(e[0], e[1]))
    .map(([, v]) => v);
}

/**
 * A result that shows the value of a variable withheld from the worker (an API key Test Agent itself was given,
 * read back by the code from a file or a config) is treated like one showing a machine value: nothing of it
 * that carries the value is kept, so no test or report can contain it.
 */
export function withoutSecrets(result: CallResult, secrets: readonly string[]): CallResult {
  if (secrets.length === 0) return result;
  const text = JSON.stringify(result);
  if (!secrets.some((v) => text.includes(v) || text.includes(JSON.stringify(v).slice(1, -1)))) return result;
  const { value, receiverAttrs: _attrs, changedArgs: _changed, stdout: _stdout, exception, ...rest } = result;
  return {
    ...rest,
    machineDependent: true,
    ...(value
      ? {
          value: {
            ...value,
            repr: '',
            expr: null,
            canon: '<machine-dependent>',
            float: false,
            approx: false,
            nan: false,
            len: null,
            attrs: [],
            parts: [],
            summary: null,
          },
        }
      : {}),
    ...(exception ? { exception: { ...exception, message: '' } } : {}),
  };
}
