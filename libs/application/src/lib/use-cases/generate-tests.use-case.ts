import {
  compactRanges,
  CoverageReport,
  InvalidInputError,
  isNodeOf,
  LlmError,
  TestAgentError,
  noopMetrics,
  silentLogger,
  type ChangedCode,
  type CheckpointStore,
  type Containment,
  type ContainmentStatus,
  type ProjectInterpreter,
  type ProjectInterpreters,
  type CodeParser,
  type Metrics,
  type PythonSourceReader,
  type CoverageSummary,
  type LlmRunSummary,
  type Logger,
  type ModuleTarget,
  type TestCase,
  type TestExecutor,
  type TestWorkspace,
} from '@test-agent/domain';
import {
  failureHeadline,
  measureImportCoverage,
  measureUnimportedCoverage,
  type LlmGenerationResult,
  type LlmProgressEvent,
  type LlmTestGeneration,
} from '../orchestrators/llm-test-generation.orchestrator';
import type { OfflineTestGenerator } from '../services/offline-search/offline-test-generator.service';
import type { OutsideEffects } from '../services/offline-search/search-engine.service';
import { caseOutcome, inPool } from '../services/flakiness-checker/flakiness-checker.service';
import {
  MACHINE_PERTURBATIONS,
  onMachine,
  type MachinePerturbation,
} from '../services/flakiness-checker/machine-perturbations';
import { TestDeduplicator, perCaseCoverage } from '../services/test-deduplicator/test-deduplicator.service';
import type { ChunkModule } from './chunk-module.use-case';
import {
  GENERATED_MARKER,
  TestFileAssembler,
  isPristineGeneratedFile,
  withDigest,
} from '../services/test-file-assembler/test-file-assembler.service';
import type { EmitResult, TestFileEmitter } from '../services/test-file-assembler/test-file-emitter.service';
import { planTestFiles, testFilesOf, type TestFilePlace } from './test-file-layout';

type OfflineGeneration = Awaited<ReturnType<OfflineTestGenerator['generate']>>;

/** The offline engine's validated result for one module, or the report of a module that was skipped. */
type OfflinePhase =
  | { readonly kind: 'skipped'; readonly report: ModuleGenerationReport }
  | {
      readonly kind: 'done';
      readonly cases: readonly TestCase[];
      readonly lastCoverage?: CoverageReport;
      readonly failing: number;
      readonly flaky: number;
      /** Tests that passed here but failed on a perturbed machine (`MACHINE_PERTURBATIONS`). */
      readonly machine: number;
      /** The perturbations the kept tests passed under. */
      readonly perturbations: readonly string[];
      /** Suspected defects, as the last rendered file describes them. */
      readonly defects: ReturnType<OfflineGeneration['render']>['defects'];
      readonly generation: OfflineGeneration;
    };

/** Where tests come from: the offline search engine, an LLM, or both (offline first, the LLM on the gaps). */
export type GenerationStrategy = 'offline' | 'llm' | 'hybrid';

export interface GenerateTestsRequest {
  /** A Python file, or a folder searched for modules. */
  readonly path: string;
  /** Folder the test files and reports are written to. */
  readonly outDir: string;
  /** Search budget per module, in seconds. */
  readonly timeBudgetSeconds: number;
  /** Offline search: limit of one call of the code under test, ms (default 1,000). */
  readonly callTimeoutMs?: number;
  /** Line+branch coverage target, percent (0-100). */
  readonly targetCoverage: number;
  readonly strategy?: GenerationStrategy;
  /** Overwrite existing test files that Test Agent did not write. */
  readonly force?: boolean;
  /** Passing runs in a row every kept test must survive (flakiness check); at least 1. */
  readonly flakyRuns?: number;
  /**
   * Offline tests must also pass on perturbed machines (another time zone, locale, proxies, the clock a day on):
   * one more run on each (`MACHINE_PERTURBATIONS`). On by default.
   */
  readonly perturbMachine?: boolean;
  /** Suspected defects go into the test file as strict-xfail tests (they are always reported). */
  readonly pinDefects?: boolean;
  readonly seed?: number;
  /** LLM strategies: rounds over the chunks with gaps (default 3). */
  readonly maxIterations?: number;
  /** LLM strategies: prompt + completion tokens one module may spend (default 200,000). */
  readonly maxTokens?: number;
  /** LLM strategies: wall-time budget of one module's LLM phase, in seconds (default 600). */
  readonly timeoutSeconds?: number;
  /** LLM strategies: repair attempts per failing test (default 3). */
  readonly repairAttempts?: number;
  /** LLM strategies: continue an interrupted run from its checkpoint. */
  readonly resume?: boolean;
  /** Live progress of the LLM phase (chunk by chunk). */
  readonly onProgress?: (module: string, event: LlmProgressEvent) => void;
  /** Live progress over the modules: each one as it starts and as it is done. */
  readonly onModule?: (event: ModuleProgressEvent) => void;
  /** Limit per test of every pytest run, ms (the `testTimeoutMs` setting; default 10,000). */
  readonly perTestTimeoutMs?: number;
  /** Limit of one pytest run, ms (the `testRunTimeoutMs` setting; default 300,000). */
  readonly runTimeoutMs?: number;
  /** Modules generated at once (default 1). */
  readonly jobs?: number;
  /** Changed-code mode: only modules changed since this version-control reference (e.g. `HEAD~1`, `main`). */
  readonly changedSince?: string;
  /** Set by `execute` in changed-code mode: file → its changed lines. */
  readonly changedLines?: ReadonlyMap<string, readonly number[]>;
  /**
   * The project's own tests (a folder or file): their coverage is the baseline, and the search aims only at what
   * they leave uncovered. Test files under `outDir` are left out of it (they are about to be replaced).
   */
  readonly existingTests?: string;
  /** Set per module: the coverage `existingTests` give the module being generated. */
  readonly existingCoverage?: CoverageReport;
  /** Set by `execute`: file → where its tests go in the output folder (a tree mirroring the packages). */
  readonly testPlaces?: ReadonlyMap<string, TestFilePlace>;
}

/** A module of a run starting, or done (`done` of `of` are done then). */
export type ModuleProgressEvent =
  | { readonly type: 'start'; readonly module: string; readonly of: number }
  | {
      readonly type: 'done';
      readonly module: string;
      readonly done: number;
      readonly of: number;
      readonly report: ModuleGenerationReport;
    };

/** The context window prompts are fitted to and the answer's reserve in it (see `GenerateTestsDependencies.llm.fit`). */
export interface LlmFitting {
  readonly contextWindow: number;
  readonly reservedCompletionTokens: number;
  /** Where the window came from (`Ollama GET /api/ps context_length`, `LLM_CONTEXT_WINDOW`, ...) and whose it is. */
  readonly source: string;
  readonly endpoint?: string;
}

/** What the LLM endpoint chain did in a run: who served, whether and why the fallback took over. */
export type LlmRunReport = LlmRunSummary;

/** What the LLM phase of one module did (absent for the offline strategy). */
export interface ModuleLlmReport {
  readonly funnel: LlmGenerationResult['funnel'];
  readonly repairs: LlmGenerationResult['repairs'];
  readonly chunks: LlmGenerationResult['chunks'];
  readonly suspectedDefects: LlmGenerationResult['suspectedDefects'];
  readonly llmCalls: number;
  readonly summaryCalls: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly stoppedBy: LlmGenerationResult['stoppedBy'];
  readonly resumed: boolean;
  /** Accepted tests by origin (before minimisation). */
  readonly accepted: { readonly offline: number; readonly unit: number; readonly integration: number };
  /** Tests removed as duplicates or subsumed, and tests that failed when the suite ran together. */
  readonly minimised: number;
  readonly polluted: number;
  /** What the prompts were fitted to: the model's context window, the answer's reserve and the chunk budget. */
  readonly contextWindow?: number;
  readonly reservedCompletionTokens?: number;
  readonly chunkBudgetTokens?: number;
  /** `estimated` when the endpoint's token counter failed and the local tokenizer's estimate stood in. */
  readonly tokenCounts?: 'exact' | 'estimated';
  /** Times the module was chunked smaller after the server truncated a prompt silently. */
  readonly refitsAfterTruncation?: number;
}

export interface ModuleGenerationReport {
  readonly module: string;
  readonly file: string;
  /** The folder the tests import the module from (`module` is its dotted name there). */
  readonly importRoot: string;
  /** Test file written, absent when no test could be kept (or the module failed). */
  readonly testFile?: string;
  /** How the file was written: `written-beside` when a user's file already had the intended name. */
  readonly writeAction?: 'created' | 'replaced' | 'unchanged' | 'written-beside';
  readonly tests: number;
  /** Coverage of the module by the written tests, as coverage.py measured it under pytest. */
  readonly coverage: CoverageSummary;
  /** Lines (1-based) no kept test reaches. */
  readonly missingLines: readonly number[];
  /**
   * Tests not written: failing on the first run, failing a later run (flaky), disagreeing between the search's
   * runs (unstable), failing on a perturbed machine (`machine`: another time zone, locale, proxies or clock).
   */
  readonly dropped: {
    readonly failing: number;
    readonly flaky: number;
    readonly unstable: number;
    readonly machine?: number;
  };
  /**
   * Coverage of the written tests without the wrappers of the module's own doctest examples (absent when the file
   * has none): the figure that is ours alone.
   */
  readonly withoutDoctests?: CoverageSummary;
  /** The perturbed machines every written test also passed on (see `MACHINE_PERTURBATIONS`). */
  readonly machinePerturbations?: readonly string[];
  /**
   * Calls on well-typed input that ended in an error of the module's own code (`ZeroDivisionError`,
   * `UnboundLocalError`, ...): not pinned as behaviour; each with a strict-xfail test that shows it (written into
   * the test file only with `pinDefects`).
   */
  readonly suspectedDefects?: readonly OfflineSuspectedDefect[];
  readonly executions: number;
  readonly stoppedBy: string;
  readonly durationMs: number;
  /** Why the module has no tests, when it failed (e.g. it cannot be imported). */
  readonly error?: { readonly code: string; readonly message: string };
  /** Integration tests across the module's public API (LLM strategies), a file of their own. */
  readonly integrationTestFile?: string;
  /**
   * Per function: calls the search refused because they tried to write, delete, connect, spawn or signal
   * outside the sandbox ("side effects outside the sandbox: not tested offline"), with examples.
   */
  readonly outsideEffects?: OutsideEffects;
  /** What importing the module tried to do outside the sandbox. */
  readonly importEffects?: readonly string[];
  /** With `existingTests`: the coverage those tests alone give the module (`coverage` is theirs and ours together). */
  readonly existingTests?: CoverageSummary;
  /** Changed-code mode: the statements among the changed lines, and how many of them the tests cover. */
  readonly changedLines?: { readonly covered: number; readonly total: number; readonly missing: readonly number[] };
  readonly llm?: ModuleLlmReport;
}

