import {
  CoverageReport,
  type ModuleInterface,
  type ModuleTarget,
  type Logger,
  type TestCase,
  type TestExecutor,
  type TestOutcome,
  type TestRunRequest,
  type TestRunResult,
  type TestWorkspace,
} from '@test-agent/domain';
import { CapturingLogger, InMemoryTestFileStore, ScriptedTestExecutor } from '@test-agent/domain/testing';
import type {
  LlmGenerationRequest,
  LlmGenerationResult,
  LlmTestGeneration,
} from '../orchestrators/llm-test-generation.orchestrator';
import type {
  OfflineGenerationOptions,
  OfflineTestGenerator,
} from '../services/offline-search/offline-test-generator.service';
import { TestFileEmitter } from '../services/test-file-assembler/test-file-emitter.service';
import type { ChunkModule } from '../use-cases/chunk-module.use-case';
import type { GenerateTestsDependencies } from '../use-cases/generate-tests.use-case';
import { ConftestWriter } from '../generation/conftest-writer.service';
import { ModuleCoverage } from '../generation/module-coverage.service';
import { ModuleTestWriter } from '../generation/module-test-writer.service';
import { SuiteFinaliser } from '../generation/suite-finaliser.service';
import type { TestGenerationStrategy } from '../generation/strategies/generation-strategy';
import { LlmLoopRunner, type LlmParts } from '../generation/strategies/llm-loop-runner.service';
import { LlmStrategy } from '../generation/strategies/llm.strategy';
import { OfflineStrategy } from '../generation/strategies/offline.strategy';
import { OfflineValidation } from '../generation/strategies/offline-validation.service';
import { FlakinessChecker } from '../services/flakiness-checker/flakiness-checker.service';
import { TestDeduplicator } from '../services/test-deduplicator/test-deduplicator.service';
import { TestFileAssembler } from '../services/test-file-assembler/test-file-assembler.service';

// A scripted world for the specs of `GenerateTests`: a module of ten statements, tests whose behaviour under
// pytest is scripted by name, an offline engine and an LLM loop that hand out given cases. No Python runs.

export const calc: ModuleTarget = { file: '/p/calc.py', importRoot: '/p', moduleName: 'calc' };
export const STATEMENTS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
/** Lines a test that only imports the module covers (definitions). */
export const IMPORT_LINES = [1, 2];

export function coverageOf(lines: readonly number[], file = calc.file): CoverageReport {
  return CoverageReport.fromData(file, {
    executedLines: [...new Set(lines)],
    missingLines: STATEMENTS.filter((l) => !lines.includes(l)),
    executedBranches: [],
    missingBranches: [],
  });
}

const NO_STATEMENTS = { executedLines: [], missingLines: [], executedBranches: [], missingBranches: [] };

/** How a test behaves under pytest. */
export interface Behaviour {
  /** Lines it covers when it passes. */
  readonly lines: readonly number[];
  /** Fails every run. */
  readonly fails?: boolean;
  /** Passes the first run of a file's content, fails the later ones. */
  readonly flaky?: boolean;
  /** Fails on a perturbed machine (environment or clock changed). */
  readonly machine?: boolean;
  /** Fails when a test of this name runs in the same pytest run (pollution). */
  readonly failsWith?: string;
  /** Fails when no test of this name runs in the same pytest run (it depends on another test's side effect). */
  readonly failsWithout?: string;
  /** Fails in runs with per-test coverage (the final suite): pollution the validation runs did not see. */
  readonly failsInFinalSuite?: boolean;
  /** Reported as `xfail` (a pinned defect holding). */
  readonly xfail?: boolean;
  /** The failure text when it fails. */
  readonly error?: string;
}

export function testCase(name: string, extra: Partial<TestCase> = {}): TestCase {
  return {
    name,
    code: `def ${name}():\n    assert calc.add(${JSON.stringify(name)}, 1) is not None`,
    imports: ['import calc'],
    ...extra,
  };
}

/** The scripted pytest: outcomes and coverage from the behaviours of the tests in the run's files. */
export class World {
  readonly behaviours = new Map<string, Behaviour>();
  readonly logger = new CapturingLogger();
  readonly store = new InMemoryTestFileStore();
  readonly fileEmitter = new TestFileEmitter(this.store);
  readonly writes = new Map<string, string>();
  readonly executor = new ScriptedTestExecutor((request) => this.respond(request));
  /** Runs of each file content so far (flaky tests fail from the second on). */
  private readonly runsOf = new Map<string, number>();
  /** Lines the project's own tests cover (`existingTests`). */
  existingLines: readonly number[] = [3];

