import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError, resolveModelProfile } from '@test-agent/domain';
import { packageRoot } from '@test-agent/infrastructure';
import { SETTINGS, type SettingDefinition } from './settings';

type Settings = typeof SETTINGS;
type Def<K> = Extract<Settings[number], { key: K }>;
type ValueOf<K> = z.infer<Def<K>['schema']>;

/** The resolved configuration. Settings without a default may be undefined. */
export type TestAgentConfig = {
  [K in Settings[number]['key']]: Def<K> extends { default: unknown } ? ValueOf<K> : ValueOf<K> | undefined;
} & {
  venvDir: string;
  cacheDir: string;
  configFile?: string;
  /**
   * The environment Test Agent's Python processes (pytest runs, the search worker, interpreter and bwrap lookup)
   * and the server's jobs start from, before their own scrubbing. Holds secrets: never log or print it.
   */
  baseEnv: Readonly<Record<string, string | undefined>>;
};

/** Partial settings given by flags or an embedder (highest precedence). */
export type ConfigOverrides = Partial<Record<Settings[number]['key'], unknown>>;

export interface LoadConfigOptions {
  /** Environment variables (the process environment in the CLI and server). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** A JSON config file; when absent, `test-agent.config.json` in `cwd` is used if it exists. */
  readonly configFile?: string;
  readonly cwd?: string;
  /** Values from flags or from the embedder: override file, env and defaults. */
  readonly overrides?: ConfigOverrides;
  /** The embedder's own defaults, below everything the user sets (the CLI's quieter `logLevel`). */
  readonly defaults?: ConfigOverrides;
  /**
   * The environment child processes start from (`TestAgentConfig.baseEnv`); never a source of settings. The
   * process environment by default: this is the one place that reads it.
   */
  readonly baseEnv?: Readonly<Record<string, string | undefined>>;
}

export const DEFAULT_CONFIG_FILE = 'test-agent.config.json';

/**
 * Loads configuration once, from flags/overrides > config file > environment > defaults, validating every
 * value and every combination of values (`crossCheck`), and reporting every invalid one at once
 * (`ConfigError.problems`). The only place that reads env; the container's modules only build objects from it.
 */
export function loadConfig(options: LoadConfigOptions = {}): TestAgentConfig {
  const env = options.env ?? {};
  const cwd = options.cwd ?? '.';
  const problems: string[] = [];

  let fileValues: Record<string, unknown> = {};
  const explicit = options.configFile !== undefined;
  const configFile = path.resolve(cwd, options.configFile ?? DEFAULT_CONFIG_FILE);
  if (existsSync(configFile)) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(configFile, 'utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        problems.push(`${configFile}: must hold a JSON object`);
      } else {
        fileValues = parsed as Record<string, unknown>;
        const known = new Set<string>(SETTINGS.map((s) => s.key));
        for (const key of Object.keys(fileValues)) {
          if (!known.has(key)) problems.push(`${configFile}: unknown setting "${key}"`);
        }
      }
    } catch (e) {
      problems.push(`${configFile}: not valid JSON (${(e as Error).message})`);
    }
  } else if (explicit) {
    problems.push(`config file not found: ${configFile}`);
  }

  const result: Record<string, unknown> = {};
  const defaulted = new Set<string>();
  for (const def of SETTINGS as readonly SettingDefinition[]) {
    const candidates: [string, unknown][] = [
      ['flag', options.overrides?.[def.key as keyof ConfigOverrides]],
      [`${path.basename(configFile)}`, fileValues[def.key]],
      [def.env, env[def.env] === '' ? undefined : env[def.env]],
      ['the default', options.defaults?.[def.key as keyof ConfigOverrides]],
    ];
    const found = candidates.find(([, v]) => v !== undefined);
    if (!found) {
      result[def.key] = def.default;
      defaulted.add(def.key);
      continue;
    }
    const [source, raw] = found;
    const parsed = def.schema.safeParse(raw);
    if (parsed.success) {
      result[def.key] = parsed.data;
    } else {
      const shown = def.secret ? '[REDACTED]' : JSON.stringify(raw);
      const why = parsed.error.issues.map((i) => i.message).join(', ');
      problems.push(`${def.key} (from ${source}) = ${shown}: ${why}`);
    }
  }

  // An LLM URL alone (e.g. `--llm-url`) means the in-house gateway protocol, which also speaks OpenAI's.
  if (defaulted.has('llmProvider') && result.llmUrl) result.llmProvider = 'llm-api';
  problems.push(...crossCheck(result));
  if (problems.length > 0) throw new ConfigError(problems);

  // The answer's reserve scales with a configured context window, never more than a third of it: with
  // LLM_CONTEXT_WINDOW=4096 a Qwen model keeps 1,365 tokens for the answer, not its profile's 4,096 (which would
  // leave no room for code). An explicit TEST_AGENT_RESERVED_COMPLETION_TOKENS is kept as given.
  if (typeof result.llmContextWindow === 'number' && result.reservedCompletionTokens === undefined) {
    const profile = resolveModelProfile(result.llmModel as string | undefined);
    result.reservedCompletionTokens = Math.min(
      profile.reservedCompletionTokens,
      Math.floor(result.llmContextWindow / 3),
    );
  }

  result.venvDir = path.resolve(cwd, (result.venvDir as string | undefined) ?? path.join(packageRoot(), '.venv'));
  const cacheHome = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache');
  result.cacheDir = path.resolve(cwd, (result.cacheDir as string | undefined) ?? path.join(cacheHome, 'test-agent'));
  if (result.projectPython) result.projectPython = resolveExecutable(cwd, result.projectPython as string);
  if (existsSync(configFile)) result.configFile = configFile;
  result.baseEnv = options.baseEnv ?? process.env;
  return result as TestAgentConfig;
}

