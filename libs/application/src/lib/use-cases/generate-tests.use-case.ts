import {
  ConfigError,
  CoverageReport,
  InvalidInputError,
  TestAgentError,
  silentLogger,
  type CoverageSummary,
  type Logger,
  type ModuleTarget,
  type TestCase,
  type TestExecutor,
  type TestWorkspace,
} from '@test-agent/domain';
import type { OfflineTestGenerator } from '../services/offline-search/offline-test-generator.service';
import { GENERATED_MARKER, TestFileAssembler } from '../services/test-file-assembler/test-file-assembler.service';
import type { TestFileEmitter } from '../services/test-file-assembler/test-file-emitter.service';

/** Where tests come from: the offline search engine, an LLM, or both (offline first, the LLM on the gaps). */
export type GenerationStrategy = 'offline' | 'llm' | 'hybrid';

export interface GenerateTestsRequest {
  /** A Python file, or a folder searched for modules. */
  readonly path: string;
  /** Folder the test files and reports are written to. */
  readonly outDir: string;
  /** Search budget per module, in seconds. */
  readonly timeBudgetSeconds: number;
  /** Line+branch coverage target, percent (0-100). */
  readonly targetCoverage: number;
  readonly strategy?: GenerationStrategy;
  /** Overwrite existing test files that Test Agent did not write. */
  readonly force?: boolean;
  /** Passing runs in a row every kept test must survive (flakiness check); at least 1. */
  readonly flakyRuns?: number;
  readonly seed?: number;
}

export interface ModuleGenerationReport {
  readonly module: string;
  readonly file: string;
  /** Test file written, absent when no test could be kept (or the module failed). */
  readonly testFile?: string;
  /** How the file was written: `written-beside` when a user's file already had the intended name. */
  readonly writeAction?: 'created' | 'replaced' | 'unchanged' | 'written-beside';
  readonly tests: number;
  /** Coverage of the module by the written tests, as coverage.py measured it under pytest. */
  readonly coverage: CoverageSummary;
  /** Lines (1-based) no kept test reaches. */
  readonly missingLines: readonly number[];
  readonly dropped: { readonly failing: number; readonly flaky: number; readonly unstable: number };
  readonly executions: number;
  readonly stoppedBy: string;
  readonly durationMs: number;
  /** Why the module has no tests, when it failed (e.g. it cannot be imported). */
  readonly error?: { readonly code: string; readonly message: string };
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
}

export interface GenerateTestsDependencies {
  readonly offline: OfflineTestGenerator;
  readonly executor: TestExecutor;
  readonly workspace: TestWorkspace;
  /** Writes test files without ever overwriting a user's file (unless forced). */
  readonly fileEmitter: TestFileEmitter;
  readonly assembler?: TestFileAssembler;
  readonly logger?: Logger;
  readonly now?: () => number;
}

const REPORT_JSON = 'test-agent-report.json';
const REPORT_MD = 'test-agent-report.md';

/**
 * Generates pytest tests for a module or every module under a folder, writes them under `outDir` with a JSON
 * and a Markdown report. Every written test passed `flakyRuns` runs in a row under real pytest, and the reported
 * coverage is what coverage.py measured on those runs. Throws `ConfigError` for a strategy not available,
 * `InvalidInputError` for a bad path or an existing user test file (without `force`).
 */
export class GenerateTests {
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly assembler: TestFileAssembler;

  constructor(private readonly deps: GenerateTestsDependencies) {
    this.logger = (deps.logger ?? silentLogger).child('generate');
    this.assembler = deps.assembler ?? new TestFileAssembler();
    this.now = deps.now ?? (() => Date.now());
  }

