import { ContainerModule } from 'inversify';
import { PythonEnvironment, PythonHealthCheck } from '@test-agent/infrastructure';
import { TOKENS } from '../tokens';

/** Test Agent's Python runtime: the venv, pytest/coverage execution and their health checks. */
export const pythonModule = () =>
  new ContainerModule(({ bind }) => {
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
  });
