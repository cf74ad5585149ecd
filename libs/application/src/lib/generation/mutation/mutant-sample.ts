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
