import type {
  Branch,
  CallableInfo,
  CoverageReport,
  ModuleStructure,
  StatementContext,
  StructureArm,
  StructureHeader,
  StructureScope,
} from '@test-agent/domain';
import type { CallCounts, OutsideEffects } from '../../services/offline-search/search-engine.service';

/**
 * Why a line or branch is not covered, the most likely reason first:
 * - `main-block`: under `if __name__ == "__main__":` (runs only as a script);
 * - `after-exit`: after a statement of its block that always leaves (`sys.exit(...)`): no way leads to it;
 * - `outside-sandbox`: calls of its function were refused for acting outside the sandbox;
 * - `timed-out`: calls of its function ran past the per-call time limit;
 * - `never-called`: no test runs its function at all;
 * - `condition-never-true`: the condition that opens it (`if`/`elif`/`while`, a loop with items, an exception an
 *   `except` names, a `case` pattern) never held when reached;
 * - `condition-never-false`: the way past a condition (`else`, `elif`, the end of a loop) was never taken;
 * - `raised-before`: the statement before it always raised or left (a `try` whose `else` never ran);
 * - `import-failed`: no test imported the module that far; `unknown`: none of these.
 */
export type UncoveredKind =
  | 'main-block'
  | 'after-exit'
  | 'outside-sandbox'
  | 'timed-out'
  | 'never-called'
  | 'condition-never-true'
  | 'condition-never-false'
  | 'raised-before'
  | 'import-failed'
  | 'unknown';

/** Uncovered lines and branches next to each other with the same reason. */
export interface UncoveredGroup {
  /** Statement lines (1-based), ascending; may be empty when only branches are missing. */
  readonly lines: readonly number[];
  readonly branches: readonly Branch[];
  readonly kind: UncoveredKind;
  /** In words, naming the code: `never true: isinstance(x, bytes)`, `3 of 40 calls of spin ran past ...`. */
  readonly detail: string;
}

/** What the classifier knows besides the final coverage: the module's structure and how the search's calls went. */
export interface UncoveredFacts {
  readonly structure: ModuleStructure;
  readonly callables: readonly CallableInfo[];
  /** What importing the module covers: with no test kept, the report counts it covered (`ModuleCoverage`). */
  readonly imported: { readonly lines: readonly number[]; readonly branches: readonly Branch[] };
  readonly outsideEffects: OutsideEffects;
  readonly calls: Readonly<Record<string, CallCounts>>;
  readonly callTimeoutMs: number;
  /** False when no test was kept: then what importing covers is covered, and the rest is explained. */
  readonly testsKept: boolean;
}

interface Reason {
  readonly kind: UncoveredKind;
  readonly detail: string;
}

/** Reasons that no fact about the function's calls can change. */
const SETTLED: ReadonlySet<UncoveredKind> = new Set([
  'main-block',
  'after-exit',
  'import-failed',
  'outside-sandbox',
  'timed-out',
]);

/** An uncovered line or branch with its reason; `at` is the line, or the branch's `from`. */
interface Item {
  readonly at: number;
  readonly line?: number;
  readonly branch?: Branch;
  readonly reason: Reason;
}

/** Every uncovered line and branch of `coverage` with its reason, grouped (see `UncoveredGroup`), in line order. */
export function whyNotCovered(coverage: CoverageReport, facts: UncoveredFacts): UncoveredGroup[] {
  const ran = facts.testsKept ? { lines: [], branches: [] } : facts.imported;
  const covered = new Set([...coverage.coveredLines, ...ran.lines]);
  const taken = new Set([...coverage.coveredBranches, ...ran.branches].map(key));
  const explainer = new UncoveredExplainer(facts, covered, taken);
  const missing = new Set(coverage.missingLines.filter((line) => !covered.has(line)));
  const same = (a: Reason, b: Reason) => a.kind === b.kind && a.detail === b.detail;
  // A branch goes with the uncovered line it leads to when they have one reason, else with the line it leaves;
  // at one line, branches come first.
  const items = [
    ...coverage.missingLines
      .filter((line) => !covered.has(line))
      .map((line): Item => ({ at: line, line, reason: explainer.line(line) })),
    ...coverage.missingBranches
      .filter((branch) => !taken.has(key(branch)))
      .map((branch): Item => {
        const reason = explainer.branch(branch);
        const into = branch[1] > 0 && missing.has(branch[1]) && same(explainer.line(branch[1]), reason);
        return { at: into ? branch[1] : branch[0], branch, reason };
      }),
  ].sort((a, b) => a.at - b.at || Number(a.branch === undefined) - Number(b.branch === undefined));
  const statements = [...coverage.coveredLines, ...coverage.missingLines];
  const coveredBetween = (from: number, to: number) => statements.some((s) => s > from && s < to && covered.has(s));
  const groups: { lines: number[]; branches: Branch[]; kind: UncoveredKind; detail: string }[] = [];
  let last = 0;
  for (const item of items) {
    let group = groups[groups.length - 1];
    if (!group || !same(group, item.reason) || coveredBetween(last, item.at)) {
      group = { lines: [], branches: [], kind: item.reason.kind, detail: item.reason.detail };
      groups.push(group);
    }
    if (item.branch) group.branches.push(item.branch);
    else if (item.line !== undefined) group.lines.push(item.line);
    last = item.at;
  }
  for (const g of groups) g.branches.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return groups;
}