export interface GenerateTestsReport {
  readonly strategy: GenerationStrategy;
  /** Every file written (tests, conftest.py, reports), absolute. */
  readonly files: readonly string[];
  /** Union over all modules, as coverage.py counts it. */
  readonly coverage: CoverageSummary;
  readonly targetCoverage: number;
  readonly targetMet: boolean;
  readonly modules: readonly ModuleGenerationReport[];
  readonly durationMs: number;
  readonly reports: { readonly json: string; readonly markdown: string };
  /** Why the run stopped early (e.g. an LLM outage); the files listed were written before it. */
  readonly error?: { readonly code: string; readonly message: string };
  /** How the code under test was contained while it ran (absent when the embedder gave no containment policy). */
  readonly sandbox?: ContainmentStatus;
  /** The interpreter that ran the code under test (of the first module's project). */
  readonly python?: ProjectInterpreter;
  /** Changed-code mode: the reference, and the coverage of the changed statements over every module. */
  readonly changedSince?: { readonly ref: string; readonly covered: number; readonly total: number };
  /** With `existingTests`: the folder, and the coverage those tests alone give over every module. */
  readonly existingTests?: { readonly path: string; readonly coverage: CoverageSummary };
  /** Why the target was not met, one reason per entry (absent when it was met). */
  readonly targetMissedBecause?: readonly string[];
  /** With several modules: the ones that took longest, slowest first (at most five). */
  readonly slowest?: readonly { readonly module: string; readonly durationMs: number }[];
  /** Suspected defects were written into the test files as strict-xfail tests (`pinDefects`). */
  readonly pinnedDefects?: boolean;
  /** LLM strategies: which endpoint served the run, the fallbacks and why, each endpoint's context window. */
  readonly llm?: LlmRunReport;
}

export interface GenerateTestsDependencies {
  readonly offline: OfflineTestGenerator;
  readonly executor: TestExecutor;
  readonly workspace: TestWorkspace;
  /** Writes test files without ever overwriting a user's file (unless forced). */
  readonly fileEmitter: TestFileEmitter;
  /** Whether the code under test runs sandboxed; checked before any of it runs. */
  readonly containment?: Containment;
  /** Which interpreter runs each module (the project's), for the report and import errors. */
  readonly interpreters?: ProjectInterpreters;
  /** What changed since a version-control reference (changed-code mode). */
  readonly changedCode?: ChangedCode;
  readonly assembler?: TestFileAssembler;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly now?: () => number;
  /** The LLM strategies' parts; absent when no LLM is configured (then only `offline` is available). */
  readonly llm?: {
    readonly generation: LlmTestGeneration;
    readonly chunker: ChunkModule;
    readonly parser: CodeParser;
    readonly reader: PythonSourceReader;
    /** Tokens the model may answer with (its profile's reserved completion). */
    readonly maxCompletionTokens: number;
    /**
     * The window every prompt is fitted to, once known: the smallest context window of the endpoint chain as the
     * servers tell it (else as configured), and the answer's reserve in it. Asked once per module (answered once).
     */
    readonly fit?: () => Promise<LlmFitting>;
    /** What the endpoint chain did in the run (which endpoint served, fallbacks and why), for the report. */
    readonly runSummary?: () => Promise<LlmRunReport>;
    /** Where a run under `outDir` keeps its checkpoints (for `resume`). */
    readonly checkpointsFor?: (outDir: string) => CheckpointStore;
  };
}

const REPORT_JSON = 'test-agent-report.json';
const REPORT_MD = 'test-agent-report.md';
/** Errors of modules refused before they were read, or with nothing to count: their totals stay 0/0. */
const UNREAD_MODULE_ERRORS = new Set(['TA_FILE_TOO_LARGE', 'TA_BINARY_FILE', 'TA_EMPTY_MODULE', 'TA_NOT_UTF8']);

/**
 * Generates pytest tests for a module or every module under a folder, writes them under `outDir` with a JSON
 * and a Markdown report. Every written test passed `flakyRuns` runs in a row under real pytest, and the reported
 * coverage is what coverage.py measured on those runs. Throws `InvalidInputError` for a strategy not available,
 * a bad time budget, a bad path, output folder or module (before any search); what stops a run (an LLM outage, a
 * broken environment) propagates after the files written so far and the reports.
 */
export class GenerateTests {
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly assembler: TestFileAssembler;
  private readonly metrics: Metrics;

  /** How long one pytest run of a module's tests takes here (moving average of the runs so far). */
  private pytestRunMs = DEFAULT_PYTEST_RUN_MS;

  constructor(private readonly deps: GenerateTestsDependencies) {
    this.logger = (deps.logger ?? silentLogger).child('generate');
    this.assembler = deps.assembler ?? new TestFileAssembler();
    this.metrics = deps.metrics ?? noopMetrics;
    this.now = deps.now ?? (() => Date.now());
  }

  /** The strategy used when the request names none: hybrid with an LLM configured, offline without. */
  get defaultStrategy(): GenerationStrategy {
    return this.deps.llm ? 'hybrid' : 'offline';
  }

  private recordCoverage(coverage: CoverageReport): void {
    const summary = coverage.summary();
    this.metrics.observe('test_agent_coverage_percentage', summary.percent.line, { kind: 'line' });
    this.metrics.observe('test_agent_coverage_percentage', summary.percent.branch, { kind: 'branch' });
    this.metrics.observe('test_agent_coverage_percentage', summary.percent.combined, { kind: 'combined' });
  }

