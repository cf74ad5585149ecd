import type { TypeHint } from '@test-agent/domain';
import { collectionValue, evalPyStr, lit, valueSource, type GenValue } from './generated-value';
import { BOOL, INT, STR } from './input-pools';
import { pyFloat, pyInt, pyStr } from './python-source';
import type { RandomSource } from './random-source';
import { reRootPath } from './safe-inputs';

/** The plainest values of a type (`''`, `0`, `[]`, ...), for the simplifier; empty when there is none. */
export function simplestOf(hint: TypeHint): GenValue[] {
  switch (hint.kind) {
    case 'none':
      return [{ expr: lit('None'), js: null, kind: 'none', hint }];
    case 'builtin':
      if (hint.name === 'str') return [strValue('', hint), strValue('a', hint)];
      if (hint.name === 'int') return [intValue(0, hint), intValue(1, hint)];
      if (hint.name === 'float') return [floatValue(0, hint), floatValue(1, hint)];
      if (hint.name === 'bool')
        return [
          { expr: lit('False'), js: false, kind: 'bool', hint },
          { expr: lit('True'), js: true, kind: 'bool', hint },
        ];
      if (hint.name === 'bytes') return [{ expr: lit("b''"), kind: 'other', hint }];
      return [];
    case 'list':
    case 'set':
    case 'tuple':
      return [collectionValue({ kind: hint.kind, items: [] }, hint, valueSource)];
    case 'dict':
      return [collectionValue({ kind: 'dict', items: [], keys: [] }, hint, valueSource)];
    case 'union':
      return hint.options.flatMap(simplestOf);
    default:
      return [];
  }
}

/** A str argument value (re-rooted when it names a place outside the working directory). */
export function strArgValue(s: string, hint: TypeHint): GenValue {
  return strValue(s, hint);
}

export function intValue(n: number, hint: TypeHint): GenValue {
  return { expr: lit(pyInt(n)), js: Math.trunc(n), kind: 'int', hint };
}

export function floatValue(n: number, hint: TypeHint): GenValue {
  return { expr: lit(pyFloat(n)), js: n, kind: 'float', hint };
}

/**
 * Every generated string goes through here: one that names a place outside the working directory (`/`, `..`,
 * `~/.cfg`, `/tmp/x`) is re-rooted under it (`reRootPath`), whether it came from the module's literals, the
 * character pool, a mutation or the simplifier.
 */
export function strValue(s: string, hint: TypeHint): GenValue {
  const safe = reRootPath(s);
  return { expr: lit(pyStr(safe)), js: safe, kind: 'str', hint };
}

export const round = (n: number, digits: number): number => Number(n.toFixed(digits));

/** A value next to a parameter's default: the other bool, a neighbouring number, an empty or longer string. */
export function nearDefault(src: string, rng: RandomSource): GenValue | undefined {
  if (src === 'True' || src === 'False')
    return { expr: lit(src === 'True' ? 'False' : 'True'), js: src !== 'True', kind: 'bool', hint: BOOL };
  if (/^-?\d+$/.test(src)) {
    const n = Number(src);
    return intValue(rng.pick([n - 1, n + 1, 0, 1, -1, n * 2]), INT);
  }
  const s = evalPyStr(src);
  if (s !== undefined) return strValue(rng.pick(['', s + s, ' ', `${s}x`, 'abc']), STR);
  return undefined;
}
