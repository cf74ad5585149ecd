import { ContainerModule } from 'inversify';
import { GenerateTests, OfflineTestGenerator, TestFileEmitter } from '@test-agent/application';
import { FileSystemTestWorkspace, FsTestFileStore, PytestTestExecutor, PythonWorkerExecutionSandbox } from '@test-agent/infrastructure';
import { TOKENS } from '../tokens';

/**
 * Test generation: the offline engine's sandbox (the Python executor worker), the workspace, the pytest
 * executor and file store (bound here unless another module already did), and the `GenerateTests` use case.
 * Load it after the python module.
 */
export const generationModule = () =>
  new ContainerModule(({ bind, isBound }) => {
    bind(TOKENS.ExecutionSandbox)
      .toDynamicValue((ctx) => new PythonWorkerExecutionSandbox(ctx.get(TOKENS.PythonEnvironment), {}, ctx.get(TOKENS.Logger)))
      .inSingletonScope();
    bind(TOKENS.TestWorkspace).toDynamicValue(() => new FileSystemTestWorkspace()).inSingletonScope();
    if (!isBound(TOKENS.TestExecutor)) {
      bind(TOKENS.TestExecutor)
        .toDynamicValue((ctx) => new PytestTestExecutor(ctx.get(TOKENS.PythonEnvironment), {}, ctx.get(TOKENS.Logger)))
        .inSingletonScope();
    }
    if (!isBound(TOKENS.TestFileStore)) bind(TOKENS.TestFileStore).toDynamicValue(() => new FsTestFileStore()).inSingletonScope();
    bind(TOKENS.GenerateTests)
      .toDynamicValue((ctx) => {
        const logger = ctx.get(TOKENS.Logger);
        return new GenerateTests({
          offline: new OfflineTestGenerator(ctx.get(TOKENS.ExecutionSandbox), logger),
          executor: ctx.get(TOKENS.TestExecutor),
          workspace: ctx.get(TOKENS.TestWorkspace),
          fileEmitter: new TestFileEmitter(ctx.get(TOKENS.TestFileStore)),
          logger,
        });
      })
      .inSingletonScope();
  });