  async execute(request: GenerateTestsRequest): Promise<GenerateTestsReport> {
    const started = this.now();
    const strategy = request.strategy ?? this.defaultStrategy;
    if (strategy !== 'offline' && !this.deps.llm) {
      throw new InvalidInputError(
        'TA_STRATEGY_UNAVAILABLE',
        `strategy "${strategy}" needs an LLM: configure an LLM endpoint (LLM_PROVIDER and LLM_URL), or use the offline strategy`,
      );
    }
    if (!(request.timeBudgetSeconds > 0))
      throw new InvalidInputError(
        'TA_BAD_TIME_BUDGET',
        `The time budget must be a positive number of seconds, got ${request.timeBudgetSeconds}`,
      );
    const { workspace } = this.deps;
    const screened = await this.screen(request);
    const { refused } = screened;
    const changedLines = await this.changedLines(request);
    const targets = changedLines ? screened.targets.filter((t) => changedLines.get(t.file)?.length) : screened.targets;
    const sandbox = await this.deps.containment?.require();
    const python = targets.length > 0 ? await this.deps.interpreters?.runtimeFor(targets[0]) : undefined;
    if (sandbox && !sandbox.confined)
      this.logger.warn('The sandbox is off: the code under test runs unconfined, with your permissions');
    const many = targets.length > 1;
    const run = { ...request, outDir: await this.outputFolder(request), ...(changedLines ? { changedLines } : {}) };
    const files: string[] = [];
    const modules: ModuleGenerationReport[] = [];
    const written: ModuleTarget[] = [];
    const byName = new Map<string, ModuleTarget>();
    // Skips are decided in order (the first of two same-named modules wins); the rest run `jobs` at a time.
    const slots: (ModuleGenerationReport | ModuleTarget)[] = [];
    for (const target of targets) {
      const refusal = refused.get(target);
      const clash = byName.get(target.moduleName);
      if (refusal) slots.push(emptyReport(target, 0, refusal));
      else if (clash) {
        // Two modules importable under one name cannot both be imported by one pytest run.
        const message = `${target.file} and ${clash.file} are both importable as "${target.moduleName}": make their folders packages (add __init__.py) or generate them in separate runs`;
        this.logger.warn('Skipping a module with an ambiguous name', { module: target.moduleName, file: target.file });
        slots.push(emptyReport(target, 0, { code: 'TA_AMBIGUOUS_MODULE', message }));
      } else {
        byName.set(target.moduleName, target);
        slots.push(target);
      }
    }
    const places = planTestFiles(slots.filter(isTarget), await workspace.testFilesUnder(run.outDir));
    const outcome = await this.runModules(slots, { ...run, testPlaces: places }, many, strategy);
    const failure: unknown = outcome.failure?.error;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i];
      const report = isTarget(slot) ? outcome.reports[i] : slot;
      if (outcome.failure?.index === i) {
        // Keep what was written before the failure runnable (conftest) and explained (report), then fail.
        const e = outcome.failure.error;
        const partial = e instanceof TestAgentError ? e.details?.written : undefined;
        modules.push({
          ...emptyReport(slot as ModuleTarget, 0, errorReason(e)),
          ...(typeof partial === 'string' ? { testFile: partial } : {}),
        });
        if (typeof partial === 'string') {
          files.push(partial);
          written.push(slot as ModuleTarget);
        }
        continue;
      }
      if (!report) continue; // not started: an earlier module failed
      modules.push(report);
      if (isTarget(slot) && (report.testFile || report.integrationTestFile)) written.push(slot);
      if (report.testFile) files.push(report.testFile);
      if (report.integrationTestFile) files.push(report.integrationTestFile);
    }
    const errors = modules.filter((m) => m.error);
    if (!failure && many && errors.length === modules.length) throw nothingTestable(request.path, errors);
    const conftest = await this.writeConftest(run, written);
    if (conftest) files.push(conftest);

    const coverage = totalCoverage(modules);
    const nothingToDo = changedLines !== undefined && targets.length === 0;
    const missed = targetMissedBecause({
      failure,
      modules,
      errors,
      written: files.length > 0 || nothingToDo,
      coverage,
      target: request.targetCoverage,
    });
    const llmRun = strategy !== 'offline' ? await this.deps.llm?.runSummary?.() : undefined;
    const report: GenerateTestsReport = {
      strategy,
      files,
      coverage,
      targetCoverage: request.targetCoverage,
      // A module that could not be tested is not covered: the target is not met, whatever the others reach.
      targetMet: missed.length === 0,
      ...(missed.length > 0 ? { targetMissedBecause: missed } : {}),
      modules,
      ...(many ? { slowest: slowestModules(modules) } : {}),
      ...(request.pinDefects ? { pinnedDefects: true } : {}),
      durationMs: this.now() - started,
      reports: { json: workspace.pathIn(run.outDir, REPORT_JSON), markdown: workspace.pathIn(run.outDir, REPORT_MD) },
      ...(failure instanceof Error ? { error: errorReason(failure) } : {}),
      ...(sandbox ? { sandbox } : {}),
      ...(request.changedSince && changedLines ? { changedSince: changedTotals(request.changedSince, modules) } : {}),
      ...(request.existingTests
        ? {
            existingTests: {
              path: request.existingTests,
              coverage: totalCoverage(modules.map((m) => ({ ...m, coverage: m.existingTests ?? m.coverage }))),
            },
          }
        : {}),
      ...(python
        ? {
            python: {
              executable: python.executable,
              source: python.source,
              version: python.version,
              projectRoot: python.projectRoot,
              pytest: python.pytest,
            },
          }
        : {}),
      ...(llmRun ? { llm: llmRun } : {}),
    };
    const final = { ...report, files: [...files, report.reports.json, report.reports.markdown] };
    if (files.length > 0 || !failure) {
      await workspace.write(report.reports.json, `${JSON.stringify(final, null, 2)}\n`);
      await workspace.write(report.reports.markdown, renderMarkdown(final));
    }
    if (failure) throw failure;
    return final;
  }

  /**
   * The modules to test, bad input refused before any search and any Python process (the sandbox probe
   * included): the output folder first, then each module (oversized, binary). A module alone is refused with its
   * error; in a folder a refused module is reported as skipped, and a folder whose every module is refused is
   * refused.
   */
  private async screen(
    request: GenerateTestsRequest,
  ): Promise<{ targets: ModuleTarget[]; refused: Map<ModuleTarget, { code: string; message: string }> }> {
    const { workspace } = this.deps;
    const targets = await workspace.resolveTargets(request.path);
    await workspace.checkOutputFolder(request.outDir, request.path, targets);
    if (request.existingTests && !(await workspace.exists(request.existingTests))) {
      throw new InvalidInputError(
        'TA_PATH_NOT_FOUND',
        `No such test file or folder: ${request.existingTests} (the existing tests to start from)`,
      );
    }
    const refused = new Map<ModuleTarget, { code: string; message: string }>();
    for (const target of targets) {
      try {
        await workspace.checkModule(target);
      } catch (e) {
        if (targets.length === 1 || !(e instanceof InvalidInputError)) throw e;
        this.logger.warn('Skipping a module', { module: target.moduleName, error: e.message });
        refused.set(target, { code: e.code, message: e.message });
      }
    }
    if (targets.length > 1 && refused.size === targets.length) {
      throw nothingTestable(
        request.path,
        targets.map((t) => ({ module: t.moduleName, error: refused.get(t) })),
      );
    }
    return { targets, refused };
  }

  /**
   * Generates the modules among `slots`, `request.jobs` at a time (1 by default). After a module fails with an
   * error that stops the run (an LLM outage, a broken environment), no further module starts; those running finish.
   */
  private async runModules(
    slots: readonly (ModuleGenerationReport | ModuleTarget)[],
    run: GenerateTestsRequest,
    many: boolean,
    strategy: GenerationStrategy,
  ): Promise<{ reports: (ModuleGenerationReport | undefined)[]; failure?: { index: number; error: unknown } }> {
    const reports: (ModuleGenerationReport | undefined)[] = new Array(slots.length);
    const failures = new Map<number, unknown>();
    const queue = slots
      .map((slot, index) => ({ slot, index }))
      .filter((e): e is { slot: ModuleTarget; index: number } => isTarget(e.slot));
    const of = queue.length;
    let done = 0;
    const worker = async () => {
      for (let next = queue.shift(); next && failures.size === 0; next = queue.shift()) {
        const { slot: target, index } = next;
        run.onModule?.({ type: 'start', module: target.moduleName, of });
        try {
          const existing = await this.existingCoverage(target, run);
          const moduleRun = existing ? { ...run, existingCoverage: existing } : run;
          const report =
            strategy === 'offline'
              ? await this.generateModule(target, moduleRun, many)
              : await this.generateModuleWithLlm(target, moduleRun, many, strategy);
          const counted = await this.withImportCoverage(target, moduleRun, report);
          reports[index] = existing && !counted.error ? { ...counted, existingTests: existing.summary() } : counted;
          run.onModule?.({ type: 'done', module: target.moduleName, done: ++done, of, report: reports[index] });
        } catch (error) {
          failures.set(index, error);
        }
      }
    };
    const jobs = Math.max(1, Math.min(run.jobs ?? 1, queue.length));
    await Promise.all(Array.from({ length: jobs }, worker));
    if (failures.size === 0) return { reports };
    // The first failing module in input order stops the run; a later one running beside it is reported too.
    const first = Math.min(...failures.keys());
    for (const [index, error] of failures)
      if (index !== first) reports[index] = emptyReport(slots[index] as ModuleTarget, 0, errorReason(error));
    return { reports, failure: { index: first, error: failures.get(first) } };
  }

  /**
   * The coverage the project's own tests (`request.existingTests`) give `target`, run the way pytest runs them in
   * the project (its conftest files and configuration), test files under the output folder left out.
   */
  private async existingCoverage(
    target: ModuleTarget,
    request: GenerateTestsRequest,
  ): Promise<CoverageReport | undefined> {
    if (!request.existingTests) return undefined;
    const result = await this.deps.executor.run({
      target,
      testPaths: [request.existingTests],
      ignorePaths: [request.outDir],
      ...this.limits(request),
    });
    const failed = result.outcomes.filter(
      (o) => o.status === 'failed' || o.status === 'error' || o.status === 'timeout',
    ).length;
    if (failed > 0 || result.collectionErrors.length > 0) {
      this.logger.warn('Some of your existing tests did not pass; the coverage of those that ran is the baseline', {
        module: target.moduleName,
        failed,
        collectionErrors: result.collectionErrors.length,
      });
    }
    return result.coverage;
  }

  /** `coverage` with what the project's own tests cover added (with `existingTests`). */
  private counted(request: GenerateTestsRequest, coverage: CoverageReport): CoverageReport {
    return request.existingCoverage ? coverage.union(request.existingCoverage) : coverage;
  }

  /** Changed-code mode: file → changed lines since `request.changedSince`; undefined otherwise. */
  private async changedLines(
    request: GenerateTestsRequest,
  ): Promise<ReadonlyMap<string, readonly number[]> | undefined> {
    if (!request.changedSince) return undefined;
    if (!this.deps.changedCode)
      throw new InvalidInputError(
        'TA_CHANGED_SINCE_UNAVAILABLE',
        'Changed-code mode needs a version-control adapter, and none is configured',
      );
    const changed = await this.deps.changedCode.changedSince(request.path, request.changedSince);
    this.logger.info('Changed-code mode', { ref: request.changedSince, files: changed.size });
    return changed;
  }

  /**
   * Writes a module's unit (or integration) tests at its place in the output tree (`request.testPlaces`; the
   * output folder itself, named as in the executor's runs, without one).
   */
  private async emitTests(
    target: ModuleTarget,
    request: GenerateTestsRequest,
    cases: readonly TestCase[],
    options: { coverage?: CoverageReport; integration?: boolean },
  ): Promise<EmitResult> {
    const place = request.testPlaces?.get(target.file);
    const files = place
      ? testFilesOf(place)
      : { unit: this.assembler.fileNameFor(target), integration: integrationFileName(this.assembler, target) };
    const relative = options.integration ? files.integration : files.unit;
    const slash = relative.lastIndexOf('/');
    const file = this.assembler.assemble(target, cases, {
      fileName: relative.slice(slash + 1),
      ...(options.coverage ? { coverage: options.coverage } : {}),
    });
    const folder = slash < 0 ? request.outDir : this.deps.workspace.pathIn(request.outDir, relative.slice(0, slash));
    return this.deps.fileEmitter.emit(folder, file, { force: request.force });
  }

  /** Per-test and per-run limits of pytest runs, from the request or the defaults. */
  private limits(request: GenerateTestsRequest): { perTestTimeoutMs: number; overallTimeoutMs: number } {
    return { perTestTimeoutMs: request.perTestTimeoutMs ?? 10_000, overallTimeoutMs: request.runTimeoutMs ?? 300_000 };
  }

  /**
   * Where the files go: `outDir`, or `outDir/test_agent` when `outDir` holds a `conftest.py` that is the user's
   * (never modified without `force`): the generated conftest that makes the modules importable must sit beside
   * the generated tests.
   */
  private async outputFolder(request: GenerateTestsRequest): Promise<string> {
    const { workspace } = this.deps;
    const conftest = workspace.pathIn(request.outDir, 'conftest.py');
    if (
      request.force ||
      !(await workspace.exists(conftest)) ||
      isPristineGeneratedFile(await workspace.head(conftest, MAX_CONFTEST_CHARS))
    ) {
      return request.outDir;
    }
    const folder = workspace.pathIn(request.outDir, 'test_agent');
    this.logger.warn('The output folder has your conftest.py; writing the generated tests into a subfolder', {
      folder,
    });
    return folder;
  }

  /**
   * A module for which no test was kept is still measured by coverage.py: its module-level lines run when it is
   * imported. Modules that could not be imported keep their error.
   */
  private async withImportCoverage(
    target: ModuleTarget,
    request: GenerateTestsRequest,
    report: ModuleGenerationReport,
  ): Promise<ModuleGenerationReport> {
    if (report.testFile || report.integrationTestFile) return report;
    if (report.error) return this.withUntestedStatements(target, request, report);
    const coverage = this.counted(
      request,
      (await measureImportCoverage(this.deps.executor, this.assembler, target, this.limits(request))).coverage,
    );
    return { ...report, coverage: coverage.summary(), missingLines: coverage.missingLines };
  }

  /**
   * Honest totals: a module that could not be imported or tested still counts, with every statement and branch
   * uncovered. coverage.py counts them from a run that never imports the module; a file it cannot parse (or one
   * refused unread: binary, oversized) stays at 0/0, its error saying why.
   */
  private async withUntestedStatements(
    target: ModuleTarget,
    request: GenerateTestsRequest,
    report: ModuleGenerationReport,
  ): Promise<ModuleGenerationReport> {
    if (UNREAD_MODULE_ERRORS.has(report.error?.code ?? '')) return report;
    try {
      const coverage = await measureUnimportedCoverage(
        this.deps.executor,
        this.assembler,
        target,
        this.limits(request),
      );
      return { ...report, coverage: coverage.summary(), missingLines: coverage.missingLines };
    } catch (e) {
      this.logger.warn('Could not count the statements of a module that was not tested', {
        module: target.moduleName,
        error: errorReason(e).message,
      });
      return report;
    }
  }

  private async generateModule(
    target: ModuleTarget,
    request: GenerateTestsRequest,
    many: boolean,
  ): Promise<ModuleGenerationReport> {
    const started = this.now();
    const phase = await this.offlinePhase(target, request, many);
    if (phase.kind === 'skipped') return phase.report;
    const { cases, lastCoverage, failing, flaky, machine, generation } = phase;
    const facts = { ...sandboxFacts(generation), ...offlineFacts(phase, request) };
    if (cases.length === 0 || !lastCoverage) {
      const nothing = CoverageReport.empty(generation.search.coverage);
      return {
        ...emptyReport(target, this.now() - started),
        ...facts,
        coverage: nothing.summary(),
        missingLines: nothing.missingLines,
        dropped: { failing, flaky, unstable: generation.unstable, machine },
        executions: generation.search.executions,
        stoppedBy: generation.search.stoppedBy,
      };
    }
    // The same last step as the LLM strategies: the suite together once more, then coverage-preserving minimisation.
    const suite = await this.finalSuite(target, request, cases, []);
    const coverage = suite.coverage ?? CoverageReport.empty(lastCoverage);
    if (suite.unit.length === 0) {
      return {
        ...emptyReport(target, this.now() - started),
        ...facts,
        coverage: coverage.summary(),
        missingLines: coverage.missingLines,
        dropped: { failing: failing + suite.polluted, flaky, unstable: generation.unstable, machine },
      };
    }
    const written = await this.emitTests(target, request, suite.unit, { coverage });
    const withoutDoctests = await this.coverageWithoutDoctests(target, request, suite.unit, coverage);
    this.logger.info('Tests written', {
      module: target.moduleName,
      file: written.path,
      action: written.action,
      tests: suite.unit.length,
      minimised: suite.minimised,
      combined: Number(coverage.combinedPercent.toFixed(1)),
    });
    const counted = this.counted(request, coverage);
    this.recordCoverage(counted);
    this.metrics.observe('test_agent_test_generation_duration_seconds', (this.now() - started) / 1000, {
      generator: 'offline',
    });
    return {
      module: target.moduleName,
      file: target.file,
      importRoot: target.importRoot,
      testFile: written.path,
      writeAction: written.action,
      tests: suite.unit.length,
      coverage: counted.summary(),
      missingLines: counted.missingLines,
      dropped: { failing: failing + suite.polluted, flaky, unstable: generation.unstable, machine },
      executions: generation.search.executions,
      stoppedBy: generation.search.stoppedBy,
      durationMs: this.now() - started,
      ...facts,
      ...(withoutDoctests ? { withoutDoctests: withoutDoctests.summary() } : {}),
      ...changedCoverage(counted, request.changedLines?.get(target.file)),
    };
  }

  /**
   * The offline engine on one module: search, then run the rendered file, dropping tests that fail, until a
   * full streak of `flakyRuns` passing runs. In a folder, a module that cannot be imported is skipped.
   */
  private async offlinePhase(
    target: ModuleTarget,
    request: GenerateTestsRequest,
    many: boolean,
  ): Promise<OfflinePhase> {
    const started = this.now();
    const log = this.logger;
    let generation;
    try {
      generation = await this.deps.offline.generate(target, {
        ...this.offlineBudgets(request, perturbationsOf(request).length),
        seed: request.seed,
        callTimeoutMs: request.callTimeoutMs,
        pinDefects: request.pinDefects,
        focusLines: request.changedLines?.get(target.file),
        coveredBefore: coveredBy(request.existingCoverage),
      });
    } catch (e) {
      // In a folder, one module that cannot be imported must not stop the others.
      if (!many || !(e instanceof InvalidInputError)) throw e;
      // Reported in the module's row and the summary; a warning line would say it a third time.
      log.info('Skipping a module', { module: target.moduleName, error: e.message });
      return {
        kind: 'skipped',
        report: emptyReport(target, this.now() - started, { code: e.code, message: e.message }),
      };
    }
    if (generation.search.coverage.lines.total === 0) {
      const empty = new InvalidInputError('TA_EMPTY_MODULE', `${target.file} has no statements to test`);
      if (!many) throw empty;
      return {
        kind: 'skipped',
        report: emptyReport(target, this.now() - started, { code: empty.code, message: empty.message }),
      };
    }
    const exclude = new Set<string>();
    let failing = 0;
    let flaky = 0;
    let machine = 0;
    const runs = Math.max(1, request.flakyRuns ?? 5);
    // Besides the repeated runs, one run on each perturbed machine (time zone, locale, proxies, clock).
    const perturbations = perturbationsOf(request);
    const perturbed = new Set<string>();
    let lastCoverage: CoverageReport | undefined;
    let kept = 0;
    let cases: readonly TestCase[] = [];
    let lastFile: ReturnType<OfflineGeneration['render']> | undefined;
    // Run the file once; drop what fails and run again. Then the repeated runs and one run on each perturbed
    // machine, side by side: what fails in any of them is dropped and the whole check starts again.
    for (let round = 0; round < 6; round++) {
      const file = generation.render(exclude);
      cases = file.cases;
      kept = cases.length;
      if (kept === 0) break;
      lastFile = file;
      const assembled = this.assembler.assemble(target, cases);
      const runOnce = async (perturbation?: MachinePerturbation) => {
        const result = await this.deps.executor.run({
          target,
          testFiles: [{ name: assembled.name, content: assembled.content }],
          ...this.limits(request),
          ...onMachine(perturbation),
        });
        this.observePytestRun(result.durationMs);
        if (perturbation)
          perturbed.add(
            perturbation.clockShiftSeconds && !result.clockShifted
              ? `${perturbation.name} (clock not moved: libfaketime not found)`
              : perturbation.name,
          );
        // A case that failed, did not run, or (a pinned defect) did not fail as its strict xfail mark says; the
        // assembler may rename cases, so they map back by position.
        const failed = assembled.cases
          .filter(
            (c) => caseOutcome(result, assembled.nodeIds.get(c.name) as string, c.expectedFailure).status !== 'passed',
          )
          .map((c) => cases[assembled.cases.indexOf(c)].name);
        if (perturbation && result.collectionErrors.length > 0) {
          // The file does not even import on that machine: every test fails there, and the report says why.
          log.warn('The generated tests do not import on a perturbed machine; dropping them', {
            module: target.moduleName,
            machine: perturbation.name,
            error: result.collectionErrors[0],
          });
        }
        return { result, failed, perturbation };
      };
      const first = await runOnce();
      if (first.result.collectionErrors.length > 0) {
        const broken = new TestAgentError(
          'TA_GENERATED_FILE_BROKEN',
          'internal',
          `The generated test file for ${target.moduleName} could not be collected: ${first.result.collectionErrors[0]}`,
          {
            details: { module: target.moduleName },
          },
        );
        // A defect of ours for this module: in a folder the others still run, and this one says why it has no tests.
        if (!many) throw broken;
        log.error('The generated test file could not be collected; skipping the module', {
          module: target.moduleName,
          error: broken.message,
        });
        return {
          kind: 'skipped',
          report: emptyReport(target, this.now() - started, { code: broken.code, message: broken.message }),
        };
      }
      if (first.failed.length) {
        for (const name of first.failed) exclude.add(name);
        failing += first.failed.length;
        log.debug('Dropping tests that did not pass', { module: target.moduleName, tests: first.failed, run: 0 });
        lastCoverage = undefined;
        continue;
      }
      lastCoverage = first.result.coverage;
      const plans: (MachinePerturbation | undefined)[] = [
        ...Array.from({ length: runs - 1 }, () => undefined),
        ...perturbations,
      ];
      const later = await inPool(plans, VALIDATION_RUNS_AT_ONCE, (perturbation) => runOnce(perturbation));
      const flakyNames = new Set(later.filter((r) => !r.perturbation).flatMap((r) => r.failed));
      const machineNames = new Set(
        later
          .filter((r) => r.perturbation)
          .flatMap((r) => r.failed)
          .filter((n) => !flakyNames.has(n)),
      );
      if (flakyNames.size === 0 && machineNames.size === 0) break;
      for (const name of [...flakyNames, ...machineNames]) exclude.add(name);
      flaky += flakyNames.size;
      machine += machineNames.size;
      log.debug('Dropping tests that did not pass every run', {
        module: target.moduleName,
        flaky: [...flakyNames],
        otherMachine: [...machineNames],
      });
      lastCoverage = undefined;
    }
    return {
      kind: 'done',
      cases: kept === 0 ? [] : cases,
      lastCoverage,
      failing,
      flaky,
      machine,
      perturbations: [...perturbed],
      defects: lastFile?.defects ?? [],
      generation,
    };
  }

  /**
   * The written suite's coverage without the wrappers of the module's own doctest examples (those are the
   * author's tests, not ours): one more pytest run, only when the suite has such wrappers.
   */
  private async coverageWithoutDoctests(
    target: ModuleTarget,
    request: GenerateTestsRequest,
    cases: readonly TestCase[],
    coverage: CoverageReport,
  ): Promise<CoverageReport | undefined> {
    const ours = cases.filter((c) => !c.doctest);
    if (ours.length === cases.length) return undefined;
    if (ours.length === 0) return CoverageReport.empty(coverage);
    const file = this.assembler.assemble(target, ours);
    const result = await this.deps.executor.run({
      target,
      testFiles: [{ name: file.name, content: file.content }],
      ...this.limits(request),
    });
    return result.coverage;
  }

  /**
   * The time budget is the module's wall time: the search gets what is left after the simplification and the
   * validation runs it will need (first run, the repeated and perturbed runs two at a time, the final suite and its
   * minimised re-run), estimated from how long pytest runs took so far; at least 5 s (the whole budget when it is
   * smaller: a budget that small cannot cover the validation anyway).
   */
  private offlineBudgets(
    request: GenerateTestsRequest,
    perturbations: number,
  ): { timeBudgetMs: number; simplifyBudgetMs: number; importTimeoutMs: number } {
    const budgetMs = request.timeBudgetSeconds * 1000;
    const runs = Math.max(1, request.flakyRuns ?? 5);
    const validationMs = this.pytestRunMs * (1 + Math.ceil((runs - 1 + perturbations) / VALIDATION_RUNS_AT_ONCE) + 2);
    const simplifyBudgetMs = Math.min(12_000, Math.max(1000, budgetMs * 0.15));
    const searchMs = Math.max(Math.min(budgetMs, MIN_SEARCH_MS), budgetMs - validationMs - simplifyBudgetMs);
    return { timeBudgetMs: searchMs, simplifyBudgetMs, importTimeoutMs: Math.max(10_000, budgetMs / 2) };
  }

  private observePytestRun(ms: number): void {
    this.pytestRunMs = 0.5 * this.pytestRunMs + 0.5 * ms;
  }

  /**
   * The LLM strategies on one module. `hybrid`: the offline engine first, its tests the baseline; `llm`: the
   * model alone. Then the coverage loop over the module's chunks, a final run of the whole suite together (what
   * fails there is dropped), coverage-preserving minimisation, and the unit and integration files written.
   * An LLM failure propagates; under `hybrid` the offline tests are written first and the error says so.
   */
  private async generateModuleWithLlm(
    target: ModuleTarget,
    request: GenerateTestsRequest,
    many: boolean,
    strategy: 'llm' | 'hybrid',
  ): Promise<ModuleGenerationReport> {
    const started = this.now();
    const llm = this.deps.llm as NonNullable<GenerateTestsDependencies['llm']>;
    let offlineCases: readonly TestCase[] = [];
    let baseline: CoverageReport | undefined;
    let dropped: ModuleGenerationReport['dropped'] = { failing: 0, flaky: 0, unstable: 0 };
    let executions = 0;
    let offlineReport: Partial<ModuleGenerationReport> = {};
    if (strategy === 'hybrid') {
      const phase = await this.offlinePhase(target, request, many);
      if (phase.kind === 'skipped') return phase.report;
      offlineReport = { ...sandboxFacts(phase.generation), ...offlineFacts(phase, request) };
      offlineCases = phase.cases;
      baseline = phase.lastCoverage;
      dropped = {
        failing: phase.failing,
        flaky: phase.flaky,
        unstable: phase.generation.unstable,
        machine: phase.machine,
      };
      executions = phase.generation.search.executions;
    }
    if (strategy === 'llm') {
      // A module that cannot be imported gets no LLM call: the same report as the offline engine gives it.
      const probe = await measureImportCoverage(this.deps.executor, this.assembler, target, this.limits(request));
      if (probe.error) {
        const failure = new InvalidInputError(
          'TA_IMPORT_FAILED',
          `Cannot import ${target.moduleName} from ${target.file}: ${failureHeadline(probe.error)}`,
        );
        if (!many) throw failure;
        this.logger.warn('Skipping a module', { module: target.moduleName, error: failure.message });
        return emptyReport(target, this.now() - started, { code: failure.code, message: failure.message });
      }
    }
    // Reading, chunking (token counting may call the endpoint) and every LLM call sit inside the error handling:
    // whatever fails there, the offline engine's tests are written first. A prompt the server silently truncated
    // (its context window is smaller than configured) is refitted: the module is chunked smaller and the loop
    // resumes from its checkpoint, at most twice.
    let result: LlmGenerationResult;
    let chunked: Awaited<ReturnType<typeof llm.chunker.execute>> | undefined;
    let refits = 0;
    try {
      const source = await llm.reader.read(target.file);
      const outline = llm.parser.parse(source);
      // The window of the whole chain (detection asks the servers once), so a call that moves on still fits.
      const fit = await llm.fit?.();
      const window = fit
        ? { contextWindow: fit.contextWindow, reservedCompletionTokens: fit.reservedCompletionTokens }
        : {};
      chunked = await llm.chunker.execute({ path: target.file, ...window });
      const deadline = this.now() + (request.timeoutSeconds ?? 600) * 1000;
      for (;;) {
        try {
          result = await llm.generation.generate({
            target,
            source,
            outline,
            chunks: chunked.chunks,
            baseline: { cases: offlineCases, ...knownCoverage(baseline, request.existingCoverage) },
            targetCoverage: request.targetCoverage,
            maxIterations: request.maxIterations ?? 3,
            maxTokens: request.maxTokens ?? 200_000,
            deadline,
            repairAttempts: request.repairAttempts ?? 3,
            flakyRuns: Math.max(0, request.flakyRuns ?? 5),
            perturbations: perturbationsOf(request),
            maxCompletionTokens: fit?.reservedCompletionTokens ?? llm.maxCompletionTokens,
            resume: request.resume || (refits > 0 && llm.checkpointsFor !== undefined),
            ...(llm.checkpointsFor ? { checkpoints: llm.checkpointsFor(request.outDir) } : {}),
            ...(request.onProgress
              ? { onProgress: (event: LlmProgressEvent) => request.onProgress?.(target.moduleName, event) }
              : {}),
          });
          break;
        } catch (e) {
          const overflow = silentTruncation(e);
          const largest = Math.max(1, ...chunked.chunks.map((c) => c.tokens));
          const estimated = Number(overflow?.details?.estimatedTokens);
          const reported = Number(overflow?.details?.reportedTokens);
          // The share of the prompt that got through, with a margin; at least halved.
          const share = estimated > 0 && reported > 0 ? Math.min(0.5, (0.8 * reported) / estimated) : 0.5;
          const maxTokens = Math.floor(largest * share);
          if (!overflow || refits >= 2 || maxTokens < 64) throw e;
          refits++;
          this.logger.warn('The LLM server truncated a prompt silently; chunking the module smaller and resuming', {
            module: target.moduleName,
            endpoint: overflow.endpoint,
            reportedTokens: Number.isFinite(reported) ? reported : undefined,
            estimatedTokens: Number.isFinite(estimated) ? estimated : undefined,
            maxChunkTokens: maxTokens,
            refit: refits,
          });
          chunked = await llm.chunker.execute({ path: target.file, maxTokens, ...window });
        }
      }
    } catch (e) {
      if (!(e instanceof TestAgentError)) throw e;
      const again = e instanceof LlmError ? '; run again with --resume when the LLM is back' : '';
      if (offlineCases.length > 0 && baseline) {
        // The offline engine's tests are sound whatever happened to the LLM phase: write them before failing.
        const written = await this.emitTests(target, request, offlineCases, { coverage: baseline });
        throw new TestAgentError(
          e instanceof LlmError ? 'TA_LLM_GENERATION_FAILED' : e.code,
          e.kind,
          `${e.message} — the offline engine's ${offlineCases.length} tests were written to ${written.path}${again}`,
          { cause: e, details: { ...e.details, written: written.path } },
        );
      }
      if (e instanceof LlmError && llm.checkpointsFor) {
        throw new TestAgentError(e.code, e.kind, `${e.message} — the tests accepted so far are checkpointed${again}`, {
          cause: e,
          details: e.details,
        });
      }
      throw e;
    }
    // What the prompts were fitted to, for the report: the context window, the answer's reserve, the chunk budget
    // and whether token counts were the model's own or local estimates (its counter failed, e.g. GigaChat's
    // /tokens/count answering 503). The counter is the one chunking and the loop used, read after the loop.
    const fitting = {
      contextWindow: chunked.model.contextWindow,
      reservedCompletionTokens: chunked.model.reservedCompletionTokens,
      chunkBudgetTokens: chunked.budget.maxTokens,
      tokenCounts:
        chunked.exactCounts && llm.chunker.plan({}).counter.exact ? ('exact' as const) : ('estimated' as const),
      ...(refits > 0 ? { refitsAfterTruncation: refits } : {}),
    };

    const suite = await this.finalSuite(target, request, [...offlineCases, ...result.unit], result.integration);
    const llmReport: ModuleLlmReport = {
      funnel: result.funnel,
      repairs: result.repairs,
      // "After" as coverage.py measured the files written (minimised, pollution removed), chunk by chunk.
      chunks: result.chunks.map((c) =>
        suite.coverage ? { ...c, after: suite.coverage.project(c.startLine, c.endLine).summary() } : c,
      ),
      suspectedDefects: result.suspectedDefects,
      llmCalls: result.llmCalls,
      summaryCalls: result.summaryCalls,
      promptTokens: result.promptTokens,
      completionTokens: result.completionTokens,
      stoppedBy: result.stoppedBy,
      resumed: result.resumed,
      accepted: { offline: offlineCases.length, unit: result.unit.length, integration: result.integration.length },
      minimised: suite.minimised,
      polluted: suite.polluted,
      ...fitting,
    };
    const base = {
      ...offlineReport,
      module: target.moduleName,
      file: target.file,
      importRoot: target.importRoot,
      dropped,
      executions,
      stoppedBy: result.stoppedBy,
      llm: llmReport,
    };
    if (!suite.coverage || suite.unit.length + suite.integration.length === 0) {
      const nothing = suite.coverage ?? CoverageReport.empty(result.coverage);
      return {
        ...base,
        tests: 0,
        coverage: nothing.summary(),
        missingLines: nothing.missingLines,
        durationMs: this.now() - started,
      };
    }
    let testFile: { path: string; action: ModuleGenerationReport['writeAction'] } | undefined;
    if (suite.unit.length > 0) {
      testFile = await this.emitTests(target, request, suite.unit, { coverage: suite.coverage });
    }
    let integrationTestFile: string | undefined;
    if (suite.integration.length > 0) {
      integrationTestFile = (await this.emitTests(target, request, suite.integration, { integration: true })).path;
    }
    const counted = this.counted(request, suite.coverage);
    this.recordCoverage(counted);
    this.logger.info('Tests written', {
      module: target.moduleName,
      file: testFile?.path,
      integration: integrationTestFile,
      tests: suite.unit.length + suite.integration.length,
      combined: Number(suite.coverage.combinedPercent.toFixed(1)),
    });
    return {
      ...base,
      ...(testFile ? { testFile: testFile.path, writeAction: testFile.action } : {}),
      ...(integrationTestFile ? { integrationTestFile } : {}),
      tests: suite.unit.length + suite.integration.length,
      coverage: counted.summary(),
      missingLines: counted.missingLines,
      durationMs: this.now() - started,
    };
  }

  /**
   * Runs the unit and integration files together (again and again, dropping what fails there: test
   * pollution), then removes unit tests that are duplicates or whose lines and branches others cover, and runs
   * the final files once more: the coverage returned is what coverage.py measured on exactly the files written.
   */
  private async finalSuite(
    target: ModuleTarget,
    request: GenerateTestsRequest,
    unitCases: readonly TestCase[],
    integrationCases: readonly TestCase[],
  ): Promise<{
    unit: TestCase[];
    integration: TestCase[];
    coverage?: CoverageReport;
    polluted: number;
    minimised: number;
  }> {
    let unit = [...unitCases];
    let integration = [...integrationCases];
    let polluted = 0;
    const run = async () => {
      const files = [
        ...(unit.length ? [this.assembler.assemble(target, unit)] : []),
        ...(integration.length
          ? [this.assembler.assemble(target, integration, { fileName: integrationFileName(this.assembler, target) })]
          : []),
      ];
      const result = await this.deps.executor.run({
        target,
        testFiles: files,
        perTestCoverage: true,
        ...this.limits(request),
      });
      const failed = (file: (typeof files)[number] | undefined) =>
        new Set(
          file
            ? file.cases
                .filter(
                  (c) => caseOutcome(result, file.nodeIds.get(c.name) as string, c.expectedFailure).status !== 'passed',
                )
                .map((c) => c.name)
            : [],
        );
      const unitFile = unit.length ? files[0] : undefined;
      const integrationFile = integration.length ? files[files.length - 1] : undefined;
      return {
        result,
        unitFile,
        integrationFile,
        failedUnit: failed(unitFile),
        failedIntegration: failed(integrationFile),
      };
    };
    // The assembler renames duplicate names; map emitted cases back by position.
    const keep = (cases: TestCase[], file: { cases: readonly TestCase[] } | undefined, failed: Set<string>) =>
      file ? cases.filter((_, i) => !failed.has(file.cases[i].name)) : cases;

    let last: Awaited<ReturnType<typeof run>> | undefined;
    // Each round drops at least one test, so this ends; it usually takes one round.
    while (unit.length + integration.length > 0) {
      last = await run();
      const bad = last.failedUnit.size + last.failedIntegration.size;
      if (bad === 0) break;
      polluted += bad;
      this.logger.warn('Tests that pass alone failed in the suite; dropped', {
        module: target.moduleName,
        tests: [...last.failedUnit, ...last.failedIntegration],
      });
      unit = keep(unit, last.unitFile, last.failedUnit);
      integration = keep(integration, last.integrationFile, last.failedIntegration);
      last = undefined;
    }
    if (!last) return { unit: [], integration: [], polluted, minimised: 0 };

    let minimised = 0;
    if (last.unitFile && unit.length > 1) {
      const emitted = last.unitFile.cases;
      const coverage = perCaseCoverage(last.result, last.unitFile.nodeIds);
      // A pinned defect stays and counts for nothing here: it checks a behaviour the others do not, and a failing
      // test's lines must not stand in for a passing one's.
      const { kept } = new TestDeduplicator().minimise(
        emitted.filter((c) => !c.expectedFailure),
        coverage,
      );
      const keptNames = new Set([
        ...kept.map((c) => c.name),
        ...emitted.filter((c) => c.expectedFailure).map((c) => c.name),
      ]);
      const smaller = unit.filter((_, i) => keptNames.has(emitted[i].name));
      minimised = unit.length - smaller.length;
      if (minimised > 0) {
        unit = smaller;
        last = await run();
        if (last.failedUnit.size + last.failedIntegration.size > 0) {
          throw new TestAgentError(
            'TA_MINIMISED_SUITE_FAILED',
            'internal',
            `The minimised suite of ${target.moduleName} failed: ${[...last.failedUnit, ...last.failedIntegration].join(', ')}`,
          );
        }
      }
    }
    // Every case passed (a pinned defect: failed as its strict xfail mark says) — `failedUnit`/`failedIntegration`
    // hold the ones that did not; an outcome of no case at all is unexpected too.
    const failedNames = new Set([...last.failedUnit, ...last.failedIntegration]);
    const owners = [last.unitFile, last.integrationFile].flatMap((f) =>
      f ? f.cases.map((c) => ({ name: c.name, nodeId: f.nodeIds.get(c.name) as string })) : [],
    );
    const unexpected = last.result.outcomes.filter((o) => {
      const owner = owners.find((c) => isNodeOf(o.nodeId, c.nodeId));
      return owner ? failedNames.has(owner.name) : o.status !== 'passed';
    });
    if (unexpected.length > 0 || last.result.collectionErrors.length > 0) {
      throw new TestAgentError(
        'TA_FINAL_SUITE_FAILED',
        'internal',
        `The final suite of ${target.moduleName} has failing tests: ${unexpected.map((o) => o.nodeId).join(', ') || last.result.collectionErrors[0]}`,
      );
    }
    return { unit, integration, coverage: last.result.coverage, polluted, minimised };
  }

  /**
   * A `conftest.py` that puts the modules' import roots on `sys.path`, so plain `pytest <out>` imports them. An
   * earlier run's roots are kept; a conftest edited by hand (or the user's) is left alone unless `force`.
   */
  private async writeConftest(
    request: GenerateTestsRequest,
    targets: readonly ModuleTarget[],
  ): Promise<string | undefined> {
    if (targets.length === 0) return undefined;
    const { workspace } = this.deps;
    const file = workspace.pathIn(request.outDir, 'conftest.py');
    let earlier: string[] = [];
    if (await workspace.exists(file)) {
      const existing = await workspace.head(file, MAX_CONFTEST_CHARS);
      if (!isPristineGeneratedFile(existing) && !request.force) {
        this.logger.warn(
          'Leaving the existing conftest.py alone: make sure it puts the modules under test on sys.path',
          { file },
        );
        return undefined;
      }
      earlier = conftestRoots(existing);
    }
    const roots = [
      ...new Set([...earlier, ...targets.map((t) => workspace.relative(request.outDir, t.importRoot) || '.')]),
    ].sort();
    const body = [
      'import os',
      'import sys',
      '',
      `for _root in [${roots.map((r) => JSON.stringify(r)).join(', ')}]:`,
      '    _path = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), _root))',
      '    if _path not in sys.path:',
      '        sys.path.insert(0, _path)',
      '',
    ].join('\n');
    await workspace.write(
      file,
      withDigest(
        [`${GENERATED_MARKER}: makes the modules under test importable wherever pytest is started from.`],
        body,
      ),
    );
    return file;
  }
}