/** The reasons of one module's lines and branches, each line's worked out once (it often explains the next). */
class UncoveredExplainer {
  private readonly contexts: Map<number, StatementContext>;
  private readonly scopes: Map<string, StructureScope>;
  private readonly headers: Map<number, StructureHeader>;
  private readonly leaving: Map<number, string>;
  private readonly arms: Map<string, StructureArm>;
  private readonly known = new Map<number, Reason>();

  constructor(
    private readonly facts: UncoveredFacts,
    private readonly covered: ReadonlySet<number>,
    /** Branch arcs that ran (`from>to`). */
    private readonly taken: ReadonlySet<string>,
  ) {
    const { structure } = facts;
    this.contexts = new Map(structure.statements.map((s) => [s.line, s]));
    this.scopes = new Map(structure.scopes.map((s) => [s.qualname, s]));
    this.headers = new Map(structure.headers.map((h) => [h.line, h]));
    this.leaving = new Map(structure.leaving.map((l) => [l.line, l.text]));
    this.arms = new Map(structure.arcs.map(([a, b, arm]) => [key([a, b]), arm]));
  }

  line(line: number): Reason {
    let reason = this.known.get(line);
    if (!reason) {
      reason = this.explainLine(line);
      this.known.set(line, reason);
    }
    return reason;
  }

  branch([from, to]: Branch): Reason {
    if (!this.covered.has(from)) return this.line(from);
    const scope = this.contexts.get(from)?.scope ?? '';
    const arm = this.arms.get(key([from, to]));
    if (arm === 'call') {
      const called = this.facts.structure.scopes.find((s) => s.line === from);
      if (called) return this.withCalls(called.qualname, this.neverCalled(called.qualname));
    }
    const reason = arm ? this.armReason(from, arm) : undefined;
    return this.withCalls(
      scope,
      reason ?? { kind: 'unknown', detail: `line ${from} never went on to ${to < 0 ? 'leave' : `line ${to}`}` },
    );
  }

  private explainLine(line: number): Reason {
    const ctx = this.contexts.get(line);
    if (!ctx) return { kind: 'unknown', detail: `line ${line} is not a statement of the module's syntax tree` };
    if (ctx.main) return { kind: 'main-block', detail: 'under if __name__ == "__main__": runs only as a script' };
    if (ctx.deadAfter !== undefined)
      return {
        kind: 'after-exit',
        detail: `after line ${ctx.deadAfter} (${this.leaving.get(ctx.deadAfter) ?? 'it'}), which always leaves`,
      };
    const scope = this.scopes.get(ctx.scope);
    if (scope && scope.line < line && !this.covered.has(scope.line)) return this.line(scope.line);
    if (scope?.kind === 'function' && scope.body !== undefined && !this.covered.has(scope.body))
      return this.withCalls(ctx.scope, this.neverCalled(ctx.scope));
    return this.withCalls(ctx.scope, this.flow(ctx));
  }

  /** The reason from the way to the line: the statement before it, or the condition that opens it. */
  private flow(ctx: StatementContext): Reason {
    if (ctx.previous !== undefined && ctx.previous < ctx.line) {
      if (!this.covered.has(ctx.previous)) return this.line(ctx.previous);
      return this.stoppedAt(ctx.previous);
    }
    if (ctx.guard && ctx.guard[0] < ctx.line) {
      const [header, arm] = ctx.guard;
      if (!this.covered.has(header)) return this.line(header);
      return this.armReason(header, arm) ?? { kind: 'unknown', detail: `line ${header} never led here` };
    }
    if (ctx.scope === '') return { kind: 'import-failed', detail: 'no test imported the module' };
    return { kind: 'unknown', detail: `the first statement of ${ctx.scope}` };
  }

