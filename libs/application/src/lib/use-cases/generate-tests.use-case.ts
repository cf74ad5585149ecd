import {
  InvalidInputError,
  silentLogger,
  TestAgentError,
  type ChangedCode,
  type Containment,
  type ContainmentStatus,
  type Logger,
  type ModuleTarget,
  type ProjectInterpreter,
  type ProjectInterpreters,
  type TestWorkspace,
} from '@test-agent/domain';
import type { ConftestWriter } from '../generation/conftest-writer.service';
import type { GenerateTestsRequest, GenerationStrategy } from '../generation/generation-request';
import type { ModuleCoverage } from '../generation/module-coverage.service';
import type { GenerateTestsReport, LlmRunReport, ModuleGenerationReport } from '../generation/report/generation-report';
import { renderJsonReport } from '../generation/report/json-report.renderer';
import { renderMarkdownReport } from '../generation/report/markdown-report.renderer';
import {
  changedTotals,
  emptyReport,
  errorReason,
  nothingTestable,
  slowestModules,
  targetMissedBecause,
  totalCoverage,
} from '../generation/report/report-facts';
import type { TestGenerationStrategy } from '../generation/strategies/generation-strategy';
import { mutationTotals } from '../generation/mutation/mutation-report';
import { planTestFiles } from './test-file-layout';

export interface GenerateTestsDependencies {
  /** The strategies this run may use, one per name (composition builds them: `offline` always, the LLM ones when an LLM is configured). */
  readonly strategies: readonly TestGenerationStrategy[];
  readonly workspace: TestWorkspace;
  /** Decides the output folder and writes the generated `conftest.py`. */
  readonly conftest: ConftestWriter;
  /** The coverage a module has besides the generated tests (the project's own tests, its import). */
  readonly coverage: ModuleCoverage;
  /** Whether the code under test runs sandboxed; checked before any of it runs. */
  readonly containment?: Containment;
  /** Which interpreter runs each module (the project's), for the report and import errors. */
  readonly interpreters?: ProjectInterpreters;
  /** What changed since a version-control reference (changed-code mode). */
  readonly changedCode?: ChangedCode;
  /** What the LLM endpoint chain did in the run (which endpoint served, fallbacks and why), for the report. */
  readonly llmRunSummary?: () => Promise<LlmRunReport>;
  readonly logger?: Logger;
  readonly now?: () => number;
}

const REPORT_JSON = 'test-agent-report.json';
const REPORT_MD = 'test-agent-report.md';

/** A module to generate, or the report of one skipped before it started (refused, or an ambiguous name). */
type Slot = ModuleGenerationReport | ModuleTarget;

/** What a run is about once its input is checked: the slots, the output folder, the sandbox and the interpreter. */
interface RunPlan {
  readonly run: GenerateTestsRequest;
  readonly slots: readonly Slot[];
  readonly many: boolean;
  readonly nothingToDo: boolean;
  readonly changedLines?: ReadonlyMap<string, readonly number[]>;
  readonly sandbox?: ContainmentStatus;
  readonly python?: ProjectInterpreter;
}

/** What the modules gave: their reports, the files written, the modules with tests, and what stopped the run. */
interface RunOutcome {
  readonly modules: ModuleGenerationReport[];
  readonly files: string[];
  readonly written: ModuleTarget[];
  readonly failure?: unknown;
}

/**
 * Generates pytest tests for a module or every module under a folder, writes them under `outDir` with a JSON
 * and a Markdown report. Every written test passed `flakyRuns` runs in a row under real pytest, and the reported
 * coverage is what coverage.py measured on those runs. The use case screens the modules, runs the strategy the
 * request names on each (`jobs` at a time), writes the conftest and the reports. Throws `InvalidInputError` for a
 * strategy not available, a bad time budget, a bad path, output folder or module (before any search); what stops
 * a run (an LLM outage, a broken environment) propagates after the files written so far and the reports.
 */
export class GenerateTests {
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly strategies: ReadonlyMap<GenerationStrategy, TestGenerationStrategy>;

  constructor(private readonly deps: GenerateTestsDependencies) {
    this.logger = (deps.logger ?? silentLogger).child('generate');
    this.now = deps.now ?? (() => Date.now());
    this.strategies = new Map(deps.strategies.map((s) => [s.name, s]));
  }

