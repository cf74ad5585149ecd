import type { ModuleInterface, TypeHint } from '@test-agent/domain';
import { pyStr } from './python-source';
import type { RandomSource } from './random-source';

/** A value of a common standard-library type the module imported (`Decimal('2.50')`), or undefined. */
export function stdlibValue(
  module: ModuleInterface,
  rng: RandomSource,
  qualified: string,
  hint?: Extract<TypeHint, { kind: 'any' }>,
): string | undefined {
  if (qualified === 're.Match') return matchObject(module, rng, hint);
  const dot = qualified.lastIndexOf('.');
  const statement = `from ${qualified.slice(0, dot)} import ${qualified.slice(dot + 1)}`;
  const local = Object.entries(module.externalNames ?? {}).find(
    ([, s]) => s === statement || s.startsWith(`${statement} as `),
  )?.[0];
  if (!local) return undefined;
  switch (qualified) {
    case 'decimal.Decimal':
      return `${local}(${pyStr(rng.pick(['0', '1', '2.50', '19.99', '-1', '0.01', '100', '3.333']))})`;
    case 'fractions.Fraction':
      return `${local}(${rng.int(-3, 5)}, ${rng.int(1, 7)})`;
    case 'datetime.date':
      return `${local}(${rng.pick([2024, 2023, 2000, 1900, 1])}, ${rng.int(1, 12)}, ${rng.pick([1, 15, 28, 29, 31])})`.replace(
        /, (29|31)\)$/,
        (m) => (rng.chance(0.5) ? ', 28)' : m),
      );
    case 'datetime.datetime':
      return `${local}(${rng.pick([2024, 2000, 1970])}, ${rng.int(1, 12)}, ${rng.int(1, 28)}, ${rng.int(0, 23)}, ${rng.int(0, 59)})`;
    case 'datetime.timedelta':
      return `${local}(days=${rng.pick([0, 1, -1, 7, 30, 365])})`;
    case 'pathlib.Path':
      return `${local}(${pyStr(rng.pick(['a.txt', 'data', 'out', 'dir/file.csv']))})`;
    default:
      return undefined;
  }
}

/**
 * A `re.Match` of one of the module's own patterns on a string made from it: `RE_DATE.match('1988-10-27')`
 * through the module-level name when the pattern has one, else `re.match(pattern, text, flags)`; mostly a pattern
 * with the groups the code reads (the hint's `groups` and `groupCount`).
 */
function matchObject(
  module: ModuleInterface,
  rng: RandomSource,
  hint?: Extract<TypeHint, { kind: 'any' }>,
): string | undefined {
  const patterns = Object.values(module.patterns ?? {})
    .flat()
    .filter((p) => p.matches.length > 0);
  if (patterns.length === 0) return undefined;
  // The patterns with the groups the code reads (`m.group('number')`, `a, b = m.groups()`), when any has them.
  const fitting = patterns.filter(
    (p) =>
      (hint?.groups ?? []).every((g) => p.groupNames?.includes(g)) &&
      (hint?.groupCount === undefined || p.groups === hint.groupCount),
  );
  const p = rng.pick(fitting.length && rng.chance(0.9) ? fitting : patterns);
  const text = pyStr(rng.pick(p.matches));
  if (p.name) return `${p.name}.match(${text})`;
  const re = Object.entries(module.externalNames ?? {}).find(
    ([, s]) => s === 'import re' || s.startsWith('import re as '),
  )?.[0];
  return re ? `${re}.match(${pyStr(p.pattern)}, ${text}${p.flags ? `, ${p.flags}` : ''})` : undefined;
}