  /** `previous` ran but never went on: the way past it was never taken, or it always raised or left. */
  private stoppedAt(previous: number): Reason {
    const header = this.headers.get(previous);
    if (header && header.kind !== 'try' && header.kind !== 'except') {
      const past = header.kind === 'for' ? 'complete' : 'false';
      // The way past it was never taken (the line after an `if` whose body always returns, after a loop that
      // always breaks out or returns).
      const notTaken = this.facts.structure.arcs.some(
        ([a, b, arm]) => a === previous && arm === past && !this.taken.has(key([a, b])),
      );
      if (notTaken) return this.armReason(previous, past)!;
    }
    const what = header?.kind === 'try' ? `the try at line ${previous}` : `line ${previous}`;
    return { kind: 'raised-before', detail: `${what} always raised or left when it ran` };
  }

  /** Why the arm `arm` of the header at `line` was never taken (undefined: no header there). */
  private armReason(line: number, arm: StructureArm): Reason | undefined {
    const header = this.headers.get(line);
    if (!header) return undefined;
    const text = header.text;
    if (header.kind === 'main' && arm === 'true')
      return { kind: 'main-block', detail: 'under if __name__ == "__main__": runs only as a script' };
    switch (arm) {
      case 'true':
        return header.kind === 'case'
          ? { kind: 'condition-never-true', detail: `never matched: case ${text}` }
          : { kind: 'condition-never-true', detail: `never true: ${text}` };
      case 'false':
        return header.kind === 'case'
          ? { kind: 'condition-never-false', detail: `always matched: case ${text}` }
          : { kind: 'condition-never-false', detail: `never false: ${text}` };
      case 'enter':
        return { kind: 'condition-never-true', detail: `the loop never ran: for ${text}` };
      case 'complete':
        return { kind: 'condition-never-false', detail: `the loop never ran to its end: for ${text}` };
      case 'raise':
        return { kind: 'condition-never-true', detail: `the try at line ${line} never raised` };
      case 'except':
        return { kind: 'condition-never-true', detail: `never raised: ${text || 'any exception'}` };
      case 'else':
        return { kind: 'raised-before', detail: `the try at line ${line} always raised` };
      default:
        return undefined;
    }
  }

  /** No test runs `qualname`: why, as far as the search's calls tell. */
  private neverCalled(qualname: string): Reason {
    const nested = qualname.lastIndexOf('.<locals>.');
    if (nested >= 0)
      return {
        kind: 'never-called',
        detail: `no test's run of ${qualname.slice(0, nested)} calls ${qualname.slice(nested + 10)}`,
      };
    const callable = this.facts.callables.find((c) => c.qualname === qualname);
    const owner = callable?.owner ? this.facts.callables.find((c) => c.qualname === callable.owner) : undefined;
    const tried = this.facts.calls[qualname]?.executed ?? 0;
    const detail = callable?.isAsync
      ? `${qualname} is async: the offline search does not call it`
      : owner?.constructible === false
        ? `${qualname}: its class ${owner.qualname} could not be built`
        : tried > 0
          ? `no kept test calls ${qualname} (${tried} call${tried === 1 ? ' was' : 's were'} tried)`
          : `no test calls ${qualname}`;
    return { kind: 'never-called', detail };
  }

  /** `reason`, unless calls of the code's function were refused or timed out: then that, with `reason` after it. */
  private withCalls(scope: string, reason: Reason): Reason {
    if (SETTLED.has(reason.kind)) return reason;
    const also = reason.kind === 'never-called' ? '' : `; ${reason.detail}`;
    for (const name of callersOf(scope)) {
      const refused = this.facts.outsideEffects[name];
      if (refused)
        return {
          kind: 'outside-sandbox',
          detail: `${refused.calls} call${refused.calls === 1 ? '' : 's'} of ${name} refused (${refused.examples.join(', ')})${also}`,
        };
      const calls = this.facts.calls[name];
      if (calls?.timedOut)
        return {
          kind: 'timed-out',
          detail: `${calls.timedOut} of ${calls.executed} calls of ${name} ran past the ${this.facts.callTimeoutMs} ms limit${also}`,
        };
    }
    return reason;
  }
}

const key = ([from, to]: Branch): string => `${from}>${to}`;

/**
 * The callables whose calls run code of `scope`: itself, the functions a nested function sits in, and for a
 * constructor its class (the search calls the class).
 */
function callersOf(scope: string): string[] {
  if (!scope) return [];
  const names = [scope];
  let s = scope;
  for (let at = s.lastIndexOf('.<locals>.'); at >= 0; at = s.lastIndexOf('.<locals>.')) {
    s = s.slice(0, at);
    names.push(s);
  }
  const constructor = /^(.+)\.(__init__|__new__|__post_init__)$/.exec(scope);
  if (constructor) names.push(constructor[1]);
  return names;
}
