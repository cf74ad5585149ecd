import {
  isNodeOf,
  type ModuleTarget,
  type TestCase,
  type TestExecutor,
  type TestOutcomeStatus,
  type TestRunResult,
} from '@test-agent/domain';
import type { AssembledTestFile, TestFileAssembler } from '../test-file-assembler/test-file-assembler.service';
import { onMachine, type MachinePerturbation } from './machine-perturbations';

export interface FlakinessCheckerOptions {
  /** Runs of each candidate, each in a fresh Python process (the `flakyReruns` setting, 5 by default). */
  readonly reruns: number;
  /** Runs in flight at once (each is one Python process). */
  readonly concurrency: number;
  /** Per-test limit of each run, in milliseconds (the executor's default when absent). */
  readonly perTestTimeoutMs?: number;
  /** Besides the reruns, one run of each candidate on each of these machines (see `MACHINE_PERTURBATIONS`). */
  readonly perturbations?: readonly MachinePerturbation[];
}

/** How one candidate behaved over its runs. */
export interface FlakinessVerdict {
  readonly name: string;
  /** Status of each run, in run order. */
  readonly statuses: readonly TestOutcomeStatus[];
  /** The runs disagreed (any differing status). */
  readonly flaky: boolean;
  /** Every run passed (the perturbed ones too). */
  readonly passing: boolean;
  /** Every rerun here passed, but a run on a perturbed machine did not. */
  readonly machineDependent?: boolean;
  /** Cleaned text of the first failing run, if any. */
  readonly error?: string;
}

/** A case that passes alone but failed when the suite ran together. */
export interface PollutedCase {
  readonly testCase: TestCase;
  readonly status: TestOutcomeStatus;
  readonly error?: string;
}

export interface PollutionResult {
  /** The cases that passed together, in input order. */
  readonly kept: readonly TestCase[];
  /** The cases of the `beside` file that passed together, in input order. */
  readonly keptBeside: readonly TestCase[];
  readonly polluted: readonly PollutedCase[];
  /** The last run of the kept suite (its coverage is the suite's), absent when nothing was kept. */
  readonly finalRun?: TestRunResult;
  /** The files of `finalRun` as assembled: the suite's (when it kept cases), then the `beside` file's. */
  readonly finalFiles?: readonly AssembledTestFile[];
}

export interface PollutionCheckOptions {
  /** A second file run beside the suite (integration tests), its cases checked the same way. */
  readonly beside?: { readonly cases: readonly TestCase[]; readonly fileName: string };
  /** Per-test limit of each run, ms (the checker's `perTestTimeoutMs` when absent). */
  readonly perTestTimeoutMs?: number;
  /** Limit of each whole run, ms (the executor's default when absent). */
  readonly overallTimeoutMs?: number;
  /** Rounds at most (3 by default); `Infinity` runs until the suite passes (each round drops at least one case). */
  readonly maxRounds?: number;
}

/** Rounds of "run the suite, drop what failed": removing a polluter can only make the rest pass. */
const MAX_POLLUTION_ROUNDS = 3;

/**
 * Flakiness and pollution checks over the `TestExecutor` port.
 *
 * `check` runs each candidate alone `reruns` times, each time in a fresh process (a new executor run); any
 * differing status marks it flaky. `checkPollution` runs the accepted cases together as one assembled file:
 * a case that fails there (it passed alone) is reported and removed, and the rest is run again until it passes.
 */
export class FlakinessChecker {
  constructor(
    private readonly executor: TestExecutor,
    private readonly assembler: TestFileAssembler,
    private readonly options: FlakinessCheckerOptions,
  ) {}

  /** Verdicts in input order. Runs up to `concurrency` processes at a time. Throws what the executor throws. */
  async check(
    target: ModuleTarget,
    cases: readonly TestCase[],
    reruns = this.options.reruns,
  ): Promise<FlakinessVerdict[]> {
    const machines = reruns > 0 ? (this.options.perturbations ?? []) : [];
    const total = reruns + machines.length;
    const jobs = cases.flatMap((testCase, i) =>
      Array.from({ length: total }, (_, run) => ({
        i,
        run,
        testCase,
        machine: run >= reruns ? machines[run - reruns] : undefined,
      })),
    );
    const statuses = cases.map(() => new Array<TestOutcomeStatus>(total));
    const errors = cases.map(() => new Array<string | undefined>(total));
    await inPool(jobs, Math.max(1, this.options.concurrency), async ({ i, run, testCase, machine }) => {
      const file = this.assembler.assemble(target, [testCase]);
      const result = await this.executor.run({
        target,
        testFiles: [file],
        select: [file.nodeIds.get(file.cases[0].name) as string],
        ...(this.options.perTestTimeoutMs ? { perTestTimeoutMs: this.options.perTestTimeoutMs } : {}),
        ...onMachine(machine),
      });
      const outcome = caseOutcome(result, file.nodeIds.get(file.cases[0].name) as string, testCase.expectedFailure);
      statuses[i][run] = outcome.status;
      errors[i][run] = outcome.error;
    });
    return cases.map((c, i) => {
      const here = statuses[i].slice(0, reruns);
      const elsewhere = statuses[i].slice(reruns);
      const passingHere = here.every((s) => s === 'passed');
      const machineDependent = passingHere && elsewhere.some((s) => s !== 'passed');
      return {
        name: c.name,
        statuses: here,
        flaky: new Set(here).size > 1,
        passing: passingHere && !machineDependent,
        ...(machineDependent ? { machineDependent } : {}),
        ...(errors[i].find(Boolean) ? { error: errors[i].find(Boolean) } : {}),
      };
    });
  }