/**
 * Problems of settings that are valid alone but not together: what each configured LLM endpoint needs (its URL,
 * GigaChat's authorization key) and the cassette file a cassette mode needs.
 */
function crossCheck(result: Record<string, unknown>): string[] {
  const problems: string[] = [];
  // An invalid provider (reported already) is also said to need its URL, as before.
  if (result.llmProvider !== 'none' && result.llmProvider !== 'gigachat' && !result.llmUrl) {
    problems.push(`llmUrl (LLM_URL) is required when llmProvider is "${String(result.llmProvider)}"`);
  }
  if (result.llmProvider === 'gigachat' && !result.gigachatAuthKey) {
    problems.push('gigachatAuthKey (GIGACHAT_AUTH_KEY) is required when llmProvider is "gigachat"');
  }
  const fallback = result.llmFallbackProvider;
  if (fallback && fallback !== 'none' && fallback !== 'gigachat' && !result.llmFallbackUrl) {
    problems.push('llmFallbackUrl (LLM_FALLBACK_URL) is required when llmFallbackProvider is set');
  }
  const cassetteMode = result.llmCassetteMode;
  // A replayed cassette builds no fallback client (the primary's settings are checked all the same).
  if (
    fallback === 'gigachat' &&
    result.llmProvider !== 'gigachat' &&
    cassetteMode !== 'replay' &&
    !result.gigachatAuthKey
  ) {
    problems.push('gigachatAuthKey (GIGACHAT_AUTH_KEY) is required when llmFallbackProvider is "gigachat"');
  }
  if ((cassetteMode === 'record' || cassetteMode === 'replay') && !result.llmCassette) {
    problems.push(`llmCassette (LLM_CASSETTE) is required when llmCassetteMode is "${cassetteMode}"`);
  }
  return problems;
}

/** A path is resolved against `cwd`; a bare name (`python3.12`) stays for PATH lookup. */
function resolveExecutable(cwd: string, value: string): string {
  return value.includes('/') ? path.resolve(cwd, value) : value;
}

/** Every secret value in a config, so loggers can redact them. */
export function secretsOf(config: TestAgentConfig): string[] {
  return (SETTINGS as readonly SettingDefinition[])
    .filter((s) => s.secret)
    .flatMap((s) => [(config as Record<string, unknown>)[s.key]].flat())
    .filter((v): v is string => typeof v === 'string');
}
