import type { Branch, CallResult, SandboxSession } from '@test-agent/domain';
import { callExpr, lit, type Candidate, type GenArg, type GenValue } from './input-generator';
import { pyFloat, pyInt, pyStr } from './python-source';
import { toPlan, type ArchivedTest } from './search-engine.service';

export interface SimplifyOptions {
  /** Stop starting new rounds after this time (ms, same clock as `now`). */
  readonly deadline: number;
  readonly callTimeoutMs: number;
  readonly now: () => number;
  /** Rounds of single-step simplification (default 4). */
  readonly maxRounds?: number;
}

const itemsOf = (r: CallResult): string[] => [...r.lines.map((l) => `L${l}`), ...r.branches.map((b: Branch) => `B${b[0]}>${b[1]}`)];

/**
 * Makes kept tests shorter and their arguments plainer without losing coverage: drops state-setting calls and
 * optional arguments, shrinks strings and numbers. A change is kept only when the test still ends the same way
 * (same status, same exception type) and the whole set still covers every line and branch it covered.
 */
export async function simplifyTests(session: SandboxSession, tests: readonly ArchivedTest[], options: SimplifyOptions): Promise<ArchivedTest[]> {
  let current = [...tests];
  const target = new Set(current.flatMap((t) => itemsOf(t.result)));
  for (let round = 0; round < (options.maxRounds ?? 4) && options.now() < options.deadline; round++) {
    const variants: { index: number; candidate: Candidate }[] = [];
    current.forEach((t, index) => {
      if (!t.candidate) return;
      for (const candidate of simplerVariants(t.candidate).slice(0, 12)) variants.push({ index, candidate });
    });
    if (variants.length === 0) break;
    const results = await session.execute(variants.map((v) => toPlan(v.candidate)), { timeoutMs: options.callTimeoutMs });
    let changed = false;
    const replaced = new Set<number>();
    variants.forEach((v, i) => {
      if (replaced.has(v.index)) return;
      const r = results[i];
      const old = current[v.index].result;
      if (r.status !== old.status || r.exception?.type !== old.exception?.type || r.step !== old.step || r.sideEffects?.length) return;
      if (r.status !== 'ok' && r.status !== 'raised') return;
      const trial = [...current];
      trial[v.index] = { plan: toPlan(v.candidate), result: r, candidate: v.candidate };
      const union = new Set(trial.flatMap((t) => itemsOf(t.result)));
      for (const item of target) if (!union.has(item)) return;
      current = trial;
      replaced.add(v.index);
      changed = true;
    });
    if (!changed) break;
  }
  return current;
}

/** Candidates one simplification step away, the most simplifying first. */
export function simplerVariants(c: Candidate): Candidate[] {
  const out: Candidate[] = [];
  c.prefix.forEach((_, i) => out.push({ ...c, prefix: c.prefix.filter((__, j) => j !== i) }));
  c.args.forEach((a, i) => {
    if (a.param.hasDefault || a.param.kind === 'varargs') out.push({ ...c, args: c.args.filter((_, j) => j !== i) });
  });
  if (c.receiver?.kind === 'construct') {
    const r = c.receiver;
    r.args.forEach((a, i) => {
      if (a.param.hasDefault || a.param.kind === 'varargs') out.push({ ...c, receiver: { ...r, args: r.args.filter((_, j) => j !== i) } });
    });
    r.args.forEach((a, i) => {
      for (const v of plainer(a.value)) out.push({ ...c, receiver: { ...r, args: replaceAt(r.args, i, { ...a, value: v }) } });
    });
  }
  c.args.forEach((a, i) => {
    for (const v of plainer(a.value)) out.push({ ...c, args: replaceAt(c.args, i, { ...a, value: v }) });
  });
  for (let p = 0; p < c.prefix.length; p++) {
    const step = c.prefix[p];
    step.args.forEach((a, i) => {
      for (const v of plainer(a.value)) {
        const prefix = [...c.prefix];
        prefix[p] = { ...step, args: replaceAt(step.args, i, { ...a, value: v }) };
        out.push({ ...c, prefix });
      }
    });
  }
  return out;
}

const replaceAt = (args: readonly GenArg[], i: number, a: GenArg): GenArg[] => args.map((x, j) => (j === i ? a : x));

/** Simpler values of the same kind: shorter strings, smaller numbers, objects built from plainer arguments. */
function plainer(v: GenValue, depth = 0): GenValue[] {
  const out: GenValue[] = [];
  if (v.construct && depth < 3) {
    const { path, args } = v.construct;
    const rebuild = (next: GenArg[]): GenValue => ({ ...v, expr: callExpr({ k: 'ref', path }, next), construct: { path, args: next } });
    args.forEach((a, i) => {
      if (a.param.hasDefault || a.param.kind === 'varargs') out.push(rebuild(args.filter((_, j) => j !== i)));
      for (const child of plainer(a.value, depth + 1)) out.push(rebuild(replaceAt(args, i, { ...a, value: child })));
    });
    return out;
  }
  if (v.kind === 'str' && typeof v.js === 'string' && v.js.length > 0) {
    const s = v.js;
    const candidates = [s.slice(0, Math.ceil(s.length / 2)), s.slice(Math.floor(s.length / 2)), s.replace(/[^\x20-\x7e\n]/g, ''), s.trim()];
    for (const t of candidates) if (t !== s && !out.some((o) => o.js === t)) out.push({ ...v, expr: lit(pyStr(t)), js: t });
  } else if (v.kind === 'int' && typeof v.js === 'number' && Math.abs(v.js) > 1) {
    const n = v.js;
    for (const m of [Math.sign(n), Math.trunc(n / 2), n > 0 ? n - 1 : n + 1]) if (m !== n) out.push({ ...v, expr: lit(pyInt(m)), js: m });
  } else if (v.kind === 'float' && typeof v.js === 'number') {
    const n = v.js;
    const rounded = Math.round(n * 10) / 10;
    for (const m of [rounded, Math.round(n), n / 2]) if (m !== n && Number.isFinite(m) && !out.some((o) => o.js === m)) out.push({ ...v, expr: lit(pyFloat(m)), js: m });
  }
  return out;
}
