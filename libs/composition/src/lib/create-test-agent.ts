import type { GenerateTestsReport, GenerateTestsRequest } from '@test-agent/application';
import type { HealthCheckResult, Logger } from '@test-agent/domain';
import type { PythonEnvironment } from '@test-agent/infrastructure';
import { loadConfig, type ConfigOverrides, type TestAgentConfig } from './config/load-config';
import { createContainer } from './create-container';
import type { CoreModuleOptions } from './modules/core.module';
import { TOKENS } from './tokens';

export interface CreateTestAgentOptions extends CoreModuleOptions {
  /** Environment variables to read settings from (none by default). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The environment Python processes start from, before scrubbing (the process environment by default). */
  readonly baseEnv?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  readonly configFile?: string;
}

/** The facade embedders use: one object with Test Agent's use cases, wired from a config. */
export interface TestAgent {
  readonly config: TestAgentConfig;
  readonly logger: Logger;
  /** Creates or repairs Test Agent's Python venv; resolves to its interpreter path. */
  setupPython(): Promise<string>;
  /** Every health check (Node, Python, venv, pytest, coverage.py, LLM endpoints when configured). */
  doctor(): Promise<HealthCheckResult[]>;
  /**
   * Writes pytest tests for a module or every module under a folder into `outDir` (with JSON and Markdown
   * reports). The time budget, coverage target and flaky re-runs default to the configuration.
   */
  generate(request: GenerateRequest): Promise<GenerateTestsReport>;
}

/** The parts of a generation request that come from configuration; a request's own values win over them. */
export function generationDefaults(config: TestAgentConfig): Omit<GenerateTestsRequest, 'path' | 'outDir'> {
  return {
    timeBudgetSeconds: config.timeBudgetSeconds,
    callTimeoutMs: config.callTimeoutMs,
    targetCoverage: config.targetCoverage,
    flakyRuns: config.flakyReruns,
    perTestTimeoutMs: config.testTimeoutMs,
    runTimeoutMs: config.testRunTimeoutMs,
    mutation: config.mutation === 'on',
    maxMutants: config.maxMutants,
  };
}

/** `generate`'s input: what `GenerateTestsRequest` needs, with configured defaults for the rest. */
export type GenerateRequest = Pick<GenerateTestsRequest, 'path' | 'outDir'> &
  Partial<Omit<GenerateTestsRequest, 'path' | 'outDir'>>;

/**
 * Creates a Test Agent from settings (see the README's configuration table), merged over defaults. Settings are
 * not read from the process environment unless it is passed as `options.env` (Python processes still start from
 * it, or from `options.baseEnv`). Throws `ConfigError` listing every invalid value.
 */
export function createTestAgent(config: ConfigOverrides = {}, options: CreateTestAgentOptions = {}): TestAgent {
  const resolved = loadConfig({
    overrides: config,
    env: options.env ?? {},
    cwd: options.cwd,
    configFile: options.configFile,
    baseEnv: options.baseEnv,
  });
  const container = createContainer(resolved, options);
  const python = container.get<PythonEnvironment>(TOKENS.PythonEnvironment);
  return {
    config: resolved,
    logger: container.get(TOKENS.Logger),
    setupPython: () => python.ensure(),
    doctor: async () => (await Promise.all(container.getAll(TOKENS.HealthCheck).map((c) => c.run()))).flat(),
    generate: (request) => container.get(TOKENS.GenerateTests).execute({ ...generationDefaults(resolved), ...request }),
  };
}