  async execute(request: GenerateTestsRequest): Promise<GenerateTestsReport> {
    const started = this.now();
    const strategy = request.strategy ?? 'offline';
    if (strategy !== 'offline') {
      throw new ConfigError([`strategy "${strategy}" is not available yet: only "offline" is implemented (omit --strategy or pass --strategy offline)`]);
    }
    if (!(request.timeBudgetSeconds > 0)) throw new InvalidInputError('TA_BAD_TIME_BUDGET', `--time-budget must be a positive number of seconds, got ${request.timeBudgetSeconds}`);
    const { workspace } = this.deps;
    const targets = await workspace.resolveTargets(request.path);
    const files: string[] = [];
    const modules: ModuleGenerationReport[] = [];
    for (const target of targets) {
      const report = await this.generateModule(target, request, targets.length > 1);
      modules.push(report);
      if (report.testFile) files.push(report.testFile);
    }
    const conftest = await this.writeConftest(request, targets.filter((_, i) => modules[i].testFile));
    if (conftest) files.push(conftest);

    const coverage = totalCoverage(modules);
    const report: GenerateTestsReport = {
      strategy,
      files,
      coverage,
      targetCoverage: request.targetCoverage,
      targetMet: coverage.percent.combined >= request.targetCoverage,
      modules,
      durationMs: this.now() - started,
      reports: { json: workspace.pathIn(request.outDir, REPORT_JSON), markdown: workspace.pathIn(request.outDir, REPORT_MD) },
    };
    const final = { ...report, files: [...files, report.reports.json, report.reports.markdown] };
    await workspace.write(report.reports.json, `${JSON.stringify(final, null, 2)}\n`);
    await workspace.write(report.reports.markdown, renderMarkdown(final));
    return final;
  }

  private async generateModule(target: ModuleTarget, request: GenerateTestsRequest, many: boolean): Promise<ModuleGenerationReport> {
    const started = this.now();
    const log = this.logger;
    let generation;
    try {
      generation = await this.deps.offline.generate(target, { timeBudgetMs: request.timeBudgetSeconds * 1000, seed: request.seed });
    } catch (e) {
      // In a folder, one module that cannot be imported must not stop the others.
      if (!many || !(e instanceof InvalidInputError)) throw e;
      log.warn('Skipping a module', { module: target.moduleName, error: e.message });
      return emptyReport(target, this.now() - started, { code: e.code, message: e.message });
    }
    const exclude = new Set<string>();
    let failing = 0;
    let flaky = 0;
    const runs = Math.max(1, request.flakyRuns ?? 5);
    let lastCoverage: CoverageReport | undefined;
    let kept = 0;
    let cases: readonly TestCase[] = [];
    // Run the file; drop failing tests and re-run until a full streak of passing runs.
    for (let round = 0; round < 6; round++) {
      const file = generation.render(exclude);
      cases = file.cases;
      kept = cases.length;
      if (kept === 0) break;
      const assembled = this.assembler.assemble(target, cases);
      let streakBroken = false;
      for (let run = 0; run < runs; run++) {
        const result = await this.deps.executor.run({
          target,
          testFiles: [{ name: assembled.name, content: assembled.content }],
          perTestTimeoutMs: 10_000,
          overallTimeoutMs: 120_000,
        });
        if (result.collectionErrors.length > 0) {
          throw new TestAgentError('TA_GENERATED_FILE_BROKEN', 'internal', `The generated test file for ${target.moduleName} could not be collected: ${result.collectionErrors[0]}`, {
            details: { module: target.moduleName },
          });
        }
        const bad = result.outcomes.filter((o) => o.status !== 'passed').map((o) => o.nodeId.split('::').pop()!.replace(/\[.*$/, ''));
        const missing = file.tests.filter((t) => !result.outcomes.some((o) => o.nodeId.endsWith(`::${t.name}`))).map((t) => t.name);
        if (bad.length || missing.length) {
          for (const b of [...bad, ...missing]) exclude.add(b);
          if (run === 0) failing += bad.length + missing.length;
          else flaky += bad.length + missing.length;
          log.debug('Dropping tests that did not pass', { module: target.moduleName, tests: [...bad, ...missing], run });
          streakBroken = true;
          break;
        }
        lastCoverage = result.coverage;
      }
      if (!streakBroken) break;
      lastCoverage = undefined;
    }
    if (kept === 0 || !lastCoverage) {
      const nothing = CoverageReport.empty(generation.search.coverage);
      return {
        ...emptyReport(target, this.now() - started),
        coverage: nothing.summary(),
        missingLines: nothing.missingLines,
        dropped: { failing, flaky, unstable: generation.unstable },
        executions: generation.search.executions,
        stoppedBy: generation.search.stoppedBy,
      };
    }
    const final = this.assembler.assemble(target, cases, { coverage: lastCoverage });
    const written = await this.deps.fileEmitter.emit(request.outDir, final, { force: request.force });
    log.info('Tests written', { module: target.moduleName, file: written.path, action: written.action, tests: kept, combined: Number(lastCoverage.combinedPercent.toFixed(1)) });
    return {
      module: target.moduleName,
      file: target.file,
      testFile: written.path,
      writeAction: written.action,
      tests: kept,
      coverage: lastCoverage.summary(),
      missingLines: lastCoverage.missingLines,
      dropped: { failing, flaky, unstable: generation.unstable },
      executions: generation.search.executions,
      stoppedBy: generation.search.stoppedBy,
      durationMs: this.now() - started,
    };
  }

  private async isOurs(file: string): Promise<boolean> {
    return (await this.deps.workspace.head(file, 200)).startsWith(GENERATED_MARKER);
  }

  /** A `conftest.py` that puts the modules' import roots on `sys.path`, so plain `pytest <out>` imports them. */
  private async writeConftest(request: GenerateTestsRequest, targets: readonly ModuleTarget[]): Promise<string | undefined> {
    if (targets.length === 0) return undefined;
    const { workspace } = this.deps;
    const file = workspace.pathIn(request.outDir, 'conftest.py');
    if ((await workspace.exists(file)) && !(await this.isOurs(file)) && !request.force) {
      this.logger.warn('Leaving the existing conftest.py alone: make sure it puts the modules under test on sys.path', { file });
      return undefined;
    }
    const roots = [...new Set(targets.map((t) => workspace.relative(request.outDir, t.importRoot) || '.'))];
    const content = [
      `${GENERATED_MARKER}: makes the modules under test importable wherever pytest is started from.`,
      'import os',
      'import sys',
      '',
      `for _root in ${JSON.stringify(roots).replace(/"/g, "'")}:`,
      '    _path = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), _root))',
      '    if _path not in sys.path:',
      '        sys.path.insert(0, _path)',
      '',
    ].join('\n');
    await workspace.write(file, content);
    return file;
  }
}

function emptyReport(target: ModuleTarget, durationMs: number, error?: { code: string; message: string }): ModuleGenerationReport {
  return {
    module: target.moduleName,
    file: target.file,
    tests: 0,
    coverage: { lines: { covered: 0, total: 0 }, branches: { covered: 0, total: 0 }, percent: { line: 0, branch: 0, combined: 0 } },
    missingLines: [],
    dropped: { failing: 0, flaky: 0, unstable: 0 },
    executions: 0,
    stoppedBy: error ? 'error' : 'none',
    durationMs,
    ...(error ? { error } : {}),
  };
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
    percent: { line: pct(lines.covered, lines.total), branch: pct(branches.covered, branches.total), combined: pct(lines.covered + branches.covered, lines.total + branches.total) },
  };
}