  /** The strategy used when the request names none: hybrid when it is available (an LLM is configured), else offline. */
  get defaultStrategy(): GenerationStrategy {
    return this.strategies.has('hybrid') ? 'hybrid' : 'offline';
  }

  async execute(request: GenerateTestsRequest): Promise<GenerateTestsReport> {
    const started = this.now();
    const strategy = this.strategyFor(request);
    if (!(request.timeBudgetSeconds > 0))
      throw new InvalidInputError(
        'TA_BAD_TIME_BUDGET',
        `The time budget must be a positive number of seconds, got ${request.timeBudgetSeconds}`,
        { option: 'timeBudget' },
      );
    const plan = await this.plan(request);
    const outcome = await this.runModules(plan, strategy);
    const { modules, files, failure } = outcome;
    const errors = modules.filter((m) => m.error);
    if (!failure && plan.many && errors.length === modules.length) throw nothingTestable(request.path, errors);
    const conftest = await this.deps.conftest.write(plan.run.outDir, outcome.written, request.force);
    if (conftest) files.push(conftest);
    const report = await this.report(request, strategy.name, plan, outcome, this.now() - started);
    if (files.length > 0 || !failure) {
      await this.deps.workspace.write(report.reports.json, renderJsonReport(report));
      await this.deps.workspace.write(report.reports.markdown, renderMarkdownReport(report));
    }
    if (failure) throw failure;
    return report;
  }

  /** The strategy the request names (or the default); `InvalidInputError` when it is not available here. */
  private strategyFor(request: GenerateTestsRequest): TestGenerationStrategy {
    const name = request.strategy ?? this.defaultStrategy;
    const strategy = this.strategies.get(name);
    if (strategy) return strategy;
    throw new InvalidInputError(
      'TA_STRATEGY_UNAVAILABLE',
      `strategy "${name}" needs an LLM: configure an LLM endpoint, or use the offline strategy`,
      { option: 'llmEndpoint' },
    );
  }

