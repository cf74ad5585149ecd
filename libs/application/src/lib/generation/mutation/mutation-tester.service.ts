import {
  applyMutant,
  silentLogger,
  type CoverageReport,
  type Logger,
  type Mutant,
  type MutantGenerator,
  type MutationOperator,
  type ModuleTarget,
  type PythonSourceReader,
  type TestExecutor,
  type TestFile,
  type TestRunResult,
} from '@test-agent/domain';
import { runOrder, sampleMutants } from './mutant-sample';
import { scoreOf, type ModuleMutationReport, type MutantTally, type SurvivingMutant } from './mutation-report';

/** What mutation testing may spend on one module. */
export interface MutationBudget {
  /** Mutants run at most (sampled across operators and lines past it). */
  readonly maxMutants: number;
  /** Wall time all the module's mutants may take together, ms (the module's time budget). */
  readonly budgetMs: number;
}

/** The suite as written: its files, the coverage of its final run and that run (its durations bound each mutant's). */
export interface MutationSuite {
  readonly files: readonly TestFile[];
  readonly coverage: CoverageReport;
  readonly run: TestRunResult;
}

export interface MutationTesterDependencies {
  readonly generator: MutantGenerator;
  readonly executor: TestExecutor;
  readonly reader: PythonSourceReader;
  /** Mutants run at once (pytest processes; 1 by default). */
  readonly concurrency?: number;
  readonly logger?: Logger;
  readonly now?: () => number;
}

/** A run is not started with less than this left of the budget, ms. */
const MIN_RUN_MS = 2_000;
const SHOWN_CHARS = 120;

type Verdict = 'killed' | 'timeout' | 'survived';

/**
 * Mutation testing of a written suite: the mutants of the module (`MutantGenerator`) on the lines the suite covers,
 * sampled to `maxMutants`, each run against the suite through the `TestExecutor` (in the sandbox, the mutated
 * module in a copy of its import root, without coverage.py; the user's file is never touched). A mutant is killed
 * when a test fails or errors (or collection fails; a mutant Python rejects with a `SyntaxError` is not counted), and counted as killed when a time limit stops its run: each run may take 3 times
 * the suite's final run plus 5 s (at least 15 s), each test 5 times the slowest test plus 1 s (at least 2 s), never
 * more than the request's limits. `concurrency` mutants run at once; none starts with less than 2 s of the budget
 * left, and the mutants left then are reported as not run.
 */
export class MutationTester {
  private readonly logger: Logger;
  private readonly now: () => number;

  constructor(private readonly deps: MutationTesterDependencies) {
    this.logger = (deps.logger ?? silentLogger).child('mutation');
    this.now = deps.now ?? (() => Date.now());
  }

  /** Throws what the executor and the reader throw. */
  async test(
    target: ModuleTarget,
    suite: MutationSuite,
    budget: MutationBudget,
    limits: { perTestTimeoutMs: number; overallTimeoutMs: number },
  ): Promise<ModuleMutationReport> {
    const started = this.now();
    const source = await this.deps.reader.read(target.file);
    const covered = new Set(suite.coverage.coveredLines);
    const candidates = this.deps.generator.mutants(source).filter((m) => covered.has(m.statementLine));
    const sample = sampleMutants(candidates, budget.maxMutants);
    const verdicts = await this.runAll(target, suite, source, sample, {
      limits: mutantLimits(suite.run, limits),
      deadline: started + budget.budgetMs,
    });
    const tally = new MutationTally();
    for (const mutant of sample) {
      const verdict = verdicts.get(mutant);
      if (verdict) tally.add(mutant, verdict, source);
    }
    const report = tally.report(candidates.length, sample.length, this.now() - started);
    this.logger.info('Mutation testing', {
      module: target.moduleName,
      killed: report.killed,
      total: report.total,
      notRun: report.notRun,
      durationMs: report.durationMs,
    });
    return report;
  }

