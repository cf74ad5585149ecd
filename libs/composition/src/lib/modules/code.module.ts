import { ContainerModule } from 'inversify';
import { resolveModelProfile } from '@test-agent/domain';
import { ChunkModule, CountTokens } from '@test-agent/application';
import {
  CodeIntelligenceHealthCheck,
  FileSystemPythonSourceReader,
  LocalTokenCounterFactory,
  TreeSitterCodeParser,
} from '@test-agent/infrastructure';
import { TOKENS } from '../tokens';

/**
 * Code intelligence: the tree-sitter parser, token counters per model, the source reader, the `chunk` and `tokens`
 * use cases, and the tokenizer/parser health check. GigaChat counts go through `TOKENS.RemoteTokenCounter` when
 * another module binds it (the GigaChat client's `/tokens/count`); otherwise they are estimated locally.
 */
export const codeModule = () =>
  new ContainerModule(({ bind }) => {
    bind(TOKENS.CodeParser)
      .toDynamicValue(() => new TreeSitterCodeParser())
      .inSingletonScope();
    bind(TOKENS.PythonSourceReader)
      .toDynamicValue(() => new FileSystemPythonSourceReader())
      .inSingletonScope();
    bind(TOKENS.TokenCounterFactory)
      .toDynamicValue((ctx) => {
        const config = ctx.get(TOKENS.Config);
        const remote =
          config.llmProvider === 'gigachat' ? ctx.get(TOKENS.RemoteTokenCounter, { optional: true }) : undefined;
        return new LocalTokenCounterFactory({ gigachatRemote: remote });
      })
      .inSingletonScope();
    bind(TOKENS.ChunkModule)
      .toDynamicValue((ctx) => {
        const config = ctx.get(TOKENS.Config);
        return new ChunkModule({
          reader: ctx.get(TOKENS.PythonSourceReader),
          parser: ctx.get(TOKENS.CodeParser),
          counters: ctx.get(TOKENS.TokenCounterFactory),
          logger: ctx.get(TOKENS.Logger),
          metrics: ctx.get(TOKENS.Metrics),
          defaults: {
            model: config.llmModel,
            contextWindow: config.llmContextWindow,
            reservedCompletionTokens: config.reservedCompletionTokens,
            promptOverheadTokens: config.promptOverheadTokens,
            smallModuleTokens: config.smallModuleTokens,
            strategy: config.chunkStrategy,
          },
        });
      })
      .inSingletonScope();
    bind(TOKENS.CountTokens)
      .toDynamicValue(
        (ctx) =>
          new CountTokens({ reader: ctx.get(TOKENS.PythonSourceReader), chunkModule: ctx.get(TOKENS.ChunkModule) }),
      )
      .inSingletonScope();
    bind(TOKENS.HealthCheck).toDynamicValue((ctx) => {
      const config = ctx.get(TOKENS.Config);
      const profile = resolveModelProfile(config.llmModel, { contextWindow: config.llmContextWindow });
      return new CodeIntelligenceHealthCheck(ctx.get(TOKENS.CodeParser), ctx.get(TOKENS.TokenCounterFactory), profile);
    });
  });