  /**
   * Checks the input (before any module runs), then decides the slots: skips are decided in order (the first of
   * two same-named modules wins), each module's place in the output tree, the output folder.
   */
  private async plan(request: GenerateTestsRequest): Promise<RunPlan> {
    const { workspace } = this.deps;
    const screened = await this.screen(request);
    const changedLines = await this.changedLines(request);
    const targets = changedLines ? screened.targets.filter((t) => changedLines.get(t.file)?.length) : screened.targets;
    const sandbox = await this.deps.containment?.require();
    const python = targets.length > 0 ? await this.deps.interpreters?.runtimeFor(targets[0]) : undefined;
    if (sandbox && !sandbox.confined)
      this.logger.warn('The sandbox is off: the code under test runs unconfined, with your permissions');
    const outDir = await this.deps.conftest.outputFolder(request.outDir, request.force);
    const slots: Slot[] = [];
    const byName = new Map<string, ModuleTarget>();
    for (const target of targets) {
      const refusal = screened.refused.get(target);
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
    const testPlaces = planTestFiles(slots.filter(isTarget), await workspace.testFilesUnder(outDir));
    return {
      run: { ...request, outDir, ...(changedLines ? { changedLines } : {}), testPlaces },
      slots,
      many: targets.length > 1,
      nothingToDo: changedLines !== undefined && targets.length === 0,
      ...(changedLines ? { changedLines } : {}),
      ...(sandbox ? { sandbox } : {}),
      ...(python ? { python } : {}),
    };
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
   * Generates the modules among the plan's slots, `jobs` at a time (1 by default). After a module fails with an
   * error that stops the run (an LLM outage, a broken environment), no further module starts; those running finish.
   */
  private async runModules(plan: RunPlan, strategy: TestGenerationStrategy): Promise<RunOutcome> {
    const { slots, run, many } = plan;
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
          reports[index] = await this.generateModule(target, run, many, strategy);
          run.onModule?.({ type: 'done', module: target.moduleName, done: ++done, of, report: reports[index] });
        } catch (error) {
          failures.set(index, error);
        }
      }
    };
    const jobs = Math.max(1, Math.min(run.jobs ?? 1, queue.length));
    await Promise.all(Array.from({ length: jobs }, worker));
    if (failures.size === 0) return collect(slots, reports);
    // The first failing module in input order stops the run; a later one running beside it is reported too.
    const first = Math.min(...failures.keys());
    for (const [index, error] of failures)
      if (index !== first) reports[index] = emptyReport(slots[index] as ModuleTarget, 0, errorReason(error));
    return collect(slots, reports, { index: first, error: failures.get(first) });
  }

  /** One module: the project's own tests' coverage first (with `existingTests`), the strategy, then what importing covers. */
  private async generateModule(
    target: ModuleTarget,
    run: GenerateTestsRequest,
    many: boolean,
    strategy: TestGenerationStrategy,
  ): Promise<ModuleGenerationReport> {
    const existing = await this.deps.coverage.ofExistingTests(target, run);
    const moduleRun = existing ? { ...run, existingCoverage: existing } : run;
    const report = await strategy.generate(target, moduleRun, many);
    const counted = await this.deps.coverage.withImportCoverage(target, moduleRun, report);
    return existing && !counted.error ? { ...counted, existingTests: existing.summary() } : counted;
  }

  /** The run's report: totals, why the target was missed, the sandbox, the interpreter, the LLM chain. */
  private async report(
    request: GenerateTestsRequest,
    strategy: GenerationStrategy,
    plan: RunPlan,
    outcome: RunOutcome,
    durationMs: number,
  ): Promise<GenerateTestsReport> {
    const { modules, files, failure } = outcome;
    const { workspace } = this.deps;
    const coverage = totalCoverage(modules);
    const errors = modules.filter((m) => m.error);
    const written = files.length > 0 || plan.nothingToDo;
    const missed = targetMissedBecause({ failure, modules, errors, written, coverage, target: request.targetCoverage });
    const llmRun = strategy !== 'offline' ? await this.deps.llmRunSummary?.() : undefined;
    const reports = {
      json: workspace.pathIn(plan.run.outDir, REPORT_JSON),
      markdown: workspace.pathIn(plan.run.outDir, REPORT_MD),
    };
    const { python, sandbox, changedLines } = plan;
    const mutation = request.mutation ? mutationTotals(modules.map((m) => m.mutation)) : undefined;
    return {
      strategy,
      files: [...files, reports.json, reports.markdown],
      coverage,
      targetCoverage: request.targetCoverage,
      // A module that could not be tested is not covered: the target is not met, whatever the others reach.
      targetMet: missed.length === 0,
      ...(missed.length > 0 ? { targetMissedBecause: missed } : {}),
      modules,
      ...(plan.many ? { slowest: slowestModules(modules) } : {}),
      ...(request.pinDefects ? { pinnedDefects: true } : {}),
      durationMs,
      reports,
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
      ...(python ? { python: interpreterFacts(python) } : {}),
      ...(llmRun ? { llm: llmRun } : {}),
      ...(mutation ? { mutation } : {}),
    };
  }
}

/**
 * The modules' reports in input order, the files written and the modules with tests. A module whose failure
 * stopped the run keeps what it wrote before the failure runnable (conftest) and explained (report).
 */
function collect(
  slots: readonly Slot[],
  reports: readonly (ModuleGenerationReport | undefined)[],
  failure?: { index: number; error: unknown },
): RunOutcome {
  const outcome: RunOutcome = { modules: [], files: [], written: [], ...(failure ? { failure: failure.error } : {}) };
  for (let i = 0; i < slots.length; i++) {
    const slot = slots[i];
    if (failure?.index === i) {
      const e = failure.error;
      const partial = e instanceof TestAgentError ? e.details?.written : undefined;
      outcome.modules.push({
        ...emptyReport(slot as ModuleTarget, 0, errorReason(e)),
        ...(typeof partial === 'string' ? { testFile: partial } : {}),
      });
      if (typeof partial === 'string') {
        outcome.files.push(partial);
        outcome.written.push(slot as ModuleTarget);
      }
      continue;
    }
    const report = isTarget(slot) ? reports[i] : slot;
    if (!report) continue; // not started: an earlier module failed
    outcome.modules.push(report);
    if (isTarget(slot) && (report.testFile || report.integrationTestFile)) outcome.written.push(slot);
    if (report.testFile) outcome.files.push(report.testFile);
    if (report.integrationTestFile) outcome.files.push(report.integrationTestFile);
  }
  return outcome;
}

/** The interpreter's facts for the report. */
function interpreterFacts(python: ProjectInterpreter): ProjectInterpreter {
  return {
    executable: python.executable,
    source: python.source,
    version: python.version,
    projectRoot: python.projectRoot,
    pytest: python.pytest,
  };
}

function isTarget(slot: Slot): slot is ModuleTarget {
  return !('coverage' in slot);
}
