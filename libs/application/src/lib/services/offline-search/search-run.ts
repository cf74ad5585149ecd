import {
  CoverageReport,
  PLAN_HUNG,
  type CallPlan,
  type CallResult,
  type Logger,
  type ModuleInterface,
  type SandboxSession,
} from '@test-agent/domain';
import { toPlan } from './call-plans';
import type { Candidate } from './generated-value';
import { InputGenerator } from './input-generator';
import { RandomSource } from './random-source';
import { distinctDefects, raisedKind, safeOutcome } from './raised-kinds';
import { branchKey, countOutsideEffects } from './search-archive';
import { freshCandidate, mutantOf } from './search-candidates';
import type {
  ArchivedTest,
  CallCounts,
  OutsideEffectSummary,
  SearchOptions,
  SearchOutcome,
} from './search-engine.service';
import { searchTargets, targetWeight, type Target } from './search-targets';

/** How long the search goes on without progress once everything is reached, but not all by tests of its own. */
const COMPLETE_PLATEAU_MS = 2000;
/** The search's least time before it stops to leave time for validating a large suite (`SearchOptions.reserveMs`). */
const MIN_SEARCH_MS = 5000;

/** A plan to run, with what it was made from. */
interface PlannedCall {
  readonly plan: CallPlan;
  readonly candidate?: Candidate;
  readonly doctest?: string;
}

/**
 * One search of one module (see `OfflineSearchEngine`): its fields are the search's state (what is covered, what
 * is archived, the clock and the budget), its methods the seeding, the exploring rounds and the archiving of
 * each result.
 */
export class SearchRun {
  private readonly now: () => number;
  private readonly started: number;
  private readonly deadline: number;
  private readonly plateauMs: number;
  private readonly batchSize: number;
  private readonly callTimeoutMs: number;
  private readonly reserveMs?: (tests: number) => number;
  private readonly module: ModuleInterface;
  private readonly rng: RandomSource;
  private readonly gen: InputGenerator;
  private readonly coveredLines: Set<number>;
  private readonly coveredBranches: Set<string>;
  private readonly focus: Set<number>;
  /** What tests with a meaningful outcome reach (incidental exceptions left out; see `incidental`). */
  private readonly meantLines: Set<number>;
  private readonly meantBranches: Set<string>;
  private readonly totalItems: number;
  private readonly targets: Map<string, Target>;
  private readonly tests: ArchivedTest[] = [];
  private executions = 0;
  private lastGain: number;
  private stoppedBy: SearchOutcome['stoppedBy'] = 'budget';
  private readonly outsideEffects: Record<string, OutsideEffectSummary> = {};
  private readonly defects: ArchivedTest[] = [];
  private misuses = 0;
  private readonly calls: Record<string, CallCounts> = {};

  constructor(
    private readonly session: SandboxSession,
    private readonly file: string,
    options: SearchOptions,
    private readonly logger: Logger,
  ) {
    this.now = options.now ?? (() => Date.now());
    this.started = this.now();
    this.deadline = this.started + options.timeBudgetMs;
    this.plateauMs = options.plateauMs ?? Math.max(4000, options.timeBudgetMs * 0.35);
    this.batchSize = options.batchSize ?? 64;
    this.callTimeoutMs = options.callTimeoutMs ?? 1000;
    this.reserveMs = options.reserveMs;
    const module = session.module;
    this.module = module;
    this.rng = new RandomSource(options.seed ?? 1);
    this.gen = new InputGenerator(module, this.rng);
    this.coveredLines = new Set([...module.baseline.lines, ...(options.coveredBefore?.lines ?? [])]);
    this.coveredBranches = new Set(
      [...module.baseline.branches, ...(options.coveredBefore?.branches ?? [])].map(branchKey),
    );
    this.focus = new Set(options.focusLines ?? []);
    this.meantLines = new Set(this.coveredLines);
    this.meantBranches = new Set(this.coveredBranches);
    this.totalItems = module.shape.statements.length + module.shape.branches.length;
    this.targets = searchTargets(module, this.gen);
    this.lastGain = this.now();
  }

  async run(): Promise<SearchOutcome> {
    await this.runSeeds();
    await this.explore();
    return this.outcome();
  }

  /** Seeds: doctests, then each callable with minimal arguments. */
  private async runSeeds(): Promise<void> {
    const seeds: PlannedCall[] = this.module.doctests.map((d) => ({
      plan: { doctest: d.qualname },
      doctest: d.qualname,
    }));
    for (const t of this.targets.values()) {
      for (let i = 0; i < 3; i++) {
        const c = freshCandidate(t, this.gen, this.rng, i === 0 ? 0 : 0.3);
        if (c) seeds.push({ plan: toPlan(c), candidate: c });
      }
    }
    for (let i = 0; i < seeds.length && this.now() < this.deadline; i += this.batchSize) {
      await this.runBatch(seeds.slice(i, i + this.batchSize));
    }
  }

