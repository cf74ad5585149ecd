import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '@test-agent/domain';
import { loadConfig } from './config/load-config';
import { createContainer } from './create-container';
import { createTestAgent } from './create-test-agent';
import { TOKENS } from './tokens';

describe('composition', () => {
  const config = loadConfig({ env: {}, cwd: mkdtempSync(path.join(tmpdir(), 'ta-container-')) });

  it('resolves every binding', () => {
    const container = createContainer(config, { logger: silentLogger });
    for (const [name, token] of Object.entries(TOKENS)) {
      const resolved = name === 'HealthCheck' ? container.getAll(token) : [container.get(token)];
      expect(resolved.length).toBeGreaterThan(0);
      for (const service of resolved) expect(service).toBeDefined();
    }
  });

  it("starts child processes from the environment loadConfig was given (config.baseEnv), not the process's", async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'ta-container-'));
    const bare = loadConfig({ env: {}, baseEnv: { PATH: path.join(cwd, 'no-such-bin') }, cwd });
    const launcher = createContainer(bare, { logger: silentLogger }).get(TOKENS.PythonLauncher);
    expect(await launcher.status()).toEqual({ setting: 'on', confined: false, problem: 'bwrap was not found on PATH' });
  });

  it('builds the embedder facade from overrides without reading the process environment', () => {
    process.env.TEST_AGENT_TARGET_COVERAGE = '55';
    try {
      const agent = createTestAgent({ targetCoverage: 91 }, { logger: silentLogger });
      expect(agent.config.targetCoverage).toBe(91);
      expect(agent.config.flakyReruns).toBe(5);
      expect(createTestAgent({}, { logger: silentLogger }).config.targetCoverage).toBe(80);
    } finally {
      delete process.env.TEST_AGENT_TARGET_COVERAGE;
    }
  });
});