/** The code and message a module's report gives for the error that stopped it. */
function errorReason(e: unknown): { code: string; message: string } {
  return {
    code: e instanceof TestAgentError ? e.code : 'TA_INTERNAL',
    message: e instanceof Error ? e.message : String(e),
  };
}

/** A folder none of whose modules could be tested, each with its reason. */
function nothingTestable(
  path: string,
  modules: readonly Pick<ModuleGenerationReport, 'module' | 'error'>[],
): InvalidInputError {
  return new InvalidInputError(
    'TA_NOTHING_TESTABLE',
    `No module under ${path} could be tested: ${modules.map((m) => `${m.module}: ${m.error?.message}`).join('; ')}`,
  );
}

/** Enough of a conftest.py to check its digest (ours are a few hundred characters). */
const MAX_CONFTEST_CHARS = 1_000_000;

/** The import roots listed by a conftest.py Test Agent wrote. */
function conftestRoots(content: string): string[] {
  const m = /^for _root in (\[.*\]):$/m.exec(content);
  return m ? (JSON.parse(m[1]) as string[]) : [];
}

/** `test_<module>_integration.py`, beside the unit tests' `test_<module>.py`. */
function integrationFileName(assembler: TestFileAssembler, target: ModuleTarget): string {
  return assembler.fileNameFor(target).replace(/\.py$/, '_integration.py');
}

