import { ContainerModule } from 'inversify';
import { LlmError, resolveModelProfile, type LlmClient, type Logger, type TokenCounter } from '@test-agent/domain';
import {
  CassetteLlmClient,
  CassetteWriter,
  GIGACHAT_API_URL,
  GigaChatLlmClient,
  LlmApiLlmClient,
  LlmHealthCheck,
  LlmService,
  LocalTokenCounterFactory,
  OpenAiLlmClient,
  type LlmEndpoint,
} from '@test-agent/infrastructure';
import { secretsOf, type TestAgentConfig } from '../config/load-config';
import { TOKENS } from '../tokens';

type Provider = 'llm-api' | 'openai' | 'gigachat';

/** What one endpoint of the chain is configured with. */
export interface LlmEndpointSettings {
  readonly provider: Provider;
  readonly url?: string;
  readonly model?: string;
  readonly apiKey?: string;
}

/** Default model of the GigaChat API when LLM_MODEL is not set: the one every account has. */
export const DEFAULT_GIGACHAT_MODEL = 'GigaChat';

/**
 * Crude estimator, about four characters per token: only the fallback for an endpoint whose tokenizer cannot be
 * loaded. Endpoints normally estimate with their model's local tokenizer (see `localEstimator`).
 */
export const estimateTokensByLength = (text: string): number => Math.ceil(text.length / 4);

const localCounters = new LocalTokenCounterFactory();

/**
 * The local token estimator of a model, from its profile (Qwen's tokenizer for `qwen*`, o200k/cl100k for OpenAI
 * models, a local cl100k estimate for GigaChat — never GigaChat's API, which would compare the server with
 * itself). The tokenizer is loaded on first use, so `doctor` and `llm ping` do not pay for it.
 */
export function localEstimator(model: string | undefined): (text: string) => Promise<number> {
  let counter: TokenCounter | undefined;
  return (text) => {
    counter ??= localCounters.forProfile(resolveModelProfile(model));
    return counter.count(text);
  };
}

/** An endpoint's URL: `loadConfig` reports a provider that needs one without it, so it is set here. */
const urlOf = (e: LlmEndpointSettings): string => e.url as string;

/** Timeouts and streaming of every adapter: the per-request timeout, streaming on or off, the idle timeout. */
const timing = (config: TestAgentConfig) => ({
  timeoutMs: config.llmTimeoutMs,
  stream: config.llmStream === 'on',
  idleTimeoutMs: config.llmStreamIdleTimeoutMs,
});

/**
 * One factory per provider: the only place that knows which adapter serves which `LLM_PROVIDER`. The settings
 * each needs were checked by `loadConfig`.
 */
const CLIENT_FACTORIES: Record<
  Provider,
  (e: LlmEndpointSettings, config: TestAgentConfig, logger: Logger) => LlmClient
> = {
  'llm-api': (e, config, logger) =>
    new LlmApiLlmClient({ baseUrl: urlOf(e), model: e.model, ...timing(config), logger }),
  openai: (e, config, logger) =>
    new OpenAiLlmClient({
      baseUrl: urlOf(e),
      model: e.model,
      apiKey: e.apiKey,
      ...timing(config),
      logger,
    }),
  gigachat: (e, config, logger) =>
    new GigaChatLlmClient({
      authKey: config.gigachatAuthKey as string,
      scope: config.gigachatScope,
      oauthUrl: config.gigachatOauthUrl,
      baseUrl: e.url ?? GIGACHAT_API_URL,
      model: e.model ?? DEFAULT_GIGACHAT_MODEL,
      ...timing(config),
      caBundleFile: config.gigachatCaBundle,
      logger,
    }),
};

/** Builds the adapter for one endpoint of a configuration `loadConfig` checked. */
export function createLlmClient(e: LlmEndpointSettings, config: TestAgentConfig, logger: Logger): LlmClient {
  return CLIENT_FACTORIES[e.provider](e, config, logger);
}

/** Requests in flight per endpoint: LLM_MAX_CONCURRENCY, else 1 for GigaChat personal accounts, 10 for company ones, 4 otherwise. */
export function defaultConcurrency(provider: Provider, config: TestAgentConfig): number {
  if (config.llmMaxConcurrency !== undefined) return config.llmMaxConcurrency;
  if (provider === 'gigachat') return config.gigachatScope === 'GIGACHAT_API_PERS' ? 1 : 10;
  return 4;
}

const modelOf = (e: LlmEndpointSettings): string | undefined =>
  e.model ?? (e.provider === 'gigachat' ? DEFAULT_GIGACHAT_MODEL : undefined);