const fmt = (n: number) => n.toFixed(1);

/** The Markdown report: totals, then one row per module. */
export function renderMarkdown(r: GenerateTestsReport): string {
  const lines = [
    '# Test Agent report',
    '',
    `Strategy: ${r.strategy}. Target: ${r.targetCoverage} % line+branch coverage — ${r.targetMet ? 'met' : 'not met'}.`,
    '',
    `Total: ${fmt(r.coverage.percent.combined)} % line+branch (lines ${r.coverage.lines.covered}/${r.coverage.lines.total}, branches ${r.coverage.branches.covered}/${r.coverage.branches.total}), in ${(r.durationMs / 1000).toFixed(1)} s.`,
    '',
    '| module | tests | line % | branch % | line+branch % | dropped (failing / flaky / unstable) | search stop | test file |',
    '|---|---|---|---|---|---|---|---|',
    ...r.modules.map(
      (m) =>
        `| ${m.module} | ${m.tests} | ${fmt(m.coverage.percent.line)} | ${fmt(m.coverage.percent.branch)} | ${fmt(m.coverage.percent.combined)} | ${m.dropped.failing} / ${m.dropped.flaky} / ${m.dropped.unstable} | ${m.stoppedBy} | ${m.testFile ?? (m.error ? `error: ${m.error.message}` : '—')} |`,
    ),
    '',
  ];
  const gaps = r.modules.filter((m) => m.missingLines.length > 0 && m.testFile);
  if (gaps.length) {
    lines.push('## Not covered', '');
    for (const m of gaps) lines.push(`- ${m.module}: lines ${compactRanges(m.missingLines)}`);
    lines.push('');
  }
  return lines.join('\n');
}

/** `[1,2,3,5]` → `1-3, 5`. */
export function compactRanges(numbers: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < numbers.length; i++) {
    let j = i;
    while (j + 1 < numbers.length && numbers[j + 1] === numbers[j] + 1) j++;
    out.push(i === j ? `${numbers[i]}` : `${numbers[i]}-${numbers[j]}`);
    i = j;
  }
  return out.join(', ');
}
