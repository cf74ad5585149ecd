import { CoverageReport, TestAgentError, isNodeOf, type TestCase, type TestRunResult } from '@test-agent/domain';
import { tokenizePython, type PythonToken } from '../../python-text';

/** Why a case was dropped. */
export type RemovalReason =
  /** Same test as a kept one after normalising names, comments and whitespace. */
  | 'duplicate'
  /** Every line and branch it covers is covered by the kept cases. */
  | 'subsumed'
  /** It covers no line or branch of the target at all. */
  | 'covers-nothing';

export interface RemovedCase {
  readonly testCase: TestCase;
  readonly reason: RemovalReason;
  /** Names of the kept cases that make it redundant (the duplicate kept, or the cases covering its lines/branches). */
  readonly by: readonly string[];
}

export interface DeduplicationResult {
  /** The cases kept, in input order. */
  readonly kept: readonly TestCase[];
  readonly removed: readonly RemovedCase[];
}

const KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield match case'.split(
    ' ',
  ),
);
const ASSIGN_OPS = new Set([
  '=',
  '+=',
  '-=',
  '*=',
  '/=',
  '//=',
  '%=',
  '**=',
  '>>=',
  '<<=',
  '&=',
  '|=',
  '^=',
  '@=',
  ':=',
]);

/**
 * Removes tests that add nothing: first duplicates (equal after normalising the test's own name, local variable
 * names, comments, docstrings and whitespace — the most readable of a group is kept), then, over per-test
 * coverage, a greedy set cover picks cases until their union covers every line and branch any case covers,
 * and a pruning pass drops picked cases that the others cover (least readable first). The union of the kept
 * cases' coverage always equals the union of all cases' coverage. Pure and deterministic.
 */
export class TestDeduplicator {
  /**
   * Drops duplicates, then cases whose lines and branches are all covered by others. `coverage` maps a case
   * name to what that test covered of the target (see `perCaseCoverage`); a case absent from it is kept, since
   * nothing proves it redundant.
   */
  minimise(cases: readonly TestCase[], coverage: ReadonlyMap<string, CoverageReport>): DeduplicationResult {
    const { kept: unique, removed } = this.removeDuplicates(cases);
    const known = unique.filter((c) => coverage.has(c.name));
    const elements = new Map(known.map((c) => [c.name, coverageElements(coverage.get(c.name) as CoverageReport)]));
    const universe = new Set([...elements.values()].flatMap((s) => [...s]));
    const index = new Map(unique.map((c, i) => [c.name, i]));
    const score = new Map(unique.map((c) => [c.name, this.readability(c)]));
    const better = (a: TestCase, b: TestCase) =>
      (score.get(a.name) as number) - (score.get(b.name) as number) ||
      (index.get(a.name) as number) - (index.get(b.name) as number);

    // Greedy set cover: the case adding the most uncovered elements, the more readable on a tie.
    const covered = new Set<string>();
    const picked: TestCase[] = [];
    let candidates = known.filter((c) => (elements.get(c.name) as Set<string>).size > 0);
    while (covered.size < universe.size && candidates.length > 0) {
      let best: TestCase | undefined;
      let bestGain = 0;
      for (const c of candidates) {
        let gain = 0;
        for (const e of elements.get(c.name) as Set<string>) if (!covered.has(e)) gain++;
        if (gain > bestGain || (gain === bestGain && gain > 0 && best && better(c, best) < 0)) {
          best = c;
          bestGain = gain;
        }
      }
      if (!best) break;
      picked.push(best);
      for (const e of elements.get(best.name) as Set<string>) covered.add(e);
      candidates = candidates.filter((c) => c !== best);
    }

    // Prune: a picked case whose every element another picked case also covers goes, least readable first.
    const pickedSet = new Set(picked.map((c) => c.name));
    for (const c of [...picked].sort((a, b) => -better(a, b))) {
      const others = picked.filter((o) => o !== c && pickedSet.has(o.name));
      const own = elements.get(c.name) as Set<string>;
      if ([...own].every((e) => others.some((o) => (elements.get(o.name) as Set<string>).has(e))))
        pickedSet.delete(c.name);
    }

    const keep = (c: TestCase) => !coverage.has(c.name) || pickedSet.has(c.name);
    const kept = unique.filter(keep);
    const keptElements = kept.filter((c) => coverage.has(c.name)).map((c) => elements.get(c.name) as Set<string>);
    const keptUnion = new Set(keptElements.flatMap((s) => [...s]));
    if (keptUnion.size !== universe.size) {
      throw new TestAgentError(
        'TA_MINIMISER_LOST_COVERAGE',
        'internal',
        `Minimisation would lose ${universe.size - keptUnion.size} covered lines or branches`,
      );
    }
    for (const c of unique.filter((u) => !keep(u))) {
      const own = elements.get(c.name) as Set<string>;
      if (own.size === 0) {
        removed.push({ testCase: c, reason: 'covers-nothing', by: [] });
        continue;
      }
      const by = kept
        .filter((k) => coverage.has(k.name) && [...own].some((e) => (elements.get(k.name) as Set<string>).has(e)))
        .map((k) => k.name);
      removed.push({ testCase: c, reason: 'subsumed', by });
    }
    return { kept, removed };
  }

