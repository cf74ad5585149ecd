import { ContainerModule, type ContainerModuleLoadOptions } from 'inversify';
import {
  CoverageAggregator,
  FlakinessChecker,
  MeasureCoverage,
  TestDeduplicator,
  TestFileAssembler,
  TestFileEmitter,
} from '@test-agent/application';
import {
  FsModuleLocator,
  FsTestFileStore,
  ProjectPython,
  ProjectPythonHealthCheck,
  PytestTestExecutor,
  PythonEnvironment,
  PythonHealthCheck,
  PythonLauncher,
  SandboxHealthCheck,
} from '@test-agent/infrastructure';
import { TOKENS } from '../tokens';

type Bind = ContainerModuleLoadOptions['bind'];

/**
 * Test Agent's venv, the project's interpreters and the launcher of every Python process, with their health
 * checks. Child processes start from `config.baseEnv` (the environment `loadConfig` was given).
 */
function bindInterpreters(bind: Bind): void {
  bind(TOKENS.PythonEnvironment)
    .toDynamicValue((ctx) => {
      const config = ctx.get(TOKENS.Config);
      return new PythonEnvironment(
        { venvDir: config.venvDir, basePython: config.basePython, pipArgs: config.pipArgs },
        ctx.get(TOKENS.Logger),
      );
    })
    .inSingletonScope();
  bind(TOKENS.HealthCheck).toDynamicValue((ctx) => new PythonHealthCheck(ctx.get(TOKENS.PythonEnvironment)));
  bind(TOKENS.ProjectPython)
    .toDynamicValue((ctx) => {
      const config = ctx.get(TOKENS.Config);
      return new ProjectPython(
        {
          projectPython: config.projectPython,
          virtualEnv: config.virtualEnv,
          cacheDir: config.cacheDir,
          pipArgs: config.pipArgs,
          searchPath: config.baseEnv.PATH ?? '',
        },
        ctx.get(TOKENS.PythonEnvironment),
        ctx.get(TOKENS.Logger),
      );
    })
    .inSingletonScope();
  bind(TOKENS.HealthCheck).toDynamicValue(
    (ctx) => new ProjectPythonHealthCheck(ctx.get(TOKENS.ProjectPython), process.cwd()),
  );
  bind(TOKENS.PythonLauncher)
    .toDynamicValue((ctx) => {
      const config = ctx.get(TOKENS.Config);
      return new PythonLauncher(
        { sandbox: config.sandbox, bwrap: config.bwrapPath, env: config.baseEnv },
        ctx.get(TOKENS.Logger),
      );
    })
    .inSingletonScope();
  bind(TOKENS.HealthCheck).toDynamicValue((ctx) => new SandboxHealthCheck(ctx.get(TOKENS.PythonLauncher)));
}

/** The one `TestExecutor` (pytest under coverage.py, limits from the config) and the file store and locator. */
function bindExecution(bind: Bind): void {
  bind(TOKENS.TestExecutor)
    .toDynamicValue((ctx) => {
      const config = ctx.get(TOKENS.Config);
      return new PytestTestExecutor(
        ctx.get(TOKENS.ProjectPython),
        {
          perTestTimeoutMs: config.testTimeoutMs,
          overallTimeoutMs: config.testRunTimeoutMs,
          memoryLimitBytes: config.testMemoryMb * 1024 * 1024,
          baseEnv: config.baseEnv,
        },
        ctx.get(TOKENS.Logger),
        ctx.get(TOKENS.PythonLauncher),
      );
    })
    .inSingletonScope();
  bind(TOKENS.TestFileStore)
    .toDynamicValue(() => new FsTestFileStore())
    .inSingletonScope();
  bind(TOKENS.ModuleLocator)
    .toDynamicValue(() => new FsModuleLocator())
    .inSingletonScope();
}

/** What the suite is made of and checked with: assembly, emission, deduplication, flakiness and pollution. */
function bindSuiteServices(bind: Bind): void {
  bind(TOKENS.CoverageAggregator)
    .toDynamicValue(() => new CoverageAggregator())
    .inSingletonScope();
  bind(TOKENS.TestDeduplicator)
    .toDynamicValue(() => new TestDeduplicator())
    .inSingletonScope();
  bind(TOKENS.TestFileAssembler)
    .toDynamicValue(() => new TestFileAssembler())
    .inSingletonScope();
  bind(TOKENS.TestFileEmitter)
    .toDynamicValue((ctx) => new TestFileEmitter(ctx.get(TOKENS.TestFileStore)))
    .inSingletonScope();
  bind(TOKENS.FlakinessChecker)
    .toDynamicValue((ctx) => {
      const config = ctx.get(TOKENS.Config);
      return new FlakinessChecker(ctx.get(TOKENS.TestExecutor), ctx.get(TOKENS.TestFileAssembler), {
        reruns: config.flakyReruns,
        concurrency: config.testConcurrency,
      });
    })
    .inSingletonScope();
}

/** The `coverage` use case; its per-chunk table uses the code module's chunker when it is bound. */
function bindMeasureCoverage(bind: Bind): void {
  bind(TOKENS.MeasureCoverage)
    .toDynamicValue((ctx) => {
      const chunker = ctx.get(TOKENS.ChunkModule, { optional: true });
      return new MeasureCoverage({
        executor: ctx.get(TOKENS.TestExecutor),
        locator: ctx.get(TOKENS.ModuleLocator),
        aggregator: ctx.get(TOKENS.CoverageAggregator),
        ...(chunker
          ? { chunks: { chunksOf: async (file: string) => (await chunker.execute({ path: file })).chunks } }
          : {}),
      });
    })
    .inSingletonScope();
}

/** Test Agent's Python runtime: the venv, pytest/coverage execution, the suite's services and their health checks. */
export const pythonModule = () =>
  new ContainerModule(({ bind }) => {
    bindInterpreters(bind);
    bindExecution(bind);
    bindSuiteServices(bind);
    bindMeasureCoverage(bind);
  });