  constructor(behaviours: Record<string, Behaviour> = {}) {
    for (const [name, b] of Object.entries(behaviours)) this.behaviours.set(name, b);
  }

  readonly workspace: TestWorkspace = {
    resolveTargets: async () => [calc],
    checkOutputFolder: async () => undefined,
    checkModule: async () => undefined,
    pathIn: (dir, name) => `${dir}/${name}`,
    relative: () => '..',
    exists: async (file) => this.writes.has(file) || file === '/p/existing_tests',
    head: async (file) => this.writes.get(file) ?? '',
    write: async (file, content) => void this.writes.set(file, content),
    testFilesUnder: async () => [],
  };

  /** The runs with test files (validation, final suite, probes), as `file::test` lists with the run's options. */
  get runs(): { tests: string[]; perTestCoverage: boolean; perturbed: boolean; coverage: boolean }[] {
    return this.executor.requests
      .filter((r) => r.testFiles)
      .map((r) => ({
        tests: (r.testFiles ?? []).flatMap((f) => namesIn(f.content).map((n) => `${f.name}::${n}`)),
        perTestCoverage: r.perTestCoverage === true,
        perturbed: r.environment !== undefined || r.clockShiftSeconds !== undefined,
        coverage: r.measureCoverage !== false,
      }));
  }

  private respond(request: TestRunRequest): TestRunResult {
    if (request.testPaths) return result([], coverageOf(this.existingLines), new Map());
    const files = request.testFiles ?? [];
    const everyName = files.flatMap((f) => namesIn(f.content));
    const perturbed = request.environment !== undefined || request.clockShiftSeconds !== undefined;
    const outcomes: TestOutcome[] = [];
    const perTest = new Map<string, CoverageReport>();
    const covered: number[] = [];
    for (const file of files) {
      const run = this.runsOf.get(file.content) ?? 0;
      this.runsOf.set(file.content, run + 1);
      for (const name of namesIn(file.content)) {
        const b = this.behaviourOf(name);
        const failed =
          b.fails ||
          (b.flaky && run > 0) ||
          (b.machine && perturbed) ||
          (b.failsInFinalSuite && request.perTestCoverage) ||
          (b.failsWith !== undefined && everyName.includes(b.failsWith)) ||
          (b.failsWithout !== undefined && !everyName.includes(b.failsWithout));
        const nodeId = `${file.name}::${name}`;
        const status = failed ? 'failed' : b.xfail ? 'xfail' : 'passed';
        outcomes.push({ nodeId, status, ...(failed && b.error ? { error: b.error } : {}), durationMs: 5 });
        if (failed) continue;
        covered.push(...b.lines);
        perTest.set(nodeId, coverageOf(b.lines));
      }
    }
    // Without coverage.py the result has no statement, as the executor's.
    const coverage =
      request.measureCoverage === false ? CoverageReport.fromData(calc.file, NO_STATEMENTS) : coverageOf(covered);
    return result(outcomes, coverage, request.perTestCoverage ? perTest : undefined);
  }

  private behaviourOf(name: string): Behaviour {
    if (name === 'test_module_imports') return this.behaviours.get(name) ?? { lines: IMPORT_LINES };
    if (name === 'test_statements_only') return { lines: [] };
    return this.behaviours.get(name) ?? { lines: [] };
  }
}

function result(
  outcomes: TestOutcome[],
  coverage: CoverageReport,
  perTest: Map<string, CoverageReport> | undefined,
): TestRunResult {
  return {
    outcomes,
    coverage,
    ...(perTest ? { perTest } : {}),
    collectionErrors: [],
    timedOut: false,
    durationMs: 100,
    clockShifted: true,
  };
}

