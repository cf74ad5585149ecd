import type { Branch, CallResult, SandboxSession } from '@test-agent/domain';
import {
  callExpr,
  collectionValue,
  lit,
  stringsIn,
  valueSource,
  type Candidate,
  type Collection,
  type GenArg,
  type GenValue,
} from './generated-value';
import { simplestOf, strArgValue } from './scalar-values';
import { pyFloat, pyInt } from './python-source';
import { incidental, safeOutcome } from './raised-kinds';
import { toPlan } from './call-plans';
import { type ArchivedTest } from './search-engine.service';
import { enrichNumbers, keepsArithmeticVisible } from './numeric-inputs';
import { keepsOutcomeRich } from './outcome-richness';

export interface SimplifyOptions {
  /** Stop starting new rounds after this time (ms, same clock as `now`). */
  readonly deadline: number;
  readonly callTimeoutMs: number;
  readonly now: () => number;
  /** Rounds of single-step simplification (default 40; rounds stop early when nothing changes). */
  readonly maxRounds?: number;
  /** Variants tried per test and round (default 40). */
  readonly variantsPerTest?: number;
}

const itemsOf = (r: CallResult): string[] => [
  ...r.lines.map((l) => `L${l}`),
  ...r.branches.map((b: Branch) => `B${b[0]}>${b[1]}`),
];

/**
 * Makes kept tests shorter and their arguments plainer without losing coverage: drops state-setting calls and
 * optional arguments, shrinks strings and numbers. A change is kept only when the test still ends the same way
 * (same status, same exception type) and the whole set still covers every line and branch it covered, and a
 * number made 0, ±1 or equal to another only when the outcome stays the same (`keepsArithmeticVisible`), and
 * no input shrunk so far that the outcome shows less (a text of one line, one element: `keepsOutcomeRich`). Last,
 * degenerate numbers are replaced by plain ones that change the outcome where the coverage allows (`enrichNumbers`).
 */
export async function simplifyTests(
  session: SandboxSession,
  tests: readonly ArchivedTest[],
  options: SimplifyOptions,
): Promise<ArchivedTest[]> {
  const target = new Set(tests.flatMap((t) => itemsOf(t.result)));
  let current = await splitStateCalls(session, [...tests], target, options);
  // Tests for which no variant worked last round are done (their candidate has not changed since).
  const done = new Set<number>();
  for (let round = 0; round < (options.maxRounds ?? 40) && options.now() < options.deadline; round++) {
    const variants: { index: number; candidate: Candidate }[] = [];
    current.forEach((t, index) => {
      if (!t.candidate || done.has(index)) return;
      for (const candidate of simplerVariants(t.candidate).slice(0, options.variantsPerTest ?? 40))
        variants.push({ index, candidate });
    });
    if (variants.length === 0) break;
    const results = await session.execute(
      variants.map((v) => toPlan(v.candidate)),
      { timeoutMs: options.callTimeoutMs },
    );
    let changed = false;
    const replaced = new Set<number>();
    variants.forEach((v, i) => {
      if (replaced.has(v.index)) return;
      const r = results[i];
      const old = current[v.index].result;
      if (!endsAlike(r, v.candidate, old, current[v.index].plan)) return;
      if (!keepsArithmeticVisible(current[v.index].candidate!, v.candidate, old, r)) return;
      if (!keepsOutcomeRich(old, r)) return;
      const trial = [...current];
      trial[v.index] = { plan: toPlan(v.candidate), result: r, candidate: v.candidate };
      const union = new Set(trial.flatMap((t) => itemsOf(t.result)));
      for (const item of target) if (!union.has(item)) return;
      current = trial;
      replaced.add(v.index);
      changed = true;
    });
    for (const v of variants) if (!replaced.has(v.index)) done.add(v.index);
    if (!changed) break;
  }
  if (options.now() >= options.deadline) return current;
  // Numbers the search or the rounds above left at 0, ±1 or equal hide the arithmetic: plainer ones that do not.
  return enrichNumbers(
    session,
    current,
    options.callTimeoutMs,
    (r, c, old) => endsAlike(r, c, old.result, old.plan),
    itemsOf,
  );
}

/**
 * The variant ends the way the test did: same status, same exception type, raised by the same step from the end,
 * and it is as good a test (nothing left behind or tried outside the sandbox, no more machine-dependent).
 */
