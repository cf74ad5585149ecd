import {
  silentLogger,
  type CallResult,
  type ExecutionSandbox,
  type Logger,
  type ModuleInterface,
  type ModuleTarget,
  type SandboxSession,
} from '@test-agent/domain';
import {
  PytestEmitter,
  type EmittableTest,
  type EmittedFile,
  type PytestEmitOptions,
  type Stability,
} from './pytest-emitter';
import {
  OfflineSearchEngine,
  type ArchivedTest,
  type OutsideEffectSummary,
  type OutsideEffects,
  type SearchOptions,
  type SearchOutcome,
} from './search-engine.service';
import { countOutsideEffects, minimiseArchive } from './search-archive';
import { distinctDefects, raisedKind } from './raised-kinds';
import { SEARCH_RERUN_MACHINE, onMachine } from '../flakiness-checker/machine-perturbations';
import { simplifyTests } from './test-simplifier';

export interface OfflineGenerationOptions {
  /** Search budget, in ms. */
  readonly timeBudgetMs: number;
  /** Budget of the simplification after the search, in ms (default: 25 % of the search's, between 1.5 and 12 s). */
  readonly simplifyBudgetMs?: number;
  /** Longest wait for the module's import, in ms (default: half the search budget, at least 10 s). */
  readonly importTimeoutMs?: number;
  readonly seed?: number;
  /** Limit per call in the sandbox, in ms. */
  readonly callTimeoutMs?: number;
  readonly now?: () => number;
  /** Lines the search aims at first (see `SearchOptions.focusLines`). */
  readonly focusLines?: SearchOptions['focusLines'];
  /** Coverage other tests already give (see `SearchOptions.coveredBefore`). */
  readonly coveredBefore?: SearchOptions['coveredBefore'];
  /** Suspected defects go into the file as `xfail(strict=True)` tests (see `PytestEmitOptions.pinDefects`). */
  readonly pinDefects?: boolean;
  /** Time the validation of a large suite needs beyond the budget's share (see `SearchOptions.reserveMs`). */
  readonly reserveMs?: SearchOptions['reserveMs'];
}

/** The result of searching one module: the kept tests and a renderer for the pytest file. */
export interface OfflineGeneration {
  readonly target: ModuleTarget;
  readonly module: ModuleInterface;
  readonly search: SearchOutcome;
  /** Kept tests (minimised, checked for stability) in the order they were found; suspected defects last. */
  readonly tests: readonly EmittableTest[];
  /** Tests dropped because a second run disagreed on their outcome. */
  readonly unstable: number;
  /**
   * Per callable qualname: calls refused because they tried to act outside the sandbox (write, delete, network,
   * processes, signals), with a few examples; those calls are not tested offline. The search's count plus kept
   * tests whose re-run tried it. Empty when there were none.
   */
  readonly outsideEffects: OutsideEffects;
  /** What importing the module tried to do outside the sandbox (blocked); empty when nothing. */
  readonly importEffects: readonly string[];
  /** The pytest file, leaving out the test functions named in `exclude`. */
  render(exclude?: ReadonlySet<string>): EmittedFile;
}

/**
 * The offline engine for one module: search in a sandbox, keep the fewest tests that hold the coverage,
 * re-run them in a fresh sandbox with another hash seed, time zone, locale and proxies (and once more in the
 * first one) to find what is not deterministic or comes from the machine, then render a readable pytest file.
 */
export class OfflineTestGenerator {
  private readonly engine: OfflineSearchEngine;
  private readonly emitter = new PytestEmitter();

  constructor(
    private readonly sandbox: ExecutionSandbox,
    private readonly logger: Logger = silentLogger,
  ) {
    this.engine = new OfflineSearchEngine(logger);
  }