  /** Rounds of fresh and mutated candidates, aimed at the callables with the most left to reach, until a stop. */
  private async explore(): Promise<void> {
    const list = [...this.targets.values()];
    while (this.now() < this.deadline) {
      const stop = this.stopReason();
      if (stop) {
        this.stoppedBy = stop;
        break;
      }
      const batch = this.nextBatch(list);
      if (batch.length === 0) {
        this.stoppedBy = 'complete';
        break;
      }
      await this.runBatch(batch);
    }
  }

  /**
   * `complete` when everything is reached (by tests of its own, or a while after by anything), `plateau` when stuck,
   * `budget` when what is left is what validating the archive will take (`reserveMs`).
   */
  private stopReason(): SearchOutcome['stoppedBy'] | undefined {
    // What the suite found so far will take this long to validate: the module's budget is its wall time.
    const now = this.now();
    if (
      this.reserveMs &&
      now - this.started >= MIN_SEARCH_MS &&
      now + this.reserveMs(this.tests.length) >= this.deadline
    )
      return 'budget';
    if (this.meantLines.size + this.meantBranches.size >= this.totalItems) return 'complete';
    // Everything is reached, some of it only by doctests or incidental exceptions: a short while longer for tests
    // of its own, then stop.
    const reachedAll = this.coveredLines.size + this.coveredBranches.size >= this.totalItems;
    if (this.now() - this.lastGain > (reachedAll ? Math.min(this.plateauMs, COMPLETE_PLATEAU_MS) : this.plateauMs)) {
      return reachedAll ? 'complete' : 'plateau';
    }
    return undefined;
  }

  private nextBatch(list: readonly Target[]): { plan: CallPlan; candidate: Candidate }[] {
    const { rng, gen } = this;
    const weights = list.map((t) =>
      targetWeight(t, {
        lines: this.coveredLines,
        branches: this.coveredBranches,
        meantLines: this.meantLines,
        meantBranches: this.meantBranches,
        focus: this.focus,
      }),
    );
    const batch: { plan: CallPlan; candidate: Candidate }[] = [];
    for (let n = 0; n < this.batchSize * 3 && batch.length < this.batchSize; n++) {
      const idx = rng.weighted(weights);
      if (idx < 0) break;
      const t = list[idx];
      t.tries++;
      const c =
        t.archived.length && rng.chance(0.45)
          ? mutantOf(rng.pick(t.archived), gen, rng)
          : freshCandidate(t, gen, rng, 0.3);
      if (c) batch.push({ plan: toPlan(c), candidate: c });
    }
    return batch;
  }

  private async runBatch(calls: readonly PlannedCall[]): Promise<void> {
    const results = await this.session.execute(
      calls.map((s) => s.plan),
      { timeoutMs: this.callTimeoutMs, deadline: Date.now() + (this.deadline - this.now()) },
    );
    results.forEach((result, i) => this.absorb(calls[i], result));
  }

  /** Counts, learns from and classifies one result; archives it when it reaches something new. */
  private absorb({ plan, candidate, doctest }: PlannedCall, result: CallResult): void {
    this.executions++;
    const qualname = candidate?.target.qualname ?? doctest ?? '';
    this.count(qualname, result);
    if (result.outsideEffects?.length) this.refuse(qualname, result.outsideEffects);
    if (result.status === 'crashed' && candidate) {
      const target = this.targets.get(candidate.target.qualname);
      if (target) target.crashes++;
    }
    if (!usable(result, doctest)) return;
    if (candidate) learn(this.gen, candidate, result);
    const kind = raisedKind(result, candidate, this.module);
    if (kind === 'misuse') {
      this.misuses++;
      return;
    }
    if (kind === 'defect') {
      this.defects.push({ plan, result, candidate });
      return;
    }
    // The module's own doctest examples are its author's tests: the search still looks for tests of its own
    // for what they reach (they are kept for what no such test reaches).
    const meaningful = kind !== 'incidental' && doctest === undefined;
    this.archive({ plan, result, candidate, doctest }, meaningful);
  }