function endsAlike(r: CallResult, c: Candidate, old: CallResult, oldPlan: ArchivedTest['plan']): boolean {
  if (r.status !== old.status || r.exception?.type !== old.exception?.type || !safeOutcome(r)) return false;
  if (Boolean(r.machineDependent) !== Boolean(old.machineDependent)) return false;
  if (incidental(r) !== incidental(old)) return false;
  if (r.status === 'raised') {
    const fromEnd = (plan: ArchivedTest['plan'], step: number | undefined) => (plan.steps?.length ?? 0) - (step ?? -1);
    if (fromEnd(toPlan(c), r.step) !== fromEnd(oldPlan, old.step)) return false;
  }
  return true;
}

/**
 * A call made only to set a receiver's state often reaches code of its own (`cart.apply_coupon('')` before
 * `cart.discount()`). Rather than keep it as an unchecked line inside another test, it becomes a test of its
 * own, with its own assertions, when that keeps the coverage; a call nothing needs is dropped.
 */
async function splitStateCalls(
  session: SandboxSession,
  tests: ArchivedTest[],
  target: ReadonlySet<string>,
  options: SimplifyOptions,
): Promise<ArchivedTest[]> {
  let current = tests;
  for (let pass = 0; pass < 3 && options.now() < options.deadline; pass++) {
    const trials: { index: number; without: Candidate; alone: Candidate }[] = [];
    current.forEach((t, index) => {
      const c = t.candidate;
      if (!c || c.prefix.length === 0 || !c.receiver) return;
      const i = c.prefix.length - 1;
      // An assignment is no call to test on its own: it is only ever dropped (by `simplerVariants`).
      if (c.prefix[i].assign) return;
      const without: Candidate = { ...c, prefix: c.prefix.slice(0, i) };
      const alone: Candidate = {
        target: c.prefix[i].method,
        receiver: c.receiver,
        prefix: c.prefix.slice(0, i),
        args: c.prefix[i].args,
      };
      trials.push({ index, without, alone });
    });
    if (trials.length === 0) break;
    const results = await session.execute(
      trials.flatMap((t) => [toPlan(t.without), toPlan(t.alone)]),
      { timeoutMs: options.callTimeoutMs },
    );
    let changed = false;
    trials.forEach((trial, k) => {
      const [rWithout, rAlone] = [results[2 * k], results[2 * k + 1]];
      const old = current[trial.index];
      if (!endsAlike(rWithout, trial.without, old.result, old.plan)) return;
      const next = [...current];
      next[trial.index] = { plan: toPlan(trial.without), result: rWithout, candidate: trial.without };
      const covers = (set: readonly ArchivedTest[]) => {
        const union = new Set(set.flatMap((t) => itemsOf(t.result)));
        return [...target].every((item) => union.has(item));
      };
      if (covers(next)) {
        current = next;
        changed = true;
        return;
      }
      const aloneOk = safeOutcome(rAlone) && (rAlone.status === 'ok' || !incidental(rAlone));
      if (!aloneOk) return;
      const withAlone = [...next, { plan: toPlan(trial.alone), result: rAlone, candidate: trial.alone }];
      if (!covers(withAlone)) return;
      current = withAlone;
      changed = true;
    });
    if (!changed) break;
  }
  return current;
}

/**
 * Candidates one simplification step away, the most simplifying first: fewer calls, fewer arguments, then
 * plainer values (taken round-robin over the argument positions, so every argument gets its turn).
 */