function emptyReport(
  target: ModuleTarget,
  durationMs: number,
  error?: { code: string; message: string },
): ModuleGenerationReport {
  return {
    module: target.moduleName,
    file: target.file,
    importRoot: target.importRoot,
    tests: 0,
    coverage: {
      lines: { covered: 0, total: 0 },
      branches: { covered: 0, total: 0 },
      percent: { line: 0, branch: 0, combined: 0 },
    },
    missingLines: [],
    dropped: { failing: 0, flaky: 0, unstable: 0 },
    executions: 0,
    stoppedBy: error ? 'error' : 'none',
    durationMs,
    ...(error ? { error } : {}),
  };
}

/**
 * The truncation behind an LLM failure: an `LlmContextOverflowError`, or the cause of the chain's error when every
 * endpoint truncated; undefined for any other failure.
 */
function silentTruncation(e: unknown): LlmError | undefined {
  if (!(e instanceof LlmError)) return undefined;
  if (e.reason === 'context-overflow') return e;
  const failures = e.details?.failures;
  const allTruncated =
    Array.isArray(failures) && (failures as { reason?: string }[]).every((f) => f.reason === 'context-overflow');
  return e.reason === 'all-failed' &&
    e.cause instanceof LlmError &&
    e.cause.reason === 'context-overflow' &&
    allTruncated
    ? e.cause
    : undefined;
}

