import { ContainerModule } from 'inversify';
import path from 'node:path';
import { CONTEXT_SAFETY_RATIO } from '@test-agent/domain';
import {
  ConftestWriter,
  GenerateTests,
  LlmLoopRunner,
  LlmStrategy,
  LlmTestGeneration,
  ModuleCoverage,
  ModuleTestWriter,
  MutationTester,
  OfflineStrategy,
  OfflineTestGenerator,
  OfflineValidation,
  SuiteFinaliser,
  type LlmFitting,
  type LlmParts,
  type TestGenerationStrategy,
} from '@test-agent/application';
import {
  CachingCodeSummarizer,
  FileSystemTestWorkspace,
  FsCheckpointStore,
  DEFAULT_WORKER_LIMITS,
  GitChangedCode,
  PythonWorkerExecutionSandbox,
  TreeSitterMutantGenerator,
} from '@test-agent/infrastructure';
import type { ResolutionContext } from 'inversify';
import { TOKENS } from '../tokens';

/** Folder under the output directory where LLM runs keep their checkpoints (for resuming). */
export const CHECKPOINT_DIR = path.join('.test-agent', 'checkpoints');

/** Chunks of a module prompted at once at most, whatever the endpoints take (a cassette takes any number). */
const MAX_CHUNK_CONCURRENCY = 8;

/** The LLM strategies' parts, when an LLM is configured: the coverage loop sized for the configured model. */
function llmParts(ctx: ResolutionContext): LlmParts | undefined {
  const llm = ctx.get(TOKENS.LlmService);
  if (!llm.configured) return undefined;
  const config = ctx.get(TOKENS.Config);
  const logger = ctx.get(TOKENS.Logger);
  const metrics = ctx.get(TOKENS.Metrics);
  const chunker = ctx.get(TOKENS.ChunkModule);
  const { profile, counter } = chunker.plan({});
  const promptBudgetTokens =
    Math.floor(CONTEXT_SAFETY_RATIO * profile.contextWindow) - profile.reservedCompletionTokens;
  const generation = new LlmTestGeneration({
    llm,
    executor: ctx.get(TOKENS.TestExecutor),
    assembler: ctx.get(TOKENS.TestFileAssembler),
    counter,
    promptBudgetTokens,
    summarizer: new CachingCodeSummarizer(llm, logger, metrics, profile.model, counter),
    logger,
    metrics,
    concurrency: config.testConcurrency,
    perTestTimeoutMs: config.testTimeoutMs,
  });
  // The chain's smallest context window, detected once: the chunks, the prompts and the answer's reserve (a
  // third of the window at most) are fitted to it, so a call that moves to the fallback still fits.
  let fitting: Promise<LlmFitting> | undefined;
  const fit = (): Promise<LlmFitting> =>
    (fitting ??= llm.chainContextWindow().then((w) => {
      const contextWindow = w?.contextWindow ?? profile.contextWindow;
      const reservedCompletionTokens = Math.min(
        config.reservedCompletionTokens ?? profile.reservedCompletionTokens,
        Math.floor(contextWindow / 3),
      );
      generation.fitPrompts(Math.floor(CONTEXT_SAFETY_RATIO * contextWindow) - reservedCompletionTokens);
      return {
        contextWindow,
        reservedCompletionTokens,
        source: w?.source ?? 'model profile',
        ...(w ? { endpoint: w.endpoint } : {}),
      };
    }));
  return {
    generation,
    fit,
    chunker,
    parser: ctx.get(TOKENS.CodeParser),
    reader: ctx.get(TOKENS.PythonSourceReader),
    maxCompletionTokens: profile.reservedCompletionTokens,
    // As many chunks at once as every endpoint of the chain takes requests (LLM_MAX_CONCURRENCY or its default).
    chunkConcurrency: Math.min(MAX_CHUNK_CONCURRENCY, ...llm.endpoints.map((e) => e.maxConcurrency)),
    checkpointsFor: (outDir) => new FsCheckpointStore(path.join(outDir, CHECKPOINT_DIR)),
  };
}