export function simplerVariants(c: Candidate): Candidate[] {
  const out: Candidate[] = [];
  c.prefix.forEach((_, i) => out.push({ ...c, prefix: c.prefix.filter((__, j) => j !== i) }));
  c.args.forEach((a, i) => {
    if (a.param.hasDefault || a.param.kind === 'varargs') out.push({ ...c, args: c.args.filter((_, j) => j !== i) });
  });
  const perPosition: Candidate[][] = [];
  if (c.receiver?.kind === 'construct') {
    const r = c.receiver;
    r.args.forEach((a, i) => {
      if (a.param.hasDefault || a.param.kind === 'varargs')
        out.push({ ...c, receiver: { ...r, args: r.args.filter((_, j) => j !== i) } });
    });
    r.args.forEach((a, i) => {
      perPosition.push(
        plainer(a.value).map((v) => ({ ...c, receiver: { ...r, args: replaceAt(r.args, i, { ...a, value: v }) } })),
      );
    });
  }
  c.args.forEach((a, i) => {
    perPosition.push(plainer(a.value).map((v) => ({ ...c, args: replaceAt(c.args, i, { ...a, value: v }) })));
  });
  for (let p = 0; p < c.prefix.length; p++) {
    const step = c.prefix[p];
    step.args.forEach((a, i) => {
      perPosition.push(
        plainer(a.value).map((v) => {
          const prefix = [...c.prefix];
          prefix[p] = { ...step, args: replaceAt(step.args, i, { ...a, value: v }) };
          return { ...c, prefix };
        }),
      );
    });
  }
  // A string used in several places (a key put in, then looked up) shrinks everywhere at once.
  const counts = new Map<string, number>();
  for (const v of valuesOf(c)) for (const str of stringsIn(v)) counts.set(str, (counts.get(str) ?? 0) + 1);
  for (const [str, n] of counts) {
    if (n < 2 || str.length < 2) continue;
    perPosition.push(
      shorterStrings(str)
        .filter((t) => t !== '')
        .slice(0, 8)
        .map((t) => mapCandidate(c, (v) => renameString(v, str, t))),
    );
  }
  for (let k = 0; perPosition.some((list) => k < list.length); k++) {
    for (const list of perPosition) if (k < list.length) out.push(list[k]);
  }
  return out;
}

/** Every argument value of a candidate (receiver, calls before, call under test), top level only. */
function valuesOf(c: Candidate): GenValue[] {
  return [
    ...(c.receiver?.kind === 'construct' ? c.receiver.args : []),
    ...c.prefix.flatMap((p) => p.args),
    ...c.args,
  ].map((a) => a.value);
}

/** The candidate with `f` applied to every top-level argument value. */
function mapCandidate(c: Candidate, f: (v: GenValue) => GenValue): Candidate {
  const args = (list: readonly GenArg[]) => list.map((a) => ({ ...a, value: f(a.value) }));
  return {
    ...c,
    ...(c.receiver?.kind === 'construct' ? { receiver: { ...c.receiver, args: args(c.receiver.args) } } : {}),
    prefix: c.prefix.map((p) => ({ ...p, args: args(p.args) })),
    args: args(c.args),
  };
}

/** The value with every str equal to `from` (constructor arguments and collection elements included) set to `to`. */
function renameString(v: GenValue, from: string, to: string, depth = 0): GenValue {
  if (depth > 4) return v;
  if (v.kind === 'str' && v.js === from) return withString(v, to);
  if (v.construct) {
    const { path } = v.construct;
    const args = v.construct.args.map((a) => ({ ...a, value: renameString(a.value, from, to, depth + 1) }));
    return { ...v, expr: callExpr({ kind: 'ref', path }, args), construct: { path, args } };
  }
  if (v.collection) {
    const c = v.collection;
    const items = c.items.map((x) => renameString(x, from, to, depth + 1));
    const keys = c.keys?.map((x) => renameString(x, from, to, depth + 1));
    return collectionValue({ ...c, items, ...(keys ? { keys } : {}) }, v.hint, valueSource);
  }
  return v;
}

/** The str value `v` holding `s` instead (re-rooted when `s` names a place outside the working directory). */
const withString = (v: GenValue, s: string): GenValue => ({ ...v, ...strArgValue(s, v.hint) });

const replaceAt = (args: readonly GenArg[], i: number, a: GenArg): GenArg[] => args.map((x, j) => (j === i ? a : x));

/**
 * Simpler values of the same kind, most simplifying first: shorter strings (chunks removed, halves, trimmed),
 * smaller numbers, collections with fewer or plainer elements, objects built from plainer arguments.
 */
