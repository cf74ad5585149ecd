import type { Branch } from '@test-agent/domain';
import { degeneratePositions } from './numeric-inputs';
import { incidental } from './raised-kinds';
import type { ArchivedTest, OutsideEffectSummary } from './search-engine.service';
import { isPrivateCallable } from './test-namer';

/** `12>14`: a branch as a set key. */
export const branchKey = (b: Branch) => `${b[0]}>${b[1]}`;

const MAX_EFFECT_EXAMPLES = 3;

/** Counts one refused call of `qualname` into `into` (mutable form of `OutsideEffects`). */
export function countOutsideEffects(
  into: Record<string, OutsideEffectSummary>,
  qualname: string,
  effects: readonly string[],
): void {
  const known = into[qualname] ?? { calls: 0, examples: [] };
  const examples = [...known.examples];
  for (const e of effects) if (examples.length < MAX_EFFECT_EXAMPLES && !examples.includes(e)) examples.push(e);
  into[qualname] = { calls: known.calls + 1, examples };
}

/**
 * The fewest archived tests that keep the archive's coverage: greedy set cover (largest gain first), ties broken
 * by fewer degenerate numbers, then by shorter plans. Returned in archive order.
 */
export function minimiseArchive(tests: readonly ArchivedTest[]): ArchivedTest[] {
  const throughPrivate = (t: ArchivedTest) =>
    Boolean(
      t.candidate &&
      (isPrivateCallable(t.candidate.target) ||
        (t.candidate.receiver?.kind === 'construct' && isPrivateCallable(t.candidate.receiver.cls))),
    );
  const keyOf = (t: ArchivedTest) => [
    ...t.result.lines.map((l) => `L${l}`),
    ...t.result.branches.map((b) => `B${branchKey(b)}`),
  ];
  const keys = tests.map(keyOf);
  const size = (t: ArchivedTest) => JSON.stringify(t.plan).length;
  // Of two tests that reach as much, the one whose numbers show the arithmetic (see `degeneratePositions`), then the shorter.
  const degenerate = tests.map((t) => (t.candidate ? degeneratePositions(t.candidate).length : 0));
  const plainerTest = (i: number, best: number) =>
    degenerate[i] < degenerate[best] || (degenerate[i] === degenerate[best] && size(tests[i]) < size(tests[best]));
  const covered = new Set<string>();
  const chosen = new Set<number>();
  // Meaningful outcomes through the public API first, then through private names for what no public call
  // reaches; a test ending in an incidental exception, or running doctest examples, only for what nothing else reaches.
  // The module's own doctest examples come last, with the incidental ones: they are its author's tests, not ours.
  const ours = (t: ArchivedTest) => !incidental(t.result) && t.doctest === undefined;
  const tiers: ((t: ArchivedTest) => boolean)[] = [(t) => ours(t) && !throughPrivate(t), ours, () => true];
  for (const allowed of tiers) {
    for (;;) {
      let best = -1;
      let bestGain = 0;
      keys.forEach((k, i) => {
        if (chosen.has(i) || !allowed(tests[i])) return;
        const gain = k.filter((x) => !covered.has(x)).length;
        if (gain > bestGain || (gain === bestGain && gain > 0 && best >= 0 && plainerTest(i, best))) {
          best = i;
          bestGain = gain;
        }
      });
      if (best < 0 || bestGain === 0) break;
      chosen.add(best);
      for (const x of keys[best]) covered.add(x);
    }
  }
  return tests.filter((_, i) => chosen.has(i));
}