/**
 * The strategies this container offers, each ending in the one suite finaliser: `offline` always; `llm` and
 * `hybrid` (offline first, the LLM on the gaps) when an LLM is configured.
 */
function strategies(ctx: ResolutionContext): TestGenerationStrategy[] {
  const logger = ctx.get(TOKENS.Logger).child('generate');
  const metrics = ctx.get(TOKENS.Metrics);
  const executor = ctx.get(TOKENS.TestExecutor);
  const assembler = ctx.get(TOKENS.TestFileAssembler);
  const writer = new ModuleTestWriter(assembler, ctx.get(TOKENS.TestFileEmitter), ctx.get(TOKENS.TestWorkspace));
  const mutation = new MutationTester({
    generator: new TreeSitterMutantGenerator(),
    executor,
    reader: ctx.get(TOKENS.PythonSourceReader),
    concurrency: ctx.get(TOKENS.Config).testConcurrency,
    logger,
  });
  const finaliser = new SuiteFinaliser(
    ctx.get(TOKENS.FlakinessChecker),
    ctx.get(TOKENS.TestDeduplicator),
    assembler,
    logger,
    mutation,
  );
  const validation = new OfflineValidation(
    new OfflineTestGenerator(ctx.get(TOKENS.ExecutionSandbox), ctx.get(TOKENS.Logger)),
    executor,
    assembler,
    logger,
  );
  const common = { finaliser, writer, executor, assembler, logger, metrics };
  const offline = new OfflineStrategy({ ...common, validation });
  const llm = llmParts(ctx);
  if (!llm) return [offline];
  const loop = new LlmLoopRunner(llm, logger);
  return [
    offline,
    new LlmStrategy('llm', { ...common, loop }),
    new LlmStrategy('hybrid', { ...common, loop, offline: validation }),
  ];
}

/**
 * Test generation: the offline engine's sandbox (the Python executor worker), the workspace, the pytest
 * file store (bound here unless another module already did), the strategies and the `GenerateTests` use case over
 * them. Load it after the python module (its executor, assembler, emitter, deduplicator and flakiness checker).
 */
export const generationModule = () =>
  new ContainerModule(({ bind }) => {
    bind(TOKENS.ExecutionSandbox)
      .toDynamicValue((ctx) => {
        const config = ctx.get(TOKENS.Config);
        const limits = { ...DEFAULT_WORKER_LIMITS, memoryBytes: config.testMemoryMb * 1024 * 1024 };
        return new PythonWorkerExecutionSandbox(
          ctx.get(TOKENS.ProjectPython),
          { limits, baseEnv: config.baseEnv },
          ctx.get(TOKENS.Logger),
          ctx.get(TOKENS.PythonLauncher),
        );
      })
      .inSingletonScope();
    bind(TOKENS.TestWorkspace)
      .toDynamicValue(() => new FileSystemTestWorkspace())
      .inSingletonScope();
    bind(TOKENS.GenerateTests)
      .toDynamicValue((ctx) => {
        const logger = ctx.get(TOKENS.Logger);
        const workspace = ctx.get(TOKENS.TestWorkspace);
        const llm = ctx.get(TOKENS.LlmService);
        return new GenerateTests({
          strategies: strategies(ctx),
          workspace,
          conftest: new ConftestWriter(workspace, logger.child('generate')),
          coverage: new ModuleCoverage(
            ctx.get(TOKENS.TestExecutor),
            ctx.get(TOKENS.TestFileAssembler),
            logger.child('generate'),
          ),
          containment: ctx.get(TOKENS.PythonLauncher),
          interpreters: ctx.get(TOKENS.ProjectPython),
          changedCode: new GitChangedCode(),
          ...(llm.configured ? { llmRunSummary: () => llm.runSummary() } : {}),
          logger,
        });
      })
      .inSingletonScope();
  });