/** The configured endpoint chain: primary, then fallback (the runbook's rollback); a cassette in replay mode. */
export function llmEndpoints(config: TestAgentConfig, logger: Logger): LlmEndpoint[] {
  if (config.llmCassetteMode === 'replay') {
    return [
      {
        role: 'replay',
        provider: 'cassette',
        client: new CassetteLlmClient(config.llmCassette as string), // required in replay mode (loadConfig)
        maxConcurrency: Number.MAX_SAFE_INTEGER,
      },
    ];
  }
  const endpoints: LlmEndpoint[] = [];
  if (config.llmProvider !== 'none') {
    const settings = {
      provider: config.llmProvider,
      url: config.llmUrl,
      model: config.llmModel,
      apiKey: config.llmApiKey,
    };
    endpoints.push({
      role: 'primary',
      provider: config.llmProvider,
      client: createLlmClient(settings, config, logger),
      maxConcurrency: defaultConcurrency(config.llmProvider, config),
      estimateTokens: localEstimator(modelOf(settings)),
      profileContextWindow: resolveModelProfile(modelOf(settings)).contextWindow,
      configuredContextWindow: config.llmContextWindow,
    });
  }
  const fallback = config.llmFallbackProvider;
  if (fallback !== undefined && fallback !== 'none') {
    const settings = {
      provider: fallback,
      url: config.llmFallbackUrl,
      model: config.llmFallbackModel,
      apiKey: config.llmFallbackApiKey,
    };
    endpoints.push({
      role: endpoints.length === 0 ? 'primary' : 'fallback',
      provider: fallback,
      client: createLlmClient(settings, config, logger),
      maxConcurrency: defaultConcurrency(fallback, config),
      estimateTokens: localEstimator(modelOf(settings)),
      profileContextWindow: resolveModelProfile(modelOf(settings)).contextWindow,
      configuredContextWindow: config.llmFallbackContextWindow,
    });
  }
  return endpoints;
}

/**
 * The LLM area: the endpoint chain chosen by config through the provider factories, wrapped in `LlmService`
 * (retries, breaker, concurrency, fallback, token accuracy, cassette recording), and its health check.
 */
export const llmModule = () =>
  new ContainerModule(({ bind }) => {
    bind(TOKENS.LlmService)
      .toDynamicValue((ctx) => {
        const config = ctx.get(TOKENS.Config);
        const logger = ctx.get(TOKENS.Logger);
        const replay = config.llmCassetteMode === 'replay';
        return new LlmService(
          llmEndpoints(config, logger),
          {
            estimateTokens: estimateTokensByLength, // only for endpoints without their own (the replayed cassette)
            maxRetries: replay ? 0 : config.llmMaxRetries,
            // A configured window (a local model's) also tells a silent truncation apart from a tokenizer's bias.
            contextWindow: config.llmContextWindow,
            ollamaContextLength: config.ollamaContextLength,
            cassette:
              config.llmCassetteMode === 'record' && config.llmCassette
                ? new CassetteWriter(config.llmCassette, () => secretsOf(config))
                : undefined,
          },
          logger,
          ctx.get(TOKENS.Metrics),
        );
      })
      .inSingletonScope();
    // GigaChat's exact counter for the code area's token counting (used there only when LLM_PROVIDER=gigachat),
    // sharing the primary endpoint's retries and one-request-at-a-time limit. When it fails (503, outage, open
    // circuit) the GigaChat counter estimates locally and flags its counts as estimated; the failure is logged and
    // flagged in the service's usage and token accuracy (the attempts are in test_agent_llm_errors_total). In replay
    // mode there is no GigaChat to ask: counts are then local estimates, said once in the log.
    bind(TOKENS.RemoteTokenCounter)
      .toDynamicValue((ctx) => {
        const llm = ctx.get(TOKENS.LlmService);
        const log = ctx.get(TOKENS.Logger).child('token_counter');
        let warned = false;
        return {
          countTokens: async (model: string, texts: readonly string[]) => {
            const primary = llm.primaryClient;
            if (primary instanceof GigaChatLlmClient) {
              try {
                return await llm.runOnPrimary(() => primary.countTokensForModel(model, texts));
              } catch (e) {
                if (e instanceof LlmError) llm.noteEstimatedCounts(e.message);
                throw e;
              }
            }
            if (!warned) {
              warned = true;
              log.warn('No GigaChat endpoint to count tokens with; estimating them locally', {
                model,
                primary: primary?.endpoint ?? 'none',
              });
            }
            const estimate = localEstimator(model);
            return Promise.all(texts.map((t) => estimate(t)));
          },
        };
      })
      .inSingletonScope();
    bind(TOKENS.HealthCheck).toDynamicValue((ctx) => new LlmHealthCheck(ctx.get(TOKENS.LlmService)));
  });