export function plainer(v: GenValue, depth = 0): GenValue[] {
  const out: GenValue[] = [];
  if (depth > 3) return out;
  // A value that ignored its parameter's type: a plain value of that type reads better, when it does the same.
  if (v.offHint) out.push(...simplestOf(v.offHint));
  if (v.construct) {
    const { path, args } = v.construct;
    const rebuild = (next: GenArg[]): GenValue => ({
      ...v,
      expr: callExpr({ kind: 'ref', path }, next),
      construct: { path, args: next },
    });
    args.forEach((a, i) => {
      if (a.param.hasDefault || a.param.kind === 'varargs') out.push(rebuild(args.filter((_, j) => j !== i)));
    });
    const children = args.map((a) => plainer(a.value, depth + 1));
    for (let k = 0; children.some((list) => k < list.length); k++) {
      children.forEach((list, i) => {
        if (k < list.length) out.push(rebuild(replaceAt(args, i, { ...args[i], value: list[k] })));
      });
    }
    return out;
  }
  if (v.collection) {
    const c = v.collection;
    const rebuild = (next: Collection): GenValue => collectionValue(next, v.hint, valueSource);
    if (c.items.length > 1) out.push(rebuild({ ...c, items: [], ...(c.keys ? { keys: [] } : {}) }));
    // A long collection halves in one step (one element at a time would take as many rounds as it has elements).
    if (c.items.length > 3) {
      const half = Math.ceil(c.items.length / 2);
      out.push(rebuild({ ...c, items: c.items.slice(0, half), ...(c.keys ? { keys: c.keys.slice(0, half) } : {}) }));
    }
    c.items.forEach((_, i) =>
      out.push(
        rebuild({
          ...c,
          items: c.items.filter((__, j) => j !== i),
          ...(c.keys ? { keys: c.keys.filter((__, j) => j !== i) } : {}),
        }),
      ),
    );
    const children = [
      ...c.items.map((x, i) =>
        plainer(x, depth + 1).map((y) => rebuild({ ...c, items: c.items.map((z, j) => (j === i ? y : z)) })),
      ),
      // Keys stay non-empty: `{'': 1}` reads as a mistake.
      ...(c.keys ?? []).map((x, i) =>
        plainer(x, depth + 1)
          .filter((y) => y.js !== '')
          .map((y) => rebuild({ ...c, keys: c.keys!.map((z, j) => (j === i ? y : z)) })),
      ),
    ];
    for (let k = 0; children.some((list) => k < list.length); k++)
      for (const list of children) if (k < list.length) out.push(list[k]);
    return out;
  }
  if (v.kind === 'str' && typeof v.js === 'string' && v.js.length > 0) {
    for (const t of shorterStrings(v.js)) {
      // A shorter path may leave the working directory (`a/b` → `/b`): re-rooted, it may equal the original.
      const shorter = withString(v, t);
      if (shorter.js !== v.js && !out.some((o) => o.js === shorter.js)) out.push(shorter);
    }
  } else if (v.kind === 'int' && typeof v.js === 'number' && v.js !== 0) {
    const n = v.js;
    for (const m of [0, Math.sign(n), Math.trunc(n / 2), n > 0 ? n - 1 : n + 1])
      if (m !== n && !out.some((o) => o.js === m)) out.push({ ...v, expr: lit(pyInt(m)), js: m });
  } else if (v.kind === 'float' && typeof v.js === 'number' && v.js !== 0) {
    const n = v.js;
    const rounded = Math.round(n * 10) / 10;
    // Half only when it is no longer to write (0.6 → 0.3, not 0.1 → 0.05): with 0 refused (`keepsArithmeticVisible`)
    // a number would otherwise go back and forth between halving and rounding.
    const half = pyFloat(n / 2).length <= pyFloat(n).length ? [n / 2] : [];
    for (const m of [0, Math.sign(n), rounded, Math.round(n), ...half]) {
      if (m !== n && Number.isFinite(m) && !out.some((o) => o.js === m))
        out.push({ ...v, expr: lit(pyFloat(m)), js: m });
    }
  }
  return out;
}

/** Shorter versions of a string: empty, halves, then chunks of a quarter and an eighth removed, trimmed, ASCII only. */
export function shorterStrings(s: string): string[] {
  const out: string[] = [''];
  const n = s.length;
  out.push(s.slice(0, Math.ceil(n / 2)), s.slice(Math.floor(n / 2)));
  for (const parts of [4, 8]) {
    const size = Math.ceil(n / parts);
    if (size < 1 || size >= n) continue;
    for (let at = 0; at < n; at += size) out.push(s.slice(0, at) + s.slice(at + size));
  }
  out.push(s.trim(), s.replace(/[^\x20-\x7e\n\t]/g, ''), s.replace(/\s+/g, ' '));
  if (n <= 8) for (let i = 0; i < n; i++) out.push(s.slice(0, i) + s.slice(i + 1));
  return [...new Set(out)].filter((t) => t !== s && t.length < n + 1 && !(t.length === n && t === s));
}