  async generate(target: ModuleTarget, options: OfflineGenerationOptions): Promise<OfflineGeneration> {
    const log = this.logger.child('offline_search');
    const callTimeoutMs = options.callTimeoutMs ?? 1000;
    // The import counts against the budget: a module that hangs while imported costs half of it, but at least
    // 10 s — a real package's traced import takes seconds on a busy machine (jinja2.nodes: 0.5 s alone, over 2.5 s
    // beside other work), and a slow import must not read as a failed one.
    const loadTimeoutMs = options.importTimeoutMs ?? Math.max(10_000, options.timeBudgetMs / 2);
    const clock = options.now ?? (() => Date.now());
    const opening = clock();
    const session = await this.sandbox.open(target, { hashSeed: 0, loadTimeoutMs });
    // The second session (below) imports the module again: the search leaves it that time, up to half its budget.
    const importMs = clock() - opening;
    let search: SearchOutcome;
    let again: CallResult[];
    try {
      ({ search, again } = await this.searchModule(session, target, options, importMs, callTimeoutMs));
    } finally {
      await session.close();
    }
    const other = await this.rerunElsewhere(target, search, loadTimeoutMs, callTimeoutMs);
    const year = new Date((options.now ?? (() => Date.now()))()).getUTCFullYear();
    const judged = [...search.tests, ...search.suspectedDefects].map((test, i) => ({
      test,
      stability: stability(test.result, [again[i], other[i]], { year, planText: JSON.stringify(test.plan) }),
      ...(i >= search.tests.length ? { defect: true } : {}),
    }));
    const tests: EmittableTest[] = judged.filter((t) => !t.defect || t.stability.outcome);
    const outsideEffects = withRerunEffects(search.outsideEffects, search.tests, [again, other]);
    const unstable = tests.filter((t) => !t.stability.outcome).length;
    const emitOptions: PytestEmitOptions = { pinDefects: options.pinDefects };
    log.info('Offline search done', {
      module: target.moduleName,
      executions: search.executions,
      kept: tests.length - unstable,
      unstable,
      stoppedBy: search.stoppedBy,
      estimatedCoverage: Number(search.coverage.combinedPercent.toFixed(1)),
      ...(Object.keys(outsideEffects).length ? { refusedOutsideSandbox: Object.keys(outsideEffects) } : {}),
    });
    const module = session.module;
    return {
      target,
      module,
      search,
      tests,
      unstable,
      outsideEffects,
      importEffects: module.importEffects ?? [],
      render: (exclude) => this.emitter.emit(target.moduleName, module, tests, exclude, emitOptions),
    };
  }

  /**
   * The search in the first session, then the simplification and minimisation of what it found, and a re-run
   * of the kept tests and suspected defects in the same session.
   */
  private async searchModule(
    session: SandboxSession,
    target: ModuleTarget,
    options: OfflineGenerationOptions,
    importMs: number,
    callTimeoutMs: number,
  ): Promise<{ search: SearchOutcome; again: CallResult[] }> {
    let search = await this.engine.search(session, target.file, {
      timeBudgetMs: Math.max(options.timeBudgetMs / 2, options.timeBudgetMs - importMs),
      seed: options.seed,
      callTimeoutMs,
      now: options.now,
      focusLines: options.focusLines,
      coveredBefore: options.coveredBefore,
      reserveMs: options.reserveMs,
    });
    const now = options.now ?? (() => Date.now());
    const simplified = await simplifyTests(session, minimiseArchive(search.tests), {
      deadline: now() + (options.simplifyBudgetMs ?? Math.min(12_000, Math.max(1500, options.timeBudgetMs * 0.25))),
      callTimeoutMs,
      now,
    });
    // Simplified inputs may now be well-typed (a suspected defect) or raise a misuse error: neither is a test.
    const judgedAgain = simplified.map((t) => ({ t, kind: raisedKind(t.result, t.candidate, session.module) }));
    const defects = [...search.suspectedDefects, ...judgedAgain.filter((x) => x.kind === 'defect').map((x) => x.t)];
    search = { ...search, suspectedDefects: distinctDefects(defects) };
    const kept = minimiseArchive(judgedAgain.filter((x) => x.kind !== 'defect' && x.kind !== 'misuse').map((x) => x.t));
    // Suspected defects are re-run with the tests: one that does not raise the same way again is not reported.
    const again = await session.execute(
      [...kept, ...search.suspectedDefects].map((t) => t.plan),
      { timeoutMs: callTimeoutMs },
    );
    search = { ...search, tests: kept };
    return { search, again };
  }

  /** The kept tests and suspected defects run again in a fresh session, on another machine as far as they can tell. */
  private async rerunElsewhere(
    target: ModuleTarget,
    search: SearchOutcome,
    loadTimeoutMs: number,
    callTimeoutMs: number,
  ): Promise<CallResult[]> {
    // The second session also runs on another machine as far as the code can tell (time zone, locale, proxies, clock):
    // a value that depends on them differs between the runs and is not asserted.
    const fresh = await this.sandbox.open(target, {
      hashSeed: 4242,
      loadTimeoutMs,
      ...onMachine(SEARCH_RERUN_MACHINE),
    });
    try {
      return await fresh.execute(
        [...search.tests, ...search.suspectedDefects].map((t) => t.plan),
        { timeoutMs: callTimeoutMs },
      );
    } finally {
      await fresh.close();
    }
  }
}

/** The search's refused calls plus kept tests a re-run found acting outside the sandbox (`stability` drops those). */
function withRerunEffects(
  found: OutsideEffects,
  tests: readonly ArchivedTest[],
  reruns: readonly (readonly CallResult[])[],
): OutsideEffects {
  const out: Record<string, OutsideEffectSummary> = { ...found };
  tests.forEach((t, i) => {
    const effects = reruns.map((r) => r[i]?.outsideEffects ?? []).find((e) => e.length > 0);
    if (effects) countOutsideEffects(out, t.candidate?.target.qualname ?? t.doctest ?? '', effects);
  });
  return out;
}