  /**
   * Each mutant's verdict (absent: not run), run in `runOrder` (so what the budget leaves out is spread over the
   * module), `concurrency` at a time; no run starts with less than `MIN_RUN_MS` left before `deadline`, and after
   * a run the deadline cut short no other starts.
   */
  private async runAll(
    target: ModuleTarget,
    suite: MutationSuite,
    source: string,
    sample: readonly Mutant[],
    plan: { limits: { perTestTimeoutMs: number; overallTimeoutMs: number }; deadline: number },
  ): Promise<Map<Mutant, Verdict | 'invalid'>> {
    const verdicts = new Map<Mutant, Verdict | 'invalid'>();
    const order = runOrder(sample);
    let next = 0;
    let stopped = false;
    const worker = async () => {
      while (!stopped && next < order.length) {
        const mutant = order[next++];
        const left = plan.deadline - this.now();
        if (left < MIN_RUN_MS) break;
        const overallTimeoutMs = Math.min(plan.limits.overallTimeoutMs, left);
        const result = await this.deps.executor
          .run({
            target,
            testFiles: suite.files,
            moduleSource: applyMutant(source, mutant),
            measureCoverage: false,
            ...plan.limits,
            overallTimeoutMs,
          })
          .catch((e: unknown) => {
            stopped = true;
            throw e;
          });
        // A run the budget cut short (not its own limit) says nothing about the mutant.
        if (result.timedOut && overallTimeoutMs < plan.limits.overallTimeoutMs) break;
        verdicts.set(mutant, verdictOf(result));
      }
      stopped = true;
    };
    const workers = Math.max(1, Math.min(this.deps.concurrency ?? 1, sample.length));
    await Promise.all(Array.from({ length: workers }, worker));
    return verdicts;
  }
}

/** Each mutant's run limits, from the suite's final run (see `MutationTester`). */
function mutantLimits(
  run: TestRunResult,
  limits: { perTestTimeoutMs: number; overallTimeoutMs: number },
): { perTestTimeoutMs: number; overallTimeoutMs: number } {
  const slowest = Math.max(0, ...run.outcomes.map((o) => o.durationMs));
  return {
    perTestTimeoutMs: Math.min(limits.perTestTimeoutMs, Math.max(2_000, 5 * slowest + 1_000)),
    overallTimeoutMs: Math.min(limits.overallTimeoutMs, Math.max(15_000, 3 * run.durationMs + 5_000)),
  };
}

/**
 * What a mutant's run says: the mutant is not Python (a `SyntaxError` when the tests imported it: not counted), a
 * test failed or errored, a limit stopped it, or every test passed.
 */
function verdictOf(result: TestRunResult): Verdict | 'invalid' {
  if (result.collectionErrors.some((e) => /\bSyntaxError\b/.test(e))) return 'invalid';
  if (result.timedOut || result.outcomes.some((o) => o.status === 'timeout')) return 'timeout';
  const failed = result.outcomes.some((o) => o.status === 'failed' || o.status === 'error');
  return failed || result.collectionErrors.length > 0 || result.outcomes.length === 0 ? 'killed' : 'survived';
}

/** The verdicts so far, by operator, and the survivors as a user reads them. */
class MutationTally {
  private readonly byOperator: Partial<Record<MutationOperator, MutantTally>> = {};
  private readonly survivors: SurvivingMutant[] = [];
  private killed = 0;
  private total = 0;
  private timedOut = 0;
  private invalid = 0;

  add(mutant: Mutant, verdict: Verdict | 'invalid', source: string): void {
    if (verdict === 'invalid') {
      this.invalid++;
      return;
    }
    const kill = verdict !== 'survived' ? 1 : 0;
    const before = this.byOperator[mutant.operator] ?? { killed: 0, total: 0 };
    this.byOperator[mutant.operator] = { killed: before.killed + kill, total: before.total + 1 };
    this.total++;
    this.killed += kill;
    if (verdict === 'timeout') this.timedOut++;
    if (!kill) this.survivors.push(shown(mutant, source));
  }

  report(candidates: number, sampled: number, durationMs: number): ModuleMutationReport {
    return {
      killed: this.killed,
      total: this.total,
      ...scoreOf(this.killed, this.total),
      timedOut: this.timedOut,
      byOperator: this.byOperator,
      candidates,
      notRun: sampled - this.total - this.invalid,
      invalid: this.invalid,
      survivors: this.survivors,
      durationMs,
    };
  }
}

/** A surviving mutant as the report shows it: its whole line(s) before and after. */
function shown(mutant: Mutant, source: string): SurvivingMutant {
  const lineStart = source.lastIndexOf('\n', mutant.start - 1) + 1;
  const newline = source.indexOf('\n', mutant.end);
  const lineEnd = newline < 0 ? source.length : newline;
  const before = source.slice(lineStart, mutant.start);
  const after = source.slice(mutant.end, lineEnd);
  return {
    line: mutant.line,
    operator: mutant.operator,
    original: oneLine(before + mutant.original + after),
    mutated: oneLine(before + mutant.replacement + after),
  };
}

function oneLine(text: string): string {
  const collapsed = text.replace(/\s+/g, ' ').trim();
  return collapsed.length > SHOWN_CHARS ? `${collapsed.slice(0, SHOWN_CHARS - 1)}…` : collapsed;
}