/** The search's `coveredBefore`: what `existing` coverage reaches. */
function coveredBy(
  existing: CoverageReport | undefined,
): { lines: number[]; branches: CoverageReport['coveredBranches'] } | undefined {
  return existing ? { lines: existing.coveredLines, branches: existing.coveredBranches } : undefined;
}

/** The LLM phase's baseline coverage: the offline tests' and the project's own tests', either or both. */
function knownCoverage(
  offline: CoverageReport | undefined,
  existing: CoverageReport | undefined,
): { coverage?: CoverageReport } {
  const known = offline && existing ? offline.union(existing) : (offline ?? existing);
  return known ? { coverage: known } : {};
}

/** Why a run did not meet its target: the run stopped, modules could not be tested, nothing was kept, too low. */
function targetMissedBecause(run: {
  failure: unknown;
  modules: readonly ModuleGenerationReport[];
  errors: readonly ModuleGenerationReport[];
  written: boolean;
  coverage: CoverageSummary;
  target: number;
}): string[] {
  const reasons: string[] = [];
  if (run.failure) reasons.push(`the run stopped early: ${errorReason(run.failure).message}`);
  if (run.errors.length > 0) {
    const names = run.errors
      .slice(0, 5)
      .map((m) => m.module)
      .join(', ');
    const more = run.errors.length > 5 ? `, and ${run.errors.length - 5} more` : '';
    reasons.push(
      `${run.errors.length} of ${run.modules.length} modules could not be tested (${names}${more}); their statements count as uncovered`,
    );
  }
  if (!run.written) reasons.push('no test was kept');
  if (run.coverage.percent.combined < run.target)
    reasons.push(`line+branch coverage ${fmt(run.coverage.percent.combined)} % is below the ${run.target} % target`);
  return reasons;
}