/**
 * The clock of a run: a result that mentions the current year when the inputs do not (a calendar "for this
 * year", a timestamp) would fail once the year changes, though every re-run today agrees.
 */
export interface RunClock {
  readonly year: number;
  /** The call plan as text, to tell a year the test passed in from one the code read from the clock. */
  readonly planText: string;
}

/** What every re-run agreed on with the first run (and what does not depend on today's date). */
export function stability(first: CallResult, reruns: readonly CallResult[], clock?: RunClock): Stability {
  const yearPattern = clock ? new RegExp(`(?<!\\d)${clock.year}(?!\\d)`) : undefined;
  const fromClock = (text: string | null | undefined) =>
    Boolean(yearPattern && text && yearPattern.test(text) && !yearPattern.test(clock?.planText ?? ''));
  const sameOutcome = reruns.every(
    (r) =>
      !r.outsideEffects?.length &&
      r.status === first.status &&
      r.step === first.step &&
      r.exception?.type === first.exception?.type &&
      Boolean(r.listified) === Boolean(first.listified) &&
      (first.doctest === undefined || (r.doctest?.failed === 0 && r.doctest.attempted === first.doctest.attempted)),
  );
  // Facts showing a value of the machine were not reported (see `CallResult.machineDependent`): none to assert.
  const machine = Boolean(first.machineDependent) || reruns.some((r) => r.machineDependent);
  const sameValue =
    !machine &&
    reruns.every((r) =>
      first.status === 'raised'
        ? r.exception?.message === first.exception?.message
        : r.value?.canon === first.value?.canon &&
          r.value?.expr === first.value?.expr &&
          // The summary covers what the canon's 4,000 characters leave out (the end of a long text).
          JSON.stringify(r.value?.summary ?? null) === JSON.stringify(first.value?.summary ?? null),
    ) &&
    !fromClock(first.status === 'raised' ? first.exception?.message : first.value?.expr);
  // An object's address may repeat by chance between runs; it still is no fact to assert.
  const sameStdout =
    !machine &&
    reruns.every((r) => r.stdout === first.stdout) &&
    !/0x[0-9a-fA-F]{6,}/.test(first.stdout ?? '') &&
    !fromClock(first.stdout);
  const attrs = new Set<string>();
  const all = [...(first.value?.attrs ?? []), ...(first.receiverAttrs ?? [])];
  for (const a of all) {
    const agrees = reruns.every((r) =>
      [...(r.value?.attrs ?? []), ...(r.receiverAttrs ?? [])].some((b) => b.name === a.name && b.expr === a.expr),
    );
    if (agrees && !machine && !fromClock(a.expr)) attrs.add(a.name);
  }
  let stdoutPrefix =
    sameOutcome && !sameStdout && !machine && first.stdout
      ? stablePrefix(
          first.stdout,
          reruns.map((r) => r.stdout ?? ''),
        )
      : '';
  // The prefix ends before the first mention of the current year as well.
  const yearAt = yearPattern && fromClock(stdoutPrefix) ? stdoutPrefix.search(yearPattern) : -1;
  if (yearAt >= 0) stdoutPrefix = yearAt >= 8 ? stdoutPrefix.slice(0, yearAt) : '';
  const sameType =
    first.status === 'ok' &&
    reruns.every((r) => r.value?.type === first.value?.type && r.value?.module === first.value?.module);
  const sameArgs =
    !machine && reruns.every((r) => JSON.stringify(r.changedArgs ?? []) === JSON.stringify(first.changedArgs ?? []));
  return {
    outcome: sameOutcome,
    value: sameOutcome && sameValue,
    args: sameOutcome && sameArgs,
    type: sameOutcome && sameType,
    stdout: sameOutcome && sameStdout,
    attrs,
    ...(stdoutPrefix ? { stdoutPrefix } : {}),
  };
}

/**
 * The start every run printed alike, cut before anything that looks like an object's address (`0x7f...`), so
 * `pushing to stream <_io.StringIO object at 0x7f...>` is checked up to `object at `; '' when under 8 characters.
 */
export function stablePrefix(first: string, others: readonly string[]): string {
  let n = first.length;
  for (const o of others) {
    let i = 0;
    while (i < n && i < o.length && o[i] === first[i]) i++;
    n = i;
  }
  let prefix = first.slice(0, n);
  const address = prefix.search(/0x[0-9a-fA-F]/);
  if (address >= 0) prefix = prefix.slice(0, address);
  return prefix.length >= 8 ? prefix : '';
}