  private archive(test: ArchivedTest, meaningful: boolean): void {
    const { result, candidate } = test;
    const { coveredLines, coveredBranches } = this;
    // A meaningful test is kept when it reaches something no meaningful test reached, even if an
    // incidental one did: the minimiser then prefers it.
    const lines = meaningful ? this.meantLines : coveredLines;
    const branches = meaningful ? this.meantBranches : coveredBranches;
    let gained = false;
    let gainedAny = false;
    for (const l of result.lines) if (!lines.has(l)) gained = true;
    for (const b of result.branches) if (!branches.has(branchKey(b))) gained = true;
    if (!gained) return;
    for (const l of result.lines) if (!coveredLines.has(l)) gainedAny = true;
    for (const b of result.branches) if (!coveredBranches.has(branchKey(b))) gainedAny = true;
    for (const l of result.lines) coveredLines.add(l);
    for (const b of result.branches) coveredBranches.add(branchKey(b));
    if (meaningful) {
      for (const l of result.lines) this.meantLines.add(l);
      for (const b of result.branches) this.meantBranches.add(branchKey(b));
    }
    this.tests.push(test);
    if (candidate) this.targets.get(candidate.target.qualname)?.archived.push(candidate);
    // A meaningful test for what only an incidental exception or a doctest reached is progress too.
    if (gainedAny || meaningful) this.lastGain = this.now();
  }

  /** Counts a call of `qualname`, and whether it ran into the time limit (or hung the sandbox past it). */
  private count(qualname: string, result: CallResult): void {
    const before = this.calls[qualname] ?? { executed: 0, timedOut: 0 };
    const timedOut = result.status === 'timeout' || (result.status === 'crashed' && result.error === PLAN_HUNG);
    this.calls[qualname] = { executed: before.executed + 1, timedOut: before.timedOut + (timedOut ? 1 : 0) };
  }

  /** A call of `qualname` acted outside the sandbox: counted for the report, and its callable tried less. */
  private refuse(qualname: string, effects: readonly string[]): void {
    countOutsideEffects(this.outsideEffects, qualname, effects);
    const target = this.targets.get(qualname);
    if (target) target.refused++;
  }

  private outcome(): SearchOutcome {
    const { module, coveredLines, coveredBranches, tests, executions, stoppedBy } = this;
    const coverage = CoverageReport.fromData(this.file, {
      executedLines: [...coveredLines],
      missingLines: module.shape.statements.filter((l) => !coveredLines.has(l)),
      executedBranches: module.shape.branches.filter((b) => coveredBranches.has(branchKey(b))),
      missingBranches: module.shape.branches.filter((b) => !coveredBranches.has(branchKey(b))),
    });
    const elapsedMs = this.now() - this.started;
    this.logger.debug('Offline search finished', {
      executions,
      archived: tests.length,
      stoppedBy,
      elapsedMs,
      combined: coverage.combinedPercent,
    });
    return {
      tests,
      coverage,
      executions,
      stoppedBy,
      elapsedMs,
      outsideEffects: this.outsideEffects,
      importEffects: module.importEffects ?? [],
      suspectedDefects: distinctDefects(this.defects),
      misuses: this.misuses,
      calls: this.calls,
      callTimeoutMs: this.callTimeoutMs,
    };
  }
}

function usable(result: CallResult, doctest?: string): boolean {
  if (!safeOutcome(result)) return false;
  if (doctest !== undefined)
    return result.doctest !== undefined && result.doctest.attempted > 0 && result.doctest.failed === 0;
  return true;
}

/** Remembers what built objects and what calls returned, for later inputs. */
function learn(gen: InputGenerator, c: Candidate, result: CallResult): void {
  const builtReceiver = result.status === 'ok' || (result.step !== undefined && result.step > 0);
  if (c.receiver?.kind === 'construct' && builtReceiver)
    gen.rememberConstruction(c.receiver.cls.qualname, c.receiver.args);
  if (c.target.kind === 'class' && result.status === 'ok') gen.rememberConstruction(c.target.qualname, c.args);
  if (result.status === 'ok' && result.value) {
    if (result.value.expr) gen.observe(typeOfSource(result.value.expr), result.value.expr);
    for (const p of result.value.parts ?? []) gen.observe(typeOfSource(p), p);
  }
}

/** Type name of a Python literal's source (for the pool of observed values). */
function typeOfSource(src: string): string {
  if (/^['"]/.test(src)) return 'str';
  if (src.startsWith('[')) return 'list';
  if (src.startsWith('(')) return 'tuple';
  if (src.startsWith('{')) return 'dict';
  if (/^-?\d+$/.test(src)) return 'int';
  if (/^-?[\d.]+(e-?\d+)?$/.test(src)) return 'float';
  return 'other';
}