/** Where the tests import the modules from (one line; usually one folder). */
function importRootLines(modules: readonly ModuleGenerationReport[]): string[] {
  const roots = [...new Set(modules.map((m) => m.importRoot))];
  return roots.length
    ? [`Imported from ${roots.join(', ')} (the import root${roots.length === 1 ? '' : 's'} on sys.path).`, '']
    : [];
}

/** `a 12.3 s, b 9.0 s`. */
export function formatSlowest(slowest: NonNullable<GenerateTestsReport['slowest']>): string {
  return slowest.map((m) => `${m.module} ${(m.durationMs / 1000).toFixed(1)} s`).join(', ');
}

/** The five modules that took longest, slowest first. */
function slowestModules(modules: readonly ModuleGenerationReport[]): { module: string; durationMs: number }[] {
  return [...modules]
    .sort((a, b) => b.durationMs - a.durationMs)
    .slice(0, 5)
    .map((m) => ({ module: m.module, durationMs: m.durationMs }));
}

/** Sum of covered and total lines and branches over modules (each module is its own file). */
export function totalCoverage(modules: readonly ModuleGenerationReport[]): CoverageSummary {
  const sum = (pick: (m: ModuleGenerationReport) => number) => modules.reduce((a, m) => a + pick(m), 0);
  const lines = { covered: sum((m) => m.coverage.lines.covered), total: sum((m) => m.coverage.lines.total) };
  const branches = { covered: sum((m) => m.coverage.branches.covered), total: sum((m) => m.coverage.branches.total) };
  const pct = (c: number, t: number) => (t === 0 ? 100 : (100 * c) / t);
  return {
    lines,
    branches,
    percent: {
      line: pct(lines.covered, lines.total),
      branch: pct(branches.covered, branches.total),
      combined: pct(lines.covered + branches.covered, lines.total + branches.total),
    },
  };
}

const fmt = (n: number) => n.toFixed(1);

/** The Markdown report: totals, then one row per module. */
export function renderMarkdown(r: GenerateTestsReport): string {
  const lines = [
    '# Test Agent report',
    '',
    `Strategy: ${r.strategy}. Target: ${r.targetCoverage} % line+branch coverage — ${r.targetMet ? 'met' : `not met: ${r.targetMissedBecause?.join('; ')}`}.`,
    '',
    ...(r.error ? [`**The run stopped early:** ${r.error.message} (${r.error.code}).`, ''] : []),
    ...sandboxLines(r.sandbox),
    ...(r.changedSince
      ? [
          `Changed since ${r.changedSince.ref}: ${r.changedSince.covered}/${r.changedSince.total} changed statements covered, in ${r.modules.length} changed module${r.modules.length === 1 ? '' : 's'}.`,
          '',
        ]
      : []),
    ...(r.python
      ? [
          `Python: ${r.python.executable} ${r.python.version} (from ${r.python.source}; project ${r.python.projectRoot}; pytest ${r.python.pytest ?? 'from the tooling'}).`,
          '',
        ]
      : []),
    ...llmRunLines(r.llm),
    `Total: ${fmt(r.coverage.percent.combined)} % line+branch (lines ${r.coverage.lines.covered}/${r.coverage.lines.total}, branches ${r.coverage.branches.covered}/${r.coverage.branches.total}), in ${(r.durationMs / 1000).toFixed(1)} s.`,
    '',
    ...(r.slowest?.length ? [`Slowest modules: ${formatSlowest(r.slowest)}.`, ''] : []),
    ...importRootLines(r.modules),
    ...(r.existingTests
      ? [
          `Existing tests (${r.existingTests.path}) alone: ${fmt(r.existingTests.coverage.percent.combined)} % line+branch; the total counts them with the generated tests.`,
          '',
        ]
      : []),
    ...perturbationLines(r.modules),
    '| module | tests | line % | branch % | line+branch % | dropped (failing / flaky / unstable / other machine) | search stop | test file |',
    '|---|---|---|---|---|---|---|---|',
    ...r.modules.map(
      (m) =>
        `| ${m.module} | ${m.tests} | ${fmt(m.coverage.percent.line)} | ${fmt(m.coverage.percent.branch)} | ${fmt(m.coverage.percent.combined)} | ${m.dropped.failing} / ${m.dropped.flaky} / ${m.dropped.unstable} / ${m.dropped.machine ?? 0} | ${m.stoppedBy} | ${m.testFile ?? (m.error ? `error: ${m.error.message}` : '—')} |`,
    ),
    '',
  ];
  const withDoctests = r.modules.filter((m) => m.withoutDoctests);
  if (withDoctests.length) {
    lines.push("Without the wrappers of the modules' own doctest examples (the authors' tests, not ours):", '');
    for (const m of withDoctests)
      lines.push(
        `- ${m.module}: ${fmt(m.withoutDoctests!.percent.combined)} % line+branch (with them ${fmt(m.coverage.percent.combined)} %)`,
      );
    lines.push('');
  }
  for (const m of r.modules) if (m.llm) lines.push(...renderLlmSection(m.module, m.llm));
  lines.push(...defectLines(r));
  lines.push(...outsideEffectLines(r.modules));
  const gaps = r.modules.filter((m) => m.missingLines.length > 0 && m.testFile);
  if (gaps.length) {
    lines.push('## Not covered', '');
    for (const m of gaps) lines.push(`- ${m.module}: lines ${compactRanges(m.missingLines)}`);
    lines.push('');
  }
  return lines.join('\n');
}

