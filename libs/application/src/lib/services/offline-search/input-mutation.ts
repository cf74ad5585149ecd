import type { CallableInfo, ParameterInfo } from '@test-agent/domain';
import { collectionValue, lit, wrappedValue, type GenArg, type GenValue } from './generated-value';
import { CHARS } from './input-pools';
import type { InputGenerator } from './input-generator';
import type { RandomSource } from './random-source';
import { floatValue, intValue, round, strValue } from './scalar-values';

/** Changes one thing in an argument list: a value nudged or regenerated, an optional argument added or dropped. */
export function mutateArguments(
  gen: InputGenerator,
  rng: RandomSource,
  fn: CallableInfo,
  args: readonly GenArg[],
): GenArg[] {
  const out = [...args];
  const r = rng.next();
  const optional = fn.params.filter(
    (p) => p.hasDefault && p.kind !== 'positional' && p.kind !== 'varargs' && p.kind !== 'varkw',
  );
  if (r < 0.15 && optional.length) {
    const p = rng.pick(optional);
    const at = out.findIndex((a) => a.param.name === p.name);
    if (at >= 0) out.splice(at, 1);
    else out.push({ param: p, value: gen.argumentValue(p, fn, 0), keyword: true });
    return out;
  }
  if (out.length === 0) return gen.arguments(fn);
  const i = rng.int(0, out.length - 1);
  out[i] = { ...out[i], value: tweak(gen, rng, out[i].value, out[i].param, fn) };
  return out;
}

function tweak(gen: InputGenerator, rng: RandomSource, v: GenValue, p: ParameterInfo, fn: CallableInfo): GenValue {
  if (rng.chance(0.35)) return gen.specialValue(p, fn) ?? gen.value(gen.hintFor(p, fn), fn);
  if (v.wrapped && rng.chance(0.7)) {
    // A stream's or a file's text changes; the helper stays.
    const args = v.wrapped.args.map((a, i) => (i === v.wrapped!.args.length - 1 ? tweakElement(gen, rng, a, fn) : a));
    return wrappedValue(v.wrapped.fn, args, v.hint);
  }
  if (v.kind === 'int' && typeof v.js === 'number') {
    const n = v.js;
    return intValue(rng.pick([n + 1, n - 1, -n, n * 2, Math.trunc(n / 2), n + rng.int(-10, 10)]), v.hint);
  }
  if (v.kind === 'float' && typeof v.js === 'number') {
    const n = v.js;
    return floatValue(
      rng.pick([round(n + 0.1, 6), round(n - 0.1, 6), -n, round(n * 2, 6), round(n / 2, 6), round(rng.next(), 3)]),
      v.hint,
    );
  }
  if (v.kind === 'str' && typeof v.js === 'string') return strValue(tweakString(gen, rng, v.js, fn), v.hint);
  if (v.kind === 'bool') return { ...v, expr: lit(v.js ? 'False' : 'True'), js: !v.js };
  if (v.collection && v.collection.items.length > 0 && rng.chance(0.7)) {
    // Change one element: drop it, or nudge its value.
    const c = v.collection;
    const i = rng.int(0, c.items.length - 1);
    const drop = rng.chance(0.3);
    const items = drop
      ? c.items.filter((_, j) => j !== i)
      : c.items.map((x, j) => (j === i ? tweakElement(gen, rng, x, fn) : x));
    const keys = c.keys && (drop ? c.keys.filter((_, j) => j !== i) : c.keys);
    return collectionValue({ ...c, items, ...(keys ? { keys } : {}) }, v.hint, (x) => gen.source(x));
  }
  return gen.value(gen.hintFor(p, fn), fn);
}

function tweakElement(gen: InputGenerator, rng: RandomSource, v: GenValue, fn: CallableInfo): GenValue {
  if (v.kind === 'int' && typeof v.js === 'number') return intValue(v.js + rng.pick([1, -1, 10]), v.hint);
  if (v.kind === 'str' && typeof v.js === 'string') return strValue(tweakString(gen, rng, v.js, fn), v.hint);
  return gen.value(v.hint, fn, 2);
}

function tweakString(gen: InputGenerator, rng: RandomSource, s: string, fn: CallableInfo): string {
  const extra = rng.chance(0.5) ? gen.string(fn) : rng.pick(CHARS);
  const at = rng.int(0, s.length);
  switch (rng.int(0, 5)) {
    case 0:
      return s.slice(0, at) + extra + s.slice(at);
    case 1:
      return s.length ? s.slice(0, at) + s.slice(at + 1) : extra;
    case 2:
      return s + extra;
    case 3:
      return extra + s;
    case 4:
      return s.toUpperCase() === s ? s.toLowerCase() : s.toUpperCase();
    default:
      return s.repeat(2).slice(0, 200);
  }
}