  /** Drops cases equal (by `normalisedKey`) to another one, keeping the most readable of each group. */
  removeDuplicates(cases: readonly TestCase[]): { kept: TestCase[]; removed: RemovedCase[] } {
    const groups = new Map<string, TestCase[]>();
    for (const c of cases) {
      const key = this.normalisedKey(c);
      const group = groups.get(key);
      if (group) group.push(c);
      else groups.set(key, [c]);
    }
    const winners = new Set<TestCase>();
    const removed: RemovedCase[] = [];
    for (const group of groups.values()) {
      const winner = group.reduce((best, c) => (this.readability(c) < this.readability(best) ? c : best));
      winners.add(winner);
      for (const c of group) if (c !== winner) removed.push({ testCase: c, reason: 'duplicate', by: [winner.name] });
    }
    return { kept: cases.filter((c) => winners.has(c)), removed };
  }

  /**
   * The text two cases share when they are the same test: tokens without comments or the docstring, logical
   * lines with their nesting depth (not their exact indentation), the test's and its class's own names replaced,
   * and local variables renamed in order of first assignment. Imports, support code and fixture parameters
   * are kept as they are (they change what runs).
   */
  normalisedKey(c: TestCase): string {
    // Without comments, a comment-only line leaves two newlines in a row: keep one.
    const tokens = tokenizePython(c.code)
      .filter((t) => t.kind !== 'comment')
      .filter((t, k, all) => t.kind !== 'newline' || (k > 0 && all[k - 1].kind !== 'newline'));
    const locals = localNames(tokens);
    const depthOf = indentRanks(c.code, tokens);
    const parts: string[] = [];
    let lineStart = true;
    let docstringSeen = false;
    for (let k = 0; k < tokens.length; k++) {
      const t = tokens[k];
      if (t.kind === 'newline') {
        parts.push('\n');
        lineStart = true;
        continue;
      }
      // The docstring: the first statement after the `def ...:` line, when it is a lone string. Dropped whole.
      if (
        lineStart &&
        !docstringSeen &&
        t.kind === 'string' &&
        tokens[k - 1]?.kind === 'newline' &&
        (tokens[k + 1]?.kind ?? 'newline') === 'newline'
      ) {
        docstringSeen = true;
        k++;
        continue;
      }
      if (lineStart) {
        parts.push(`${depthOf.get(t.start) ?? 0}|`);
        lineStart = false;
      }
      if (t.kind === 'name' && tokens[k - 1]?.text !== '.') {
        if (t.text === c.name) {
          parts.push('<test>');
          continue;
        }
        if (c.className && t.text === c.className) {
          parts.push('<class>');
          continue;
        }
        const local = locals.get(t.text);
        if (local && !isKeywordArgument(tokens, k)) {
          parts.push(local);
          continue;
        }
      }
      parts.push(t.text);
    }
    return (
      [...(c.imports ?? [])].sort().join('\n') + '\n--\n' + (c.support ?? []).join('\n') + '\n--\n' + parts.join(' ')
    );
  }

