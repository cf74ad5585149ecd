import type { CallResult, SandboxSession } from '@test-agent/domain';
import { toPlan } from './call-plans';
import { keepsOutcomeRich } from './outcome-richness';
import { lit, type Candidate, type GenArg, type GenValue } from './generated-value';
import { pyFloat, pyInt } from './python-source';
import type { ArchivedTest } from './search-engine.service';

/**
 * Numbers that hide arithmetic: with `0` a product vanishes, with `1` or `-1` a factor does, and two equal
 * arguments hide which of them a formula uses (`r - g` of a grey). A test whose numbers are all like that checks
 * that the code runs, hardly what it computes.
 */
const DEGENERATE = new Set([0, 1, -1]);

/** Replacements for a degenerate number, in the order tried: plain, distinct from each other, none 0 or ±1. */
const RICH_FLOATS = [0.3, 0.7, 0.45, 0.2, 0.6, 0.85];
const RICH_INTS = [3, 7, 5, 2, 6, 4];

const isNumber = (v: GenValue): boolean => (v.kind === 'int' || v.kind === 'float') && typeof v.js === 'number';

/** The candidate with `f` applied to each top-level argument (receiver's constructor, calls before, the call). */
function mapArgs(c: Candidate, f: (v: GenValue, position: number) => GenValue): Candidate {
  let position = 0;
  const args = (list: readonly GenArg[]) => list.map((a) => ({ ...a, value: f(a.value, position++) }));
  const receiver = c.receiver?.kind === 'construct' ? { ...c.receiver, args: args(c.receiver.args) } : c.receiver;
  const prefix = c.prefix.map((p) => ({ ...p, args: args(p.args) }));
  return { ...c, ...(receiver ? { receiver } : {}), prefix, args: args(c.args) };
}

/** The top-level argument values of a candidate, in `mapArgs` order. */
function argValues(c: Candidate): GenValue[] {
  const out: GenValue[] = [];
  mapArgs(c, (v) => {
    out.push(v);
    return v;
  });
  return out;
}

/** Positions (in `mapArgs` order) of the numeric arguments that are 0, ±1 or equal to another numeric argument. */
export function degeneratePositions(c: Candidate): number[] {
  const values = argValues(c);
  const numbers = values.map((v) => (isNumber(v) ? (v.js as number) : undefined));
  return numbers.flatMap((n, i) =>
    n !== undefined && (DEGENERATE.has(n) || numbers.some((m, j) => j !== i && m === n)) ? [i] : [],
  );
}

/** What a caller sees of an outcome: the value returned and what was printed, or the exception's message. */
export function observed(r: CallResult): string {
  return r.status === 'raised'
    ? `${r.exception?.type}: ${r.exception?.message}`
    : `${r.value?.canon ?? ''}\u0000${r.stdout ?? ''}`;
}

/**
 * A simplification may make a number degenerate (`0.63` → `0.0`) only when that changes nothing a caller sees:
 * when it changes the outcome, the argument takes part in what the code computes, and a degenerate value would
 * hide how (a mutated `b*q` passes every test with `q = 0.0`).
 */
export function keepsArithmeticVisible(
  before: Candidate,
  after: Candidate,
  oldResult: CallResult,
  newResult: CallResult,
): boolean {
  if (degeneratePositions(after).length <= degeneratePositions(before).length) return true;
  return observed(newResult) === observed(oldResult);
}

/**
 * Variants of a candidate whose degenerate numbers are replaced by plain non-degenerate ones (same sign, an int
 * stays an int): all of them at once with two different sets of values, then each one alone. Empty when none is
 * degenerate.
 */
export function richerVariants(c: Candidate): Candidate[] {
  const positions = degeneratePositions(c);
  if (positions.length === 0) return [];
  const taken = new Set(argValues(c).flatMap((v) => (isNumber(v) ? [v.js as number] : [])));
  const richAt = (v: GenValue, k: number): GenValue => {
    const pool = v.kind === 'int' ? RICH_INTS : RICH_FLOATS;
    const free = pool.filter((n) => !taken.has(n));
    const sign = (v.js as number) < 0 ? -1 : 1;
    const n = sign * free[k % free.length];
    return { ...v, expr: lit(v.kind === 'int' ? pyInt(n) : pyFloat(n)), js: n };
  };
  const replaced = (chosen: readonly number[], offset: number) =>
    mapArgs(c, (v, i) => (chosen.includes(i) ? richAt(v, chosen.indexOf(i) + offset) : v));
  const out = [replaced(positions, 0), replaced(positions, positions.length)];
  if (positions.length > 1) for (const p of positions) out.push(replaced([p], 0));
  return out;
}

/**
 * After the simplification: each kept test whose numbers are degenerate is run again with plain non-degenerate
 * numbers (`richerVariants`), and the first variant that ends the same way, changes what the caller sees and
 * keeps the whole set's coverage replaces it. One batch of calls; `endsAlike` is the simplifier's judge.
 */
export async function enrichNumbers(
  session: SandboxSession,
  tests: readonly ArchivedTest[],
  callTimeoutMs: number,
  endsAlike: (r: CallResult, c: Candidate, old: ArchivedTest) => boolean,
  itemsOf: (r: CallResult) => string[],
): Promise<ArchivedTest[]> {
  const variants = tests.flatMap((t, index) =>
    t.candidate ? richerVariants(t.candidate).map((candidate) => ({ index, candidate })) : [],
  );
  if (variants.length === 0) return [...tests];
  const results = await session.execute(
    variants.map((v) => toPlan(v.candidate)),
    { timeoutMs: callTimeoutMs },
  );
  const target = new Set(tests.flatMap((t) => itemsOf(t.result)));
  let current = [...tests];
  const replaced = new Set<number>();
  variants.forEach((v, i) => {
    const r = results[i];
    const old = current[v.index];
    if (replaced.has(v.index) || !endsAlike(r, v.candidate, old) || observed(r) === observed(old.result)) return;
    if (!keepsOutcomeRich(old.result, r)) return;
    const trial = [...current];
    trial[v.index] = { plan: toPlan(v.candidate), result: r, candidate: v.candidate };
    const union = new Set(trial.flatMap((t) => itemsOf(t.result)));
    if (![...target].every((item) => union.has(item))) return;
    current = trial;
    replaced.add(v.index);
  });
  return current;
}
