import type { CallableInfo, ModuleInterface } from '@test-agent/domain';
import type { Candidate } from './generated-value';
import type { InputGenerator } from './input-generator';
import { branchKey } from './search-archive';
import { isPrivateCallable } from './test-namer';

/** How much more a missing statement or branch on a focus line weighs than another. */
const FOCUS_WEIGHT = 4;
/** How much less a private callable is tried than a public one with the same gap. */
const PRIVATE_WEIGHT = 0.4;

/** A callable the search tries, with the code in its span and what it achieved so far. */
export interface Target {
  readonly fn: CallableInfo;
  readonly lines: readonly number[];
  readonly branches: readonly string[];
  readonly archived: Candidate[];
  tries: number;
  /** Calls refused for acting outside the sandbox. */
  refused: number;
  /** Calls that hung past their limit or killed the sandbox: each costs a restart, so such a callable yields. */
  crashes: number;
}

/** The callables worth calling, each with the statements and branches of its own span. */
export function searchTargets(module: ModuleInterface, gen: InputGenerator): Map<string, Target> {
  const out = new Map<string, Target>();
  const byName = new Map(module.callables.map((c) => [c.qualname, c]));
  const statements = new Set(module.shape.statements);
  for (const fn of module.callables) {
    if (fn.isAsync) continue;
    if (fn.kind === 'class' && (!fn.constructible || fn.isEnum)) continue;
    if (fn.kind === 'method' || fn.kind === 'property') {
      const owner = byName.get(fn.owner ?? '');
      if (!owner) continue;
      if (!owner.isEnum && !gen.constructibleClass(owner.qualname)) continue;
      if (owner.isEnum && !owner.members?.length) continue;
    }
    const [from, to] = fn.span ?? [0, -1];
    // A class's own span is what its methods do not cover (class body, constructor).
    const inner =
      fn.kind === 'class' ? module.callables.filter((m) => m.owner === fn.qualname && m.span).map((m) => m.span!) : [];
    const inSpan = (l: number) => l >= from && l <= to && !inner.some(([a, b]) => l >= a && l <= b);
    out.set(fn.qualname, {
      fn,
      lines: [...statements].filter(inSpan),
      branches: module.shape.branches.filter((b) => inSpan(b[0])).map(branchKey),
      archived: [],
      tries: 0,
      refused: 0,
      crashes: 0,
    });
  }
  return out;
}

export function targetWeight(
  t: Target,
  reached: {
    lines: ReadonlySet<number>;
    branches: ReadonlySet<string>;
    meantLines: ReadonlySet<number>;
    meantBranches: ReadonlySet<string>;
    focus: ReadonlySet<number>;
  },
): number {
  const { lines, branches, meantLines, meantBranches, focus } = reached;
  const scale = (line: number) => (focus.has(line) ? FOCUS_WEIGHT : 1);
  let missing = 0;
  // Code reached only by an incidental exception counts half: a meaningful test for it is still wanted.
  for (const l of t.lines) missing += scale(l) * (!lines.has(l) ? 1 : meantLines.has(l) ? 0 : 0.5);
  for (const b of t.branches)
    missing += scale(Number(b.slice(0, b.indexOf('>')))) * (!branches.has(b) ? 1 : meantBranches.has(b) ? 0 : 0.5);
  // Public API first: a private callable is tried less (what it does is mostly reached through public calls).
  const base = (missing > 0 ? 1 + 2 * Math.sqrt(missing) : 0.15) * (isPrivateCallable(t.fn) ? PRIVATE_WEIGHT : 1);
  // Spread effort: a callable tried very often without progress slowly loses priority; one whose calls keep
  // acting outside the sandbox (never a test) quickly.
  return base / (1 + t.tries / 2000) / (1 + t.refused / 10) / (1 + 4 * t.crashes);
}
