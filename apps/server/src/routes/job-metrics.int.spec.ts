import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createContainer, loadConfig, TOKENS } from '@test-agent/composition';
import { silentLogger } from '@test-agent/domain';
import { buildApp } from '../app';

// A job runs as its own process: what it measures on the LLM path (chats, LLM errors, token accuracy, chunking)
// still reaches the server's /metrics. The LLM is the stand-in over real HTTP; its first answer is a 503.
const root = path.resolve(__dirname, '../../../..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureBuilt } = require(path.join(root, 'tools/build/build.cjs')) as { ensureBuilt: () => Promise<void> };

describe("a job's own metrics on the server", () => {
  jest.setTimeout(240_000);
  const cwd = mkdtempSync(path.join(tmpdir(), 'ta-job-metrics-'));
  let standIn: ChildProcess;
  let url: string;
  beforeAll(async () => {
    await ensureBuilt();
    const script = path.join(cwd, 'script.json');
    writeFileSync(
      script,
      JSON.stringify({
        model: 'm',
        default: { text: 'def test_nothing():\n    assert True\n' },
        faults: [{ status: 503 }],
      }),
    );
    standIn = spawn(
      process.execPath,
      [path.join(root, 'tools', 'llm-stand-in', 'main.cjs'), '--port', '0', '--script', script],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    url = await new Promise<string>((resolve) =>
      standIn.stdout?.once('data', (c: Buffer) =>
        resolve((JSON.parse(c.toString().split('\n')[0]) as { url: string }).url),
      ),
    );
  });
  afterAll(() => standIn.kill('SIGTERM'));

  it('adds the LLM calls, LLM errors, token accuracy and chunking of an llm job to /metrics', async () => {
    // Jobs get the server's environment: here the LLM settings, no retry (so the stand-in's 503 is an error).
    Object.assign(process.env, {
      LLM_PROVIDER: 'openai',
      LLM_URL: url,
      LLM_MODEL: 'm',
      LLM_MAX_RETRIES: '0',
      TEST_AGENT_FLAKY_RERUNS: '2',
    });
    const container = createContainer(loadConfig({ env: {}, cwd, overrides: { apiTokens: ['t'] } }), {
      logger: silentLogger,
    });
    const app = buildApp(container);
    try {
      const auth = { authorization: 'Bearer t' };
      const content = readFileSync(path.join(root, 'examples', 'calculator.py'), 'utf8');
      const run = async () => {
        const res = await app.inject({
          method: 'POST',
          url: '/v1/generations',
          headers: auth,
          payload: {
            files: [{ path: 'calculator.py', content }],
            target: '.',
            options: { strategy: 'llm', maxIterations: 1, timeBudgetSeconds: 5 },
          },
        });
        expect(res.statusCode).toBe(202);
        for (;;) {
          await new Promise((r) => setTimeout(r, 500));
          const job = (
            await app.inject({ method: 'GET', url: res.headers.location as string, headers: auth })
          ).json() as {
            state: string;
            progress: { perModule?: object[] };
            error?: { code: string };
            report?: { error?: { code: string } };
          };
          if (job.state !== 'queued' && job.state !== 'running') return job;
        }
      };
      // The first job meets the stand-in's 503 and fails on the LLM outage; the second one gets answers.
      const outage = await run();
      expect(outage).toMatchObject({ state: 'failed', error: { code: expect.stringMatching(/^TA_LLM/) } });
      const answered = await run();
      expect(answered.state).toBe('completed');
      expect(answered.report?.error).toBeUndefined();
      // Progress per module and chunk: the module's one chunk was prompted in one round, and the phase stopped.
      expect(answered.progress.perModule).toEqual([
        expect.objectContaining({
          module: 'calculator',
          state: 'done',
          tokens: expect.any(Number),
          chunks: { of: 1, round: 1, done: 1, stopped: expect.any(String) },
        }),
      ]);
      const scrape = await container.get(TOKENS.MetricsExporter).render();
      const value = (series: string) =>
        Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(scrape)?.[1] ?? NaN);
      const endpoint = `openai ${url}`;
      // The server itself made no LLM call: these come from the job's process.
      expect(value('test_agent_requests_total{operation="llm.chat",status="error"}')).toBeGreaterThanOrEqual(1);
      expect(value('test_agent_requests_total{operation="llm.chat",status="ok"}')).toBeGreaterThanOrEqual(1);
      expect(value(`test_agent_llm_errors_total{endpoint="${endpoint}",reason="server-error"}`)).toBe(1);
      // The stand-in has no token counter: the prompts were fitted with local counts.
      expect(value(`test_agent_token_count_accuracy{endpoint="${endpoint}",counts="local"}`)).toBeGreaterThan(0);
      expect(value('test_agent_chunking_duration_seconds_count{strategy="auto"}')).toBeGreaterThanOrEqual(1);
      // One coverage sample for the completed job (the server's), not one more per module from the job's process.
      expect(value('test_agent_coverage_percentage_count{kind="combined"}')).toBe(1);
    } finally {
      await app.close();
    }
  });
});
