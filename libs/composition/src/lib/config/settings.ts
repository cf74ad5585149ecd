import { z } from 'zod';

/**
 * Every setting Test Agent reads, in one table: its key in a config file / flag object, its environment
 * variable, how it is validated and its default. The README's configuration table lists exactly these.
 */
export interface SettingDefinition {
  readonly key: string;
  readonly env: string;
  readonly schema: z.ZodType;
  readonly default?: unknown;
  readonly description: string;
  /** Never printed: API keys, authorization keys. */
  readonly secret?: boolean;
}

const positiveInt = z.coerce.number().int().positive();
const percent = z.coerce.number().min(0).max(100);
const provider = z.enum(['none', 'llm-api', 'openai', 'gigachat']);
const url = z.string().url();
const stringList = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(/\s+/).filter(Boolean) : v),
  z.array(z.string()),
);

const commaList = z.preprocess(
  (v) =>
    typeof v === 'string'
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : v,
  z.array(z.string().min(1)),
);

export const SETTINGS = [
  {
    key: 'logLevel',
    env: 'LOG_LEVEL',
    schema: z.enum(['error', 'warn', 'info', 'debug']),
    default: 'info',
    description: 'Log level (the CLI prints warnings and errors only unless it is set, or --verbose is given)',
  },
  {
    key: 'logFormat',
    env: 'LOG_FORMAT',
    schema: z.enum(['auto', 'json', 'pretty']),
    default: 'auto',
    description: 'Log format: json, pretty, or auto (pretty on a TTY)',
  },
  {
    key: 'venvDir',
    env: 'TEST_AGENT_VENV',
    schema: z.string().min(1),
    description: "Test Agent's Python venv (default: .venv in the Test Agent folder)",
  },
  {
    key: 'basePython',
    env: 'TEST_AGENT_PYTHON',
    schema: z.string().min(1),
    default: 'python3',
    description: 'Interpreter used to create the venv',
  },
  {
    key: 'projectPython',
    env: 'TEST_AGENT_PROJECT_PYTHON',
    schema: z.string().min(1),
    description:
      "Interpreter that runs the code under test (default: $VIRTUAL_ENV, else the project's .venv or venv, else python3 on PATH)",
  },
  {
    key: 'virtualEnv',
    env: 'VIRTUAL_ENV',
    schema: z.string().min(1),
    description:
      'An activated virtual environment (set by its activate script): its interpreter runs the code under test',
  },
  {
    key: 'cacheDir',
    env: 'TEST_AGENT_CACHE_DIR',
    schema: z.string().min(1),
    description:
      'Cache of Test Agent (tooling built per interpreter version; default: $XDG_CACHE_HOME/test-agent or ~/.cache/test-agent)',
  },
  {
    key: 'pipArgs',
    env: 'TEST_AGENT_PIP_ARGS',
    schema: stringList,
    default: ['--retries', '0'],
    description: 'Extra pip install arguments, space-separated',
  },
  {
    key: 'llmProvider',
    env: 'LLM_PROVIDER',
    schema: provider,
    default: 'none',
    description: 'llm-api, openai, gigachat or none (offline engine only); llm-api when only LLM_URL is set',
  },
  { key: 'llmUrl', env: 'LLM_URL', schema: url, description: 'Base URL of the primary LLM endpoint' },
  {
    key: 'llmModel',
    env: 'LLM_MODEL',
    schema: z.string().min(1),
    description: 'Model name of the primary endpoint, e.g. qwen2.5:7b or GigaChat-2-Max',
  },
  {
    key: 'llmApiKey',
    env: 'LLM_API_KEY',
    schema: z.string().min(1),
    secret: true,
    description: 'API key of the primary endpoint (OpenAI-compatible servers)',
  },
  {
    key: 'llmTimeoutMs',
    env: 'LLM_TIMEOUT_MS',
    schema: positiveInt,
    default: 120_000,
    description:
      'Per-request LLM timeout in milliseconds: the whole call when not streaming; with streaming, the wait for the first byte (a timed-out call is retried asking for half the answer)',
  },
  {
    key: 'llmStream',
    env: 'LLM_STREAM',
    schema: z.enum(['on', 'off']),
    default: 'on',
    description:
      'Stream chat answers (SSE) from OpenAI-compatible and GigaChat endpoints (on), or wait for whole answers (off); llm-api /chat always answers whole',
  },
  {
    key: 'llmStreamIdleTimeoutMs',
    env: 'LLM_STREAM_IDLE_TIMEOUT_MS',
    schema: positiveInt,
    default: 60_000,
    description:
      'Streaming: the longest silence between two pieces of an answer, milliseconds (instead of a limit on the whole call)',
  },
  {
    key: 'llmMaxRetries',
    env: 'LLM_MAX_RETRIES',
    schema: z.coerce.number().int().min(0).max(10),
    default: 3,
    description: 'Retries on 429, 5xx and network errors',
  },
  {
    key: 'llmMaxConcurrency',
    env: 'LLM_MAX_CONCURRENCY',
    schema: positiveInt,
    description:
      'Concurrent requests per endpoint, and chunks of a module prompted at once (default 1 for GigaChat personal accounts, 10 for company ones, 4 otherwise)',
  },
  {
    key: 'llmContextWindow',
    env: 'LLM_CONTEXT_WINDOW',
    schema: positiveInt,
    description:
      "The model's context window, in tokens, when the server does not tell it (Ollama /api/ps or /api/show, vLLM /v1/models max_model_len); when both are known the smaller applies",
  },
  {
    key: 'ollamaContextLength',
    env: 'OLLAMA_CONTEXT_LENGTH',
    schema: positiveInt,
    description:
      'The context length the Ollama server was started with (OLLAMA_CONTEXT_LENGTH=8192 ollama serve): used when Ollama does not report the loaded window',
  },
  {
    key: 'llmFallbackProvider',
    env: 'LLM_FALLBACK_PROVIDER',
    schema: provider,
    description: 'Provider of the fallback endpoint (the rollback to Qwen)',
  },
  { key: 'llmFallbackUrl', env: 'LLM_FALLBACK_URL', schema: url, description: 'Base URL of the fallback endpoint' },
  {
    key: 'llmFallbackModel',
    env: 'LLM_FALLBACK_MODEL',
    schema: z.string().min(1),
    description: 'Model of the fallback endpoint',
  },
  {
    key: 'llmFallbackContextWindow',
    env: 'LLM_FALLBACK_CONTEXT_WINDOW',
    schema: positiveInt,
    description:
      "The fallback model's context window, in tokens, when its server does not tell it (as LLM_CONTEXT_WINDOW for the primary)",
  },
  {
    key: 'llmFallbackApiKey',
    env: 'LLM_FALLBACK_API_KEY',
    schema: z.string().min(1),
    secret: true,
    description: 'API key of the fallback endpoint',
  },
  {
    key: 'gigachatAuthKey',
    env: 'GIGACHAT_AUTH_KEY',
    schema: z.string().min(1),
    secret: true,
    description: 'GigaChat authorization key (base64 of client_id:client_secret)',
  },
  {
    key: 'gigachatScope',
    env: 'GIGACHAT_SCOPE',
    schema: z.enum(['GIGACHAT_API_PERS', 'GIGACHAT_API_B2B', 'GIGACHAT_API_CORP']),
    default: 'GIGACHAT_API_PERS',
    description: 'GigaChat OAuth scope',
  },
  {
    key: 'gigachatOauthUrl',
    env: 'GIGACHAT_OAUTH_URL',
    schema: url,
    default: 'https://ngw.devices.sberbank.ru:9443/api/v2/oauth',
    description: 'GigaChat OAuth endpoint',
  },
  {
    key: 'gigachatCaBundle',
    env: 'GIGACHAT_CA_BUNDLE',
    schema: z.string().min(1),
    description: 'PEM file with the Russian Trusted Root CA for GigaChat TLS',
  },
  {
    key: 'llmCassette',
    env: 'LLM_CASSETTE',
    schema: z.string().min(1),
    description: 'JSONL cassette of LLM exchanges, written or read per llmCassetteMode',
  },
  {
    key: 'llmCassetteMode',
    env: 'LLM_CASSETTE_MODE',
    schema: z.enum(['off', 'record', 'replay']),
    default: 'off',
    description:
      'off; record (append every LLM exchange to llmCassette, secrets redacted); replay (answer from llmCassette, no network)',
  },
  {
    key: 'targetCoverage',
    env: 'TEST_AGENT_TARGET_COVERAGE',
    schema: percent,
    default: 80,
    description: 'Line+branch coverage target, percent',
  },
  {
    key: 'callTimeoutMs',
    env: 'TEST_AGENT_CALL_TIMEOUT_MS',
    schema: positiveInt,
    default: 1000,
    description:
      'Offline search: limit of one call of the code under test, milliseconds (a slower function gets no offline test)',
  },
  {
    key: 'timeBudgetSeconds',
    env: 'TEST_AGENT_TIME_BUDGET',
    schema: positiveInt,
    default: 30,
    description:
      'Offline time budget per module, seconds: the search gets what the validation runs leave of it (at least 5 s)',
  },
  {
    key: 'mutation',
    env: 'TEST_AGENT_MUTATION',
    schema: z.enum(['on', 'off']),
    default: 'off',
    description:
      "Mutation testing of each module's written tests (on): mutants of the covered lines run in the sandbox, the score and the surviving mutants in the report",
  },
  {
    key: 'maxMutants',
    env: 'TEST_AGENT_MAX_MUTANTS',
    schema: positiveInt,
    default: 60,
    description:
      'Mutation testing: mutants run per module at most (sampled across operators and lines), within the time budget',
  },
  {
    key: 'smallModuleTokens',
    env: 'TEST_AGENT_SMALL_MODULE_TOKENS',
    schema: positiveInt,
    default: 4000,
    description: 'Modules under this many tokens are one chunk',
  },
  {
    key: 'chunkStrategy',
    env: 'TEST_AGENT_CHUNK_STRATEGY',
    schema: z.enum(['auto', 'function', 'class', 'statement']),
    default: 'auto',
    description: 'Chunking strategy: auto, function, class or statement',
  },
  {
    key: 'reservedCompletionTokens',
    env: 'TEST_AGENT_RESERVED_COMPLETION_TOKENS',
    schema: positiveInt,
    description: "Override the model profile's tokens reserved for the answer",
  },
  {
    key: 'promptOverheadTokens',
    env: 'TEST_AGENT_PROMPT_OVERHEAD_TOKENS',
    schema: z.coerce.number().int().min(0),
    default: 1500,
    description: 'Prompt tokens that are not the chunk (instructions, skeleton, summaries)',
  },
  {
    key: 'flakyReruns',
    env: 'TEST_AGENT_FLAKY_RERUNS',
    schema: z.coerce.number().int().min(1).max(50),
    default: 5,
    description: 'Re-runs of each candidate test to detect flakiness',
  },
  {
    key: 'testTimeoutMs',
    env: 'TEST_AGENT_TEST_TIMEOUT_MS',
    schema: positiveInt,
    default: 10_000,
    description: 'Per-test time limit under pytest (setup + call + teardown), milliseconds',
  },
  {
    key: 'testRunTimeoutMs',
    env: 'TEST_AGENT_TEST_RUN_TIMEOUT_MS',
    schema: positiveInt,
    default: 300_000,
    description: 'Time limit of one pytest run; the process group is killed past it, milliseconds',
  },
  {
    key: 'testMemoryMb',
    env: 'TEST_AGENT_TEST_MEMORY_MB',
    schema: z.coerce.number().int().min(0),
    default: 2048,
    description: 'Address-space limit of a pytest process, MiB (0 = unlimited)',
  },
  {
    key: 'sandbox',
    env: 'TEST_AGENT_SANDBOX',
    schema: z.enum(['on', 'off']),
    default: 'on',
    description:
      'Run the code under test inside bubblewrap (on), or unconfined (off: only when you trust the code); with on and no usable bwrap, generate and coverage refuse to run',
  },
  {
    key: 'bwrapPath',
    env: 'TEST_AGENT_BWRAP',
    schema: z.string().min(1),
    default: 'bwrap',
    description: 'The bubblewrap executable: a path, or a name looked up on PATH',
  },
  {
    key: 'testConcurrency',
    env: 'TEST_AGENT_TEST_CONCURRENCY',
    schema: positiveInt,
    default: 2,
    description: 'pytest processes run at once by the flakiness check',
  },
  {
    key: 'metricsEventsFile',
    env: 'TEST_AGENT_METRICS_EVENTS',
    schema: z.string().min(1),
    description:
      "A file this process appends each metric it records to, as JSON lines (the server sets it for each job and adds the job's metrics to its own)",
  },
  { key: 'host', env: 'HOST', schema: z.string().min(1), default: '127.0.0.1', description: 'Server listen address' },
  {
    key: 'port',
    env: 'PORT',
    schema: z.coerce.number().int().min(0).max(65535),
    default: 8080,
    description: 'Server listen port',
  },
  {
    key: 'apiTokens',
    env: 'TEST_AGENT_API_TOKENS',
    schema: commaList,
    default: [],
    secret: true,
    description:
      'Bearer tokens the server accepts on /v1 (comma-separated); with none, every /v1 request is refused (401)',
  },
  {
    key: 'serverRoots',
    env: 'TEST_AGENT_SERVER_ROOTS',
    schema: commaList,
    default: [],
    description:
      'Folders whose files server requests may name by path (comma-separated); with none, server-side paths are refused (403)',
  },
  {
    key: 'metricsAuth',
    env: 'TEST_AGENT_METRICS_AUTH',
    schema: z.enum(['on', 'off']),
    default: 'off',
    description: '/metrics needs a bearer token too (on), or is open like /health (off)',
  },
  {
    key: 'workerConcurrency',
    env: 'TEST_AGENT_WORKER_CONCURRENCY',
    schema: positiveInt,
    description:
      'Server: generation jobs run at once (default: one per core; each is its own process; its modules use --jobs 1)',
  },
  {
    key: 'sourceThreads',
    env: 'TEST_AGENT_SOURCE_THREADS',
    schema: z.coerce.number().int().min(0),
    description:
      'Server: worker threads for chunk previews and token counts (default: one per core; 0: on the event loop)',
  },
  {
    key: 'maxQueuedJobs',
    env: 'TEST_AGENT_MAX_QUEUED_JOBS',
    schema: positiveInt,
    default: 100,
    description: 'Server: jobs waiting beyond which POST /v1/generations answers 429',
  },
  {
    key: 'resultTtlSeconds',
    env: 'TEST_AGENT_RESULT_TTL',
    schema: positiveInt,
    default: 3600,
    description: "Server: how long a finished job's state, report and tests are kept, seconds",
  },
  {
    key: 'redisUrl',
    env: 'REDIS_URL',
    schema: z
      .string()
      .url()
      .refine((v) => /^rediss?:\/\//.test(v), 'must be a redis:// or rediss:// URL'),
    secret: true,
    description:
      'Server: the Redis of the job queue shared by every replica (BullMQ), e.g. redis://redis:6379; unset, jobs run on an in-process queue (one replica)',
  },
  {
    key: 'jobStalledSeconds',
    env: 'TEST_AGENT_JOB_STALLED_SECONDS',
    schema: positiveInt,
    default: 30,
    description:
      'Server with Redis: a running job whose replica has not renewed its lock for this long (the replica died) is retried by another replica, once; a second time it is failed',
  },
  {
    key: 'maxTimeBudgetSeconds',
    env: 'TEST_AGENT_MAX_TIME_BUDGET',
    schema: positiveInt,
    default: 600,
    description: 'Largest search budget per module a server request may ask for, seconds (400 beyond)',
  },
  {
    key: 'archiveMaxBytes',
    env: 'TEST_AGENT_ARCHIVE_MAX_BYTES',
    schema: positiveInt,
    default: 32 * 1024 * 1024,
    description: 'Server: largest archive upload (the multipart body) of POST /v1/generations, bytes (413 beyond)',
  },
  {
    key: 'archiveMaxEntries',
    env: 'TEST_AGENT_ARCHIVE_MAX_ENTRIES',
    schema: positiveInt,
    default: 5_000,
    description: 'Server: most entries (files and folders) an uploaded archive may hold (400 beyond)',
  },
  {
    key: 'archiveMaxUnpackedBytes',
    env: 'TEST_AGENT_ARCHIVE_MAX_UNPACKED_BYTES',
    schema: positiveInt,
    default: 64 * 1024 * 1024,
    description:
      'Server: most bytes an uploaded archive may unpack to, counted while decompressing (400 beyond: zip bombs)',
  },
  {
    key: 'drainTimeoutSeconds',
    env: 'TEST_AGENT_DRAIN_TIMEOUT',
    schema: positiveInt,
    default: 60,
    description: 'Server: after SIGTERM, how long running jobs may finish before the rest are cancelled, seconds',
  },
] as const satisfies readonly SettingDefinition[];

export type SettingKey = (typeof SETTINGS)[number]['key'];