  /** Lower is more readable: the number of tokens, plus a penalty of 10 per line longer than 100 characters. */
  readability(c: TestCase): number {
    const tokens = tokenizePython(c.code).filter((t) => t.kind !== 'comment' && t.kind !== 'newline').length;
    const longLines = c.code.split('\n').filter((l) => l.length > 100).length;
    return tokens + 10 * longLines;
  }
}

/**
 * What each case covered, from a run of their assembled file with `perTestCoverage`: the union of the coverage
 * of the case's node id and of the nodes under it (parametrized cases, class methods). A case whose test ran
 * but touched nothing of the target gets an empty report; a case absent from `nodeIds` is absent from the map.
 */
export function perCaseCoverage(
  result: TestRunResult,
  nodeIds: ReadonlyMap<string, string>,
): Map<string, CoverageReport> {
  const out = new Map<string, CoverageReport>();
  const perTest = result.perTest ?? new Map<string, CoverageReport>();
  for (const [name, nodeId] of nodeIds) {
    let report = CoverageReport.empty(result.coverage);
    for (const [id, r] of perTest) {
      if (isNodeOf(id, nodeId)) report = report.union(r);
    }
    out.set(name, report);
  }
  return out;
}

function coverageElements(report: CoverageReport): Set<string> {
  return new Set([...report.coveredLines.map((l) => `L${l}`), ...report.coveredBranches.map(([a, b]) => `B${a}>${b}`)]);
}

/** Names the test assigns at statement level (targets of `=`/`+=`/`:`-annotations, `for`, `as`), renamed `v1`, `v2`... */
function localNames(tokens: readonly PythonToken[]): Map<string, string> {
  const locals = new Map<string, string>();
  let depth = 0;
  tokens.forEach((t, k) => {
    if (t.kind === 'op' && '([{'.includes(t.text)) depth++;
    else if (t.kind === 'op' && ')]}'.includes(t.text)) depth = Math.max(0, depth - 1);
    if (t.kind !== 'name' || KEYWORDS.has(t.text) || locals.has(t.text)) return;
    const previous = tokens[k - 1];
    const next = tokens[k + 1];
    const statementStart = !previous || previous.kind === 'newline' || previous.text === ':' || previous.text === ';';
    const assigned =
      (depth === 0 &&
        statementStart &&
        next !== undefined &&
        (ASSIGN_OPS.has(next.text) || next.text === ':') &&
        next.kind === 'op') ||
      previous?.text === 'for' ||
      previous?.text === 'as' ||
      next?.text === ':=';
    if (assigned) locals.set(t.text, `v${locals.size + 1}`);
  });
  return locals;
}

/** `f(name=...)`: a keyword argument names the callee's parameter, never a local. */
function isKeywordArgument(tokens: readonly PythonToken[], k: number): boolean {
  const previous = tokens[k - 1]?.text;
  return tokens[k + 1]?.text === '=' && (previous === '(' || previous === ',');
}

/** Token offset of each logical line's first token → the line's nesting rank (0 for the shallowest indentation). */
function indentRanks(source: string, tokens: readonly PythonToken[]): Map<number, number> {
  const starts: { start: number; width: number }[] = [];
  let lineStart = true;
  for (const t of tokens) {
    if (t.kind === 'newline') {
      lineStart = true;
      continue;
    }
    if (!lineStart) continue;
    lineStart = false;
    const from = source.lastIndexOf('\n', t.start - 1) + 1;
    starts.push({ start: t.start, width: t.start - from });
  }
  const widths = [...new Set(starts.map((s) => s.width))].sort((a, b) => a - b);
  return new Map(starts.map((s) => [s.start, widths.indexOf(s.width)]));
}