/** The changed statements of a module and how many the tests cover (absent outside changed-code mode). */
function changedCoverage(
  coverage: CoverageReport,
  lines: readonly number[] | undefined,
): Pick<ModuleGenerationReport, 'changedLines'> {
  if (!lines) return {};
  const wanted = new Set(lines);
  const covered = coverage.coveredLines.filter((l) => wanted.has(l));
  const missing = coverage.missingLines.filter((l) => wanted.has(l));
  return { changedLines: { covered: covered.length, total: covered.length + missing.length, missing } };
}

function changedTotals(
  ref: string,
  modules: readonly ModuleGenerationReport[],
): { ref: string; covered: number; total: number } {
  const covered = modules.reduce((n, m) => n + (m.changedLines?.covered ?? 0), 0);
  const total = modules.reduce((n, m) => n + (m.changedLines?.total ?? 0), 0);
  return { ref, covered, total };
}

/** A suspected defect found by the offline search (see `ModuleGenerationReport.suspectedDefects`). */
export interface OfflineSuspectedDefect {
  /** The callable that raised. */
  readonly subject: string;
  /** `ZeroDivisionError: division by zero`. */
  readonly error: string;
  /** The module's line that raised it. */
  readonly line?: number;
  /** The strict-xfail test that shows it. */
  readonly test: string;
}

/** What the offline phase adds to a module's report: the perturbed machines and the suspected defects. */
function offlineFacts(
  phase: Extract<OfflinePhase, { kind: 'done' }>,
  request: GenerateTestsRequest,
): Pick<ModuleGenerationReport, 'machinePerturbations' | 'suspectedDefects'> {
  // Pinned, a defect is reported when its strict-xfail test held (validation drops one that did not).
  const kept = new Set(phase.cases.map((c) => c.name));
  const defects = phase.defects
    .filter((d) => !request.pinDefects || kept.has(d.name))
    .map((d) => ({
      subject: d.subject,
      error: d.error,
      ...(d.line !== undefined ? { line: d.line } : {}),
      test: d.source,
    }));
  return {
    ...(phase.perturbations.length && phase.cases.length ? { machinePerturbations: phase.perturbations } : {}),
    ...(defects.length ? { suspectedDefects: defects } : {}),
  };
}

/** The perturbed machines the offline tests also passed on (one line; none when no module ran any). */
function perturbationLines(modules: readonly ModuleGenerationReport[]): string[] {
  const names = [...new Set(modules.flatMap((m) => m.machinePerturbations ?? []))];
  return names.length ? [`Every offline test also passed on other machines: ${names.join('; ')}.`, ''] : [];
}

/** The Markdown section on suspected defects the offline search found. */
function defectLines(r: GenerateTestsReport): string[] {
  const found = r.modules.filter((m) => m.suspectedDefects?.length);
  if (found.length === 0) return [];
  const out = [
    '## Suspected defects (errors of the code on well-typed input)',
    '',
    r.pinnedDefects
      ? 'Written into the test files as strict xfail tests.'
      : 'Not written into the test files (`--pin-defects` writes them as strict xfail tests).',
    '',
  ];
  for (const m of found) {
    for (const d of m.suspectedDefects!)
      out.push(
        `- ${m.module}.${d.subject}: \`${d.error}\`${d.line !== undefined ? ` on line ${d.line}` : ''}`,
        '',
        '```python',
        d.test,
        '```',
        '',
      );
  }
  return out;
}

/** What the search was kept from doing outside the sandbox, for the module's report (omitted when nothing). */
function sandboxFacts(generation: OfflineGeneration): Pick<ModuleGenerationReport, 'outsideEffects' | 'importEffects'> {
  return {
    ...(Object.keys(generation.outsideEffects).length ? { outsideEffects: generation.outsideEffects } : {}),
    ...(generation.importEffects.length ? { importEffects: generation.importEffects } : {}),
  };
}

/** The Markdown section on calls kept from acting outside the sandbox. */
function outsideEffectLines(modules: readonly ModuleGenerationReport[]): string[] {
  const touched = modules.filter((m) => m.outsideEffects || m.importEffects);
  if (touched.length === 0) return [];
  const lines = ['## Side effects outside the sandbox: not tested offline', ''];
  for (const m of touched) {
    if (m.importEffects) lines.push(`- ${m.module} (import): ${m.importEffects.map((e) => `\`${e}\``).join(', ')}`);
    for (const [fn, summary] of Object.entries(m.outsideEffects ?? {})) {
      lines.push(
        `- ${m.module}.${fn || '(module doctests)'}: ${summary.calls} call${summary.calls === 1 ? '' : 's'} refused (${summary.examples.map((e) => `\`${e}\``).join(', ')})`,
      );
    }
  }
  return [...lines, ''];
}

function isTarget(slot: ModuleGenerationReport | ModuleTarget): slot is ModuleTarget {
  return !('coverage' in slot);
}

/** How the code under test was contained, for the Markdown report. */
function sandboxLines(sandbox: ContainmentStatus | undefined): string[] {
  if (!sandbox) return [];
  if (!sandbox.confined)
    return [
      '**Unconfined:** the sandbox was off, so the code under test ran with the permissions of the user who ran Test Agent.',
      '',
    ];
  return [
    `Sandbox: ${sandbox.mechanism ?? 'on'} (file system read-only outside a private temp folder, no network, own process namespace).`,
    '',
  ];
}

/** The LLM part of the Markdown report for one module: funnel, per-chunk table, suspected defects. */
/** The endpoint chain in the Markdown report: who served, each window and its source, every fallback and why. */
function llmRunLines(llm: LlmRunReport | undefined): string[] {
  if (!llm) return [];
  const served = llm.servedBy.length > 0 ? `served by ${llm.servedBy.join(' and ')}` : 'no endpoint answered';
  const windows = llm.endpoints
    .filter((e) => e.contextWindow !== undefined)
    .map(
      (e) =>
        `${e.role} ${e.endpoint} ${e.contextWindow} tokens (${e.contextWindowSource})${e.countsEstimated ? ', token counts estimated locally' : ''}`,
    );
  return [
    `LLM: ${served}${llm.contextWindow ? `; prompts fitted to ${llm.contextWindow} tokens, the smallest window of the chain` : ''}.${windows.length ? ` Context windows: ${windows.join('; ')}.` : ''}`,
    ...llm.fallbacks.map(
      (f) =>
        `- Fallback: ${f.calls} call${f.calls === 1 ? '' : 's'} moved from ${f.from} to ${f.to} (${f.reason}): ${f.message}`,
    ),
    '',
  ];
}

function renderLlmSection(module: string, llm: ModuleLlmReport): string[] {
  const f = llm.funnel;
  const out = [
    `## LLM generation: ${module}`,
    '',
    `Stopped by: ${llm.stoppedBy}${llm.resumed ? ' (resumed from a checkpoint)' : ''}. LLM calls: ${llm.llmCalls} for tests, ${llm.summaryCalls} for summaries; tokens: ${llm.promptTokens} prompt + ${llm.completionTokens} completion.`,
    `Accepted: ${llm.accepted.offline} offline, ${llm.accepted.unit} LLM unit, ${llm.accepted.integration} integration; ${llm.minimised} removed by minimisation, ${llm.polluted} failed only in the full suite.`,
    '',
    '| validation funnel | generated | parse | import | pass | pass re-runs | add coverage |',
    '|---|---|---|---|---|---|---|',
    `| tests | ${f.generated} | ${f.parsed} | ${f.imported} | ${f.passed} | ${f.stable} | ${f.addedCoverage} |`,
    '',
    `Repairs: ${llm.repairs.succeeded} of ${llm.repairs.attempted} attempts fixed a test.`,
    ...(llm.contextWindow
      ? [
          `Prompts fitted to a ${llm.contextWindow}-token context window (${llm.reservedCompletionTokens} reserved for the answer, chunks up to ${llm.chunkBudgetTokens}); token counts ${llm.tokenCounts === 'estimated' ? "estimated locally (the endpoint's counter failed)" : "the model's own"}${llm.refitsAfterTruncation ? `; chunked smaller ${llm.refitsAfterTruncation} time(s) after a silent truncation` : ''}.`,
        ]
      : []),
    '',
    '| chunk | lines | symbols | line+branch % before | after | LLM calls | prompt / completion tokens | accepted | note |',
    '|---|---|---|---|---|---|---|---|---|',
    ...llm.chunks.map(
      (c) =>
        `| ${c.index + 1} | ${c.startLine}-${c.endLine} | ${c.symbols.join(', ') || '—'} | ${fmt(c.before.percent.combined)} | ${fmt(c.after.percent.combined)} | ${c.llmCalls} | ${c.promptTokens} / ${c.completionTokens} | ${c.accepted} | ${c.skipped ?? ''} |`,
    ),
    '',
  ];
  if (llm.suspectedDefects.length > 0) {
    out.push('### Suspected defects in the code under test', '');
    for (const d of llm.suspectedDefects) {
      out.push(`- \`${d.test}\` (${d.symbols.join(', ')}): ${d.message}`, '', '```python', d.code, '```', '');
    }
  }
  return out;
}

/** pytest runs of one module's validation in flight at once (each is one Python process). */
const VALIDATION_RUNS_AT_ONCE = 2;
/** A pytest run of one module's tests before any was measured (2-core machine, bubblewrap, coverage.py). */
const DEFAULT_PYTEST_RUN_MS = 1500;
/** The search's least share of a module's budget, in ms. */
const MIN_SEARCH_MS = 5000;

/** The perturbed machines a request's offline tests must also pass on. */
function perturbationsOf(request: GenerateTestsRequest): readonly MachinePerturbation[] {
  return request.perturbMachine === false ? [] : MACHINE_PERTURBATIONS;
}
