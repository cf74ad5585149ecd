import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '@test-agent/domain';
import { loadConfig, secretsOf } from './load-config';
import { SETTINGS } from './settings';

const tempDir = () => mkdtempSync(path.join(tmpdir(), 'ta-config-'));

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('uses defaults when nothing is set', () => {
    const config = loadConfig({ env: {}, cwd: tempDir() });
    expect(config.llmProvider).toBe('none');
    expect(config.targetCoverage).toBe(80);
    expect(config.smallModuleTokens).toBe(4000);
    expect(config.pipArgs).toEqual(['--retries', '0']);
    expect(config.venvDir).toMatch(/\.venv$/);
  });

  it('applies precedence flag > file > env > default', () => {
    const cwd = tempDir();
    writeFileSync(
      path.join(cwd, 'test-agent.config.json'),
      JSON.stringify({ targetCoverage: 85, timeBudgetSeconds: 12 }),
    );
    const env = { TEST_AGENT_TARGET_COVERAGE: '70', TEST_AGENT_TIME_BUDGET: '5', TEST_AGENT_FLAKY_RERUNS: '3' };
    const config = loadConfig({ env, cwd, overrides: { targetCoverage: 90 } });
    expect(config.targetCoverage).toBe(90); // flag over file and env
    expect(config.timeBudgetSeconds).toBe(12); // file over env
    expect(config.flakyReruns).toBe(3); // env over default
    expect(config.llmTimeoutMs).toBe(120_000); // default
    expect(config.configFile).toBe(path.join(cwd, 'test-agent.config.json'));
  });

  it("puts the embedder's defaults below everything the user sets (the CLI's quiet logLevel)", () => {
    const defaults = { logLevel: 'warn' };
    expect(loadConfig({ env: {}, cwd: tempDir(), defaults }).logLevel).toBe('warn');
    expect(loadConfig({ env: {}, cwd: tempDir() }).logLevel).toBe('info');
    expect(loadConfig({ env: { LOG_LEVEL: 'info' }, cwd: tempDir(), defaults }).logLevel).toBe('info');
    expect(loadConfig({ env: {}, cwd: tempDir(), defaults, overrides: { logLevel: 'debug' } }).logLevel).toBe('debug');
    const cwd = tempDir();
    writeFileSync(path.join(cwd, 'test-agent.config.json'), JSON.stringify({ logLevel: 'error' }));
    expect(loadConfig({ env: {}, cwd, defaults }).logLevel).toBe('error');
  });

  it('reports every invalid value at once, naming its source', () => {
    const cwd = tempDir();
    writeFileSync(path.join(cwd, 'test-agent.config.json'), JSON.stringify({ port: 'eighty', colour: 'blue' }));
    const error = configError(() =>
      loadConfig({ env: { LOG_LEVEL: 'loud', LLM_PROVIDER: 'openai' }, cwd, overrides: { targetCoverage: 120 } }),
    );
    expect(error.problems).toHaveLength(5);
    expect(error.problems.join('\n')).toMatch(/logLevel \(from LOG_LEVEL\) = "loud"/);
    expect(error.problems.join('\n')).toMatch(/port \(from test-agent.config.json\) = "eighty"/);
    expect(error.problems.join('\n')).toMatch(/targetCoverage \(from flag\) = 120/);
    expect(error.problems.join('\n')).toMatch(/unknown setting "colour"/);
    expect(error.problems.join('\n')).toMatch(/llmUrl \(LLM_URL\) is required/);
    expect(error.kind).toBe('config');
  });

  it('never echoes a secret value in an error', () => {
    const error = configError(() =>
      loadConfig({
        env: { LLM_PROVIDER: 'gigachat', GIGACHAT_AUTH_KEY: '' },
        overrides: { llmApiKey: 42 },
        cwd: tempDir(),
      }),
    );
    expect(error.message).toContain('llmApiKey (from flag) = [REDACTED]');
    expect(error.message).not.toContain('42');
    expect(error.message).toContain('gigachatAuthKey (GIGACHAT_AUTH_KEY) is required');
  });

  it('reports a missing explicit config file and invalid JSON', () => {
    const cwd = tempDir();
    expect(configError(() => loadConfig({ env: {}, cwd, configFile: 'nope.json' })).problems[0]).toMatch(
      /config file not found: .*nope\.json/,
    );
    writeFileSync(path.join(cwd, 'bad.json'), '{ not json');
    expect(configError(() => loadConfig({ env: {}, cwd, configFile: 'bad.json' })).problems[0]).toMatch(
      /bad\.json: not valid JSON/,
    );
  });

  it('takes an LLM URL alone as the llm-api gateway, but never overrides an explicit provider', () => {
    expect(loadConfig({ env: {}, cwd: tempDir(), overrides: { llmUrl: 'http://127.0.0.1:8000' } }).llmProvider).toBe(
      'llm-api',
    );
    expect(
      loadConfig({ env: { LLM_PROVIDER: 'openai' }, cwd: tempDir(), overrides: { llmUrl: 'http://127.0.0.1:8000' } })
        .llmProvider,
    ).toBe('openai');
    expect(loadConfig({ env: {}, cwd: tempDir() }).llmProvider).toBe('none');
  });

  it('scales the answer reserve with a configured context window (at most a third), keeping an explicit one', () => {
    const cwd = tempDir();
    expect(
      loadConfig({ env: { LLM_MODEL: 'qwen2.5:7b', LLM_CONTEXT_WINDOW: '4096' }, cwd }).reservedCompletionTokens,
    ).toBe(1365);
    expect(
      loadConfig({ env: { LLM_MODEL: 'qwen2.5:7b', LLM_CONTEXT_WINDOW: '65536' }, cwd }).reservedCompletionTokens,
    ).toBe(4096);
    expect(
      loadConfig({ env: { LLM_CONTEXT_WINDOW: '4096', TEST_AGENT_RESERVED_COMPLETION_TOKENS: '2000' }, cwd })
        .reservedCompletionTokens,
    ).toBe(2000);
    expect(loadConfig({ env: { LLM_MODEL: 'qwen2.5:7b' }, cwd }).reservedCompletionTokens).toBeUndefined();
  });

  it('checks what each LLM endpoint needs: its URL, GigaChat the authorization key, primary or fallback', () => {
    expect(configError(() => loadConfig({ env: { LLM_PROVIDER: 'openai' }, cwd: tempDir() })).problems).toEqual([
      'llmUrl (LLM_URL) is required when llmProvider is "openai"',
    ]);
    expect(configError(() => loadConfig({ env: { LLM_PROVIDER: 'gigachat' }, cwd: tempDir() })).problems).toEqual([
      'gigachatAuthKey (GIGACHAT_AUTH_KEY) is required when llmProvider is "gigachat"',
    ]);
    const fallbacks = { LLM_PROVIDER: 'llm-api', LLM_URL: 'http://llm-api:8000' };
    expect(
      configError(() => loadConfig({ env: { ...fallbacks, LLM_FALLBACK_PROVIDER: 'openai' }, cwd: tempDir() }))
        .problems,
    ).toEqual(['llmFallbackUrl (LLM_FALLBACK_URL) is required when llmFallbackProvider is set']);
    expect(
      configError(() => loadConfig({ env: { ...fallbacks, LLM_FALLBACK_PROVIDER: 'gigachat' }, cwd: tempDir() }))
        .problems,
    ).toEqual(['gigachatAuthKey (GIGACHAT_AUTH_KEY) is required when llmFallbackProvider is "gigachat"']);
    const gigachatFallback = { ...fallbacks, LLM_FALLBACK_PROVIDER: 'gigachat', GIGACHAT_AUTH_KEY: 'a2V5OnNlY3JldA==' };
    expect(loadConfig({ env: gigachatFallback, cwd: tempDir() }).llmFallbackProvider).toBe('gigachat');
  });

  it('requires a cassette file for record and replay', () => {
    for (const mode of ['record', 'replay']) {
      expect(configError(() => loadConfig({ env: { LLM_CASSETTE_MODE: mode }, cwd: tempDir() })).problems).toEqual([
        `llmCassette (LLM_CASSETTE) is required when llmCassetteMode is "${mode}"`,
      ]);
    }
    const cassette = path.join(tempDir(), 'llm.jsonl');
    expect(
      loadConfig({ env: { LLM_CASSETTE_MODE: 'record', LLM_CASSETTE: cassette }, cwd: tempDir() }).llmCassette,
    ).toBe(cassette);
  });

  it('gives child processes the environment it is told, else the process environment, never as settings', () => {
    const baseEnv = { PATH: '/usr/bin', TEST_AGENT_TARGET_COVERAGE: '55' };
    const config = loadConfig({ env: {}, baseEnv, cwd: tempDir() });
    expect(config.baseEnv).toBe(baseEnv);
    expect(config.targetCoverage).toBe(80);
    expect(loadConfig({ env: {}, cwd: tempDir() }).baseEnv).toBe(process.env);
  });

  it('lists the secret values for redaction', () => {
    const config = loadConfig({
      env: { LLM_API_KEY: 'sk-live-123456', GIGACHAT_AUTH_KEY: 'YWJjOmRlZg==' },
      cwd: tempDir(),
    });
    expect(secretsOf(config).sort()).toEqual(['YWJjOmRlZg==', 'sk-live-123456']);
  });

  it('has a unique environment variable per setting', () => {
    const envs = SETTINGS.map((s) => s.env);
    expect(new Set(envs).size).toBe(envs.length);
  });

  it('is documented: the README configuration table lists every setting and its variable', () => {
    const readme = readFileSync(path.resolve(__dirname, '../../../../../README.md'), 'utf8');
    for (const s of SETTINGS) expect(readme).toMatch(new RegExp(`\\| ${s.key} \\| \`${s.env}\` \\|`));
  });
});