  /**
   * Runs `cases` (each expected to pass alone) together in one assembled file, and `options.beside` in a second
   * file of the same run; a case that does not pass is removed and reported, and the remaining suite runs again
   * (at most `options.maxRounds` rounds, 3 by default). Throws what the executor throws.
   */
  async checkPollution(
    target: ModuleTarget,
    cases: readonly TestCase[],
    options: PollutionCheckOptions = {},
  ): Promise<PollutionResult> {
    let suite = [...cases];
    let beside = [...(options.beside?.cases ?? [])];
    const polluted: PollutedCase[] = [];
    const maxRounds = options.maxRounds ?? MAX_POLLUTION_ROUNDS;
    for (let round = 0; round < maxRounds && suite.length + beside.length > 0; round++) {
      const files = [
        ...(suite.length ? [{ cases: suite, file: this.assembler.assemble(target, suite) }] : []),
        ...(beside.length && options.beside
          ? [{ cases: beside, file: this.assembler.assemble(target, beside, { fileName: options.beside.fileName }) }]
          : []),
      ];
      const perTestTimeoutMs = options.perTestTimeoutMs ?? this.options.perTestTimeoutMs;
      const finalRun = await this.executor.run({
        target,
        testFiles: files.map((f) => f.file),
        perTestCoverage: true,
        ...(perTestTimeoutMs ? { perTestTimeoutMs } : {}),
        ...(options.overallTimeoutMs ? { overallTimeoutMs: options.overallTimeoutMs } : {}),
      });
      // The assembler may rename cases (unique names); map back by position.
      const failing = files.flatMap(({ cases: originals, file }) =>
        file.cases
          .map((emitted, i) => ({
            original: originals[i],
            outcome: caseOutcome(finalRun, file.nodeIds.get(emitted.name) as string, originals[i].expectedFailure),
          }))
          .filter((x) => x.outcome.status !== 'passed'),
      );
      if (failing.length === 0)
        return { kept: suite, keptBeside: beside, polluted, finalRun, finalFiles: files.map((f) => f.file) };
      for (const f of failing)
        polluted.push({
          testCase: f.original,
          status: f.outcome.status,
          ...(f.outcome.error ? { error: f.outcome.error } : {}),
        });
      const gone = new Set(failing.map((f) => f.original));
      suite = suite.filter((c) => !gone.has(c));
      beside = beside.filter((c) => !gone.has(c));
    }
    return { kept: suite, keptBeside: beside, polluted };
  }
}

/**
 * The status of a case in a run: its node's, or the worst of its nodes' (parametrized cases, class methods);
 * `error` with the collection error when its file could not be imported, or when it did not run at all.
 */
export function caseOutcome(
  result: TestRunResult,
  nodeId: string,
  expectedFailure = false,
): { status: TestOutcomeStatus; error?: string } {
  const file = nodeId.split('::')[0];
  const nodes = result.outcomes.filter((o) => isNodeOf(o.nodeId, nodeId));
  if (nodes.length === 0) {
    const fileError = result.outcomes.find((o) => o.nodeId === file && o.status === 'error');
    return { status: 'error', error: fileError?.error ?? result.collectionErrors[0] ?? `${nodeId} did not run` };
  }
  // A pinned defect (strict xfail) holds when it fails as marked.
  const bad = nodes.find((o) => (expectedFailure ? o.status !== 'xfail' : o.status !== 'passed'));
  return bad ? { status: bad.status, ...(bad.error ? { error: bad.error } : {}) } : { status: 'passed' };
}

/** `work` over `items`, at most `size` at a time (each worker takes the next item); results in input order. */
export async function inPool<T, R>(items: readonly T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
  return out;
}
