import { MUTATION_OPERATORS, type Mutant } from '@test-agent/domain';

/**
 * At most `max` of `mutants`, chosen deterministically and spread across operators and lines: the cap is shared
 * out one at a time over the operators that still have mutants (so a rare operator is not crowded out by a
 * frequent one), and each operator's share is taken at evenly spaced positions of its mutants in source order.
 * Returned in source order. All of them when there are no more than `max`.
 */
export function sampleMutants(mutants: readonly Mutant[], max: number): Mutant[] {
  if (mutants.length <= max) return [...mutants];
  const groups = MUTATION_OPERATORS.map((op) => mutants.filter((m) => m.operator === op)).filter((g) => g.length);
  const shares = groups.map(() => 0);
  for (let given = 0; given < max;) {
    for (let g = 0; g < groups.length && given < max; g++) {
      if (shares[g] < groups[g].length) {
        shares[g]++;
        given++;
      }
    }
  }
  const chosen = new Set<Mutant>();
  groups.forEach((group, g) => {
    for (let i = 0; i < shares[g]; i++) chosen.add(group[Math.floor(((i + 0.5) * group.length) / shares[g])]);
  });
  return mutants.filter((m) => chosen.has(m));
}

/**
 * The order to run `sample` in, so that the mutants run before a budget stops are spread like the whole sample:
 * the operators taken in turn, each operator's mutants in a bit-reversed order of their source positions (first,
 * middle, quarters, eighths, ...), so any prefix covers the module from top to bottom.
 */
export function runOrder(sample: readonly Mutant[]): Mutant[] {
  const groups = MUTATION_OPERATORS.map((op) => spread(sample.filter((m) => m.operator === op)));
  const order: Mutant[] = [];
  for (let i = 0; order.length < sample.length; i++)
    for (const group of groups) if (i < group.length) order.push(group[i]);
  return order;
}

/** `items` in bit-reversed order of their positions (0, n/2, n/4, 3n/4, ...). */
function spread<T>(items: readonly T[]): T[] {
  const bits = Math.max(1, Math.ceil(Math.log2(Math.max(1, items.length))));
  const reversed = (i: number) => parseInt(i.toString(2).padStart(bits, '0').split('').reverse().join(''), 2);
  return items
    .map((item, i) => ({ item, key: reversed(i) }))
    .sort((a, b) => a.key - b.key)
    .map((e) => e.item);
}