/** The test functions a file defines. */
export function namesIn(content: string): string[] {
  return [...content.matchAll(/^def (test_\w+)\(/gm)].map((m) => m[1]);
}

/** An offline engine that finds `cases` (and `defects`) in `module`, recording the options of each search. */
export function offlineEngine(
  cases: readonly TestCase[],
  defects: { name: string; subject: string; error: string; line?: number; source: string }[] = [],
  module: Partial<ModuleInterface> = {},
): { engine: OfflineTestGenerator; options: OfflineGenerationOptions[] } {
  const options: OfflineGenerationOptions[] = [];
  const engine = {
    generate: async (target: ModuleTarget, o: OfflineGenerationOptions) => {
      options.push(o);
      return {
        target,
        module: { callables: [], baseline: { lines: [], branches: [] }, ...module },
        search: { coverage: coverageOf([]), executions: 40, stoppedBy: 'plateau', calls: {}, callTimeoutMs: 1000 },
        tests: [],
        unstable: 1,
        outsideEffects: {},
        importEffects: [],
        render: (exclude: ReadonlySet<string> = new Set()) => ({
          content: '',
          tests: [],
          cases: cases.filter((c) => !exclude.has(c.name)),
          defects,
        }),
      };
    },
  } as unknown as OfflineTestGenerator;
  return { engine, options };
}

/** What the fake LLM loop returns: the accepted cases, with the rest of the result filled in. */
export function llmResult(unit: readonly TestCase[], integration: readonly TestCase[] = []): LlmGenerationResult {
  const summary = coverageOf([]).summary();
  return {
    unit,
    integration,
    coverage: coverageOf([]),
    funnel: {
      generated: unit.length + integration.length,
      parsed: unit.length,
      imported: unit.length,
      passed: unit.length,
      stable: unit.length,
      addedCoverage: unit.length,
    },
    repairs: { attempted: 1, succeeded: 1 },
    suspectedDefects: [],
    chunks: [
      {
        index: 0,
        startLine: 1,
        endLine: 10,
        symbols: ['add'],
        before: summary,
        after: summary,
        llmCalls: 2,
        promptTokens: 300,
        completionTokens: 90,
        accepted: unit.length,
      },
    ],
    llmCalls: 2,
    summaryCalls: 0,
    promptTokens: 300,
    completionTokens: 90,
    stoppedBy: 'complete',
    resumed: false,
  };
}

/** An LLM loop that answers each call with the next of `answers` (a result, or an error it throws). */
export function llmLoop(answers: (LlmGenerationResult | Error)[]): {
  generation: LlmTestGeneration;
  requests: LlmGenerationRequest[];
} {
  const requests: LlmGenerationRequest[] = [];
  const generation = {
    generate: async (request: LlmGenerationRequest) => {
      requests.push(request);
      const answer = answers[Math.min(requests.length - 1, answers.length - 1)];
      if (answer instanceof Error) throw answer;
      return answer;
    },
    fitPrompts: () => undefined,
  } as unknown as LlmTestGeneration;
  return { generation, requests };
}

/** A chunker that cuts the module into one chunk of `tokens`, recording each request. */
export function oneChunk(tokens = 1000): { chunker: ChunkModule; requests: unknown[] } {
  const requests: unknown[] = [];
  const chunker = {
    execute: async (request: { maxTokens?: number }) => {
      requests.push(request);
      const size = request.maxTokens ?? tokens;
      return {
        chunks: [{ startLine: 1, endLine: 10, tokens: size, symbols: ['add'], content: 'def add(a, b): ...' }],
        model: { contextWindow: 8192, reservedCompletionTokens: 1024 },
        budget: { maxTokens: 2000 },
        exactCounts: true,
      };
    },
    plan: () => ({ counter: { exact: true } }),
  } as unknown as ChunkModule;
  return { chunker, requests };
}

/** The parts `GenerateTests` is built from, as composition builds them, over the world's executor and files. */
export function generationUnits(
  world: {
    readonly executor: TestExecutor;
    readonly logger: Logger;
    readonly workspace: TestWorkspace;
    readonly fileEmitter: TestFileEmitter;
  },
  offline: OfflineTestGenerator,
  llm?: LlmParts,
  now: () => number = () => Date.now(),
): GenerateTestsDependencies {
  const { executor, logger, workspace } = world;
  const assembler = new TestFileAssembler();
  const writer = new ModuleTestWriter(assembler, world.fileEmitter, workspace);
  const checker = new FlakinessChecker(executor, assembler, { reruns: 1, concurrency: 1 });
  const finaliser = new SuiteFinaliser(checker, new TestDeduplicator(), assembler, logger);
  const validation = new OfflineValidation(offline, executor, assembler, logger, now);
  const common = { finaliser, writer, executor, assembler, logger, now };
  const strategies: TestGenerationStrategy[] = [new OfflineStrategy({ ...common, validation })];
  if (llm) {
    const loop = new LlmLoopRunner(llm, logger, now);
    strategies.push(
      new LlmStrategy('llm', { ...common, loop }),
      new LlmStrategy('hybrid', { ...common, loop, offline: validation }),
    );
  }
  return {
    strategies,
    workspace,
    conftest: new ConftestWriter(workspace, logger),
    coverage: new ModuleCoverage(executor, assembler, logger),
    logger,
    now,
  };
}
