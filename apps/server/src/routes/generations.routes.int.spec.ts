import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createContainer, loadConfig, TOKENS } from '@test-agent/composition';
import { silentLogger } from '@test-agent/domain';
import { buildApp } from '../app';

// Generation jobs over HTTP: each runs the built CLI (real offline engine, real pytest + coverage.py).
const root = path.resolve(__dirname, '../../../..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureBuilt } = require(path.join(root, 'tools/build/build.cjs')) as { ensureBuilt: () => Promise<void> };

describe('generation jobs and /v1/chunks', () => {
  jest.setTimeout(180_000);
  // Jobs run the built CLI with the server's environment.
  beforeAll(() => ensureBuilt());
  process.env.TEST_AGENT_FLAKY_RERUNS = '2';
  const cwd = mkdtempSync(path.join(tmpdir(), 'ta-server-gen-'));
  const examples = path.join(root, 'examples');
  const container = createContainer(
    loadConfig({
      env: {},
      cwd,
      overrides: {
        flakyReruns: 2,
        apiTokens: ['spec-token', 'other-token'],
        serverRoots: [cwd, examples],
        maxTimeBudgetSeconds: 60,
        // One job at a time, whatever the machine's cores: the cancel spec needs one running and one queued.
        workerConcurrency: 1,
      },
    }),
    { logger: silentLogger },
  );
  const app = buildApp(container);
  const auth = { authorization: 'Bearer spec-token' };
  afterAll(() => app.close());

  const waitFor = async (id: string, headers = auth, states = ['completed', 'failed', 'cancelled']) => {
    for (;;) {
      const res = await app.inject({ method: 'GET', url: `/v1/generations/${id}`, headers });
      const job = res.json() as {
        state: string;
        progress: { modulesDone: number; modules?: number; perModule?: object[] };
        report?: { targetMet: boolean; coverage: { percent: { combined: number } }; files: string[] };
        error?: unknown;
      };
      if (states.includes(job.state)) return job;
      await new Promise((r) => setTimeout(r, 300));
    }
  };

  it('queues a job on inline sources (202 + Location), runs it, and serves its report and tests', async () => {
    const content = readFileSync(path.join(examples, 'calculator.py'), 'utf8');
    const res = await app.inject({
      method: 'POST',
      url: '/v1/generations',
      headers: auth,
      payload: { files: [{ path: 'calc/calculator.py', content }], target: 'calc', options: { timeBudgetSeconds: 5 } },
    });
    expect(res.statusCode).toBe(202);
    const { id, state } = res.json() as { id: string; state: string };
    expect(['queued', 'running']).toContain(state);
    expect(res.headers.location).toBe(`/v1/generations/${id}`);
    // Another token cannot see it.
    expect(
      (
        await app.inject({
          method: 'GET',
          url: `/v1/generations/${id}`,
          headers: { authorization: 'Bearer other-token' },
        })
      ).statusCode,
    ).toBe(403);
    const job = await waitFor(id);
    expect(job).toMatchObject({ state: 'completed', report: { targetMet: true } });
    expect(job.report!.coverage.percent.combined).toBeGreaterThanOrEqual(80);
    // Progress per module: the offline engine works on whole modules, so there are no chunks.
    expect(job.progress).toEqual({
      modulesDone: 1,
      modules: 1,
      perModule: [
        {
          module: 'calculator',
          state: 'done',
          tests: expect.any(Number),
          combinedPercent: job.report!.coverage.percent.combined,
        },
      ],
    });
    const archive = await app.inject({ method: 'GET', url: `/v1/generations/${id}/tests`, headers: auth });
    expect(archive.statusCode).toBe(200);
    expect(archive.headers['content-type']).toBe('application/gzip');
    const listing = spawnSync('tar', ['-tz'], { input: archive.rawPayload, encoding: 'utf8' });
    expect(listing.stdout.split('\n')).toEqual(
      expect.arrayContaining(['test_calculator.py', 'conftest.py', 'test-agent-report.json']),
    );
    // The job ran in its own process; the server's metrics still have it.
    const scrape = await container.get(TOKENS.MetricsExporter).render();
    expect(scrape).toMatch(/test_agent_test_generation_duration_seconds_count\{generator="offline"\} [1-9]/);
    // Per-job samples: the coverage histogram has this run, the job its duration and its state.
    expect(scrape).toMatch(/test_agent_coverage_percentage_count\{kind="combined"\} [1-9]/);
    expect(scrape).toMatch(/test_agent_coverage_percentage_bucket\{le="100",kind="combined"\} [1-9]/);
    expect(scrape).toMatch(/test_agent_job_duration_seconds_count\{state="completed"\} [1-9]/);
    expect(scrape).toMatch(/test_agent_jobs\{state="completed"\} [1-9]/);
    expect(scrape).toContain('test_agent_job_queue_depth 0');
  });

  it('cancels a running job: its processes are gone within 5 s and it reads cancelled', async () => {
    const slow =
      'import time\n\n\ndef wait(x: int) -> int:\n    time.sleep(0.05)\n    if x > 3:\n        return x\n    return -x\n';
    const res = await app.inject({
      method: 'POST',
      url: '/v1/generations',
      headers: auth,
      payload: {
        files: [{ path: 'slowmod.py', content: slow }],
        target: 'slowmod.py',
        options: { timeBudgetSeconds: 30 },
      },
    });
    const { id } = res.json() as { id: string };
    await waitFor(id, auth, ['running']);
    // One worker: a second job waits, and the gauges say so.
    const second = (
      await app.inject({
        method: 'POST',
        url: '/v1/generations',
        headers: auth,
        payload: { files: [{ path: 'other.py', content: 'X = 1\n' }], target: '.' },
      })
    ).json() as { id: string };
    const waiting = await container.get(TOKENS.MetricsExporter).render();
    expect(waiting).toContain('test_agent_job_queue_depth 1');
    expect(waiting).toContain('test_agent_jobs{state="queued"} 1');
    expect(waiting).toContain('test_agent_jobs{state="running"} 1');
    expect(
      (await app.inject({ method: 'DELETE', url: `/v1/generations/${second.id}`, headers: auth })).json(),
    ).toMatchObject({ state: 'cancelled' });
    await new Promise((r) => setTimeout(r, 2000));
    const cancelled = await app.inject({ method: 'DELETE', url: `/v1/generations/${id}`, headers: auth });
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toMatchObject({ state: 'cancelled' });
    const started = Date.now();
    while (spawnSync('pgrep', ['-f', 'slowmod']).status === 0 && Date.now() - started < 5000)
      await new Promise((r) => setTimeout(r, 200));
    expect(spawnSync('pgrep', ['-f', 'slowmod']).status).toBe(1);
    const scrape = await container.get(TOKENS.MetricsExporter).render();
    expect(scrape).toMatch(/test_agent_job_duration_seconds_count\{state="cancelled"\} 2/);
    expect(scrape).toContain('test_agent_jobs{state="running"} 0');
    expect((await app.inject({ method: 'DELETE', url: `/v1/generations/${id}`, headers: auth })).statusCode).toBe(409);
  });

  it("runs a job with the server's configuration, never one among the sources (it could turn the sandbox off)", async () => {
    const content = readFileSync(path.join(examples, 'calculator.py'), 'utf8');
    const files = [
      { path: 'calculator.py', content },
      { path: 'test-agent.config.json', content: '{"sandbox": "off"}' },
    ];
    const res = await app.inject({
      method: 'POST',
      url: '/v1/generations',
      headers: auth,
      payload: { files, target: 'calculator.py', options: { timeBudgetSeconds: 3 } },
    });
    const job = (await waitFor((res.json() as { id: string }).id)) as {
      state: string;
      report?: { sandbox?: { confined: boolean } };
    };
    expect(job.state).toBe('completed');
    expect(job.report?.sandbox?.confined).toBe(true);
  });

  it('refuses source paths that leave the job folder, writing nothing', async () => {
    for (const bad of ['../evil.py', '/etc/evil.py', 'a/../../evil.py', 'a//b.py']) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/generations',
        headers: auth,
        payload: { files: [{ path: bad, content: 'X = 1\n' }], target: '.' },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ title: 'TA_BAD_SOURCE_PATH' });
    }
    expect(existsSync(path.join(tmpdir(), 'evil.py'))).toBe(false);
    const clash = await app.inject({
      method: 'POST',
      url: '/v1/generations',
      headers: auth,
      payload: {
        files: [
          { path: 'a', content: '' },
          { path: 'a/b.py', content: '' },
        ],
        target: '.',
      },
    });
    expect(clash.statusCode).toBe(400);
    const root = await app.inject({
      method: 'POST',
      url: '/v1/generations',
      headers: auth,
      payload: { path: path.join(examples, 'calculator.py'), outDir: cwd },
    });
    expect(root.json()).toMatchObject({ status: 400, title: 'TA_BAD_OUTPUT_FOLDER' });
  });

  it('runs a server-side path inside serverRoots as a job too', async () => {
    const module = path.join(cwd, 'calculator.py');
    copyFileSync(path.join(examples, 'calculator.py'), module);
    const res = await app.inject({
      method: 'POST',
      url: '/v1/generations',
      headers: auth,
      payload: { path: module, outDir: path.join(cwd, 'out'), options: { timeBudgetSeconds: 5 } },
    });
    expect(res.statusCode).toBe(202);
    const job = await waitFor((res.json() as { id: string }).id);
    expect(job.report?.files).toContain(path.join(cwd, 'out', 'test_calculator.py'));
  });

  it('rejects an invalid body with 400 problem+json naming the field', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/generations',
      headers: auth,
      payload: { path: 'x.py', outDir: 'out', options: { targetCoverage: 140 } },
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((res.json() as { detail: string }).detail).toMatch(/targetCoverage/);
  });

  it('maps a missing module to 400 with its code and counts the error', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/generations',
      headers: auth,
      payload: { path: path.join(cwd, 'nope.py'), outDir: path.join(cwd, 'out2') },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ title: 'TA_PATH_NOT_FOUND', status: 400 });
    const scrape = await container.get(TOKENS.MetricsExporter).render();
    expect(scrape).toMatch(/test_agent_errors_total\{code="TA_PATH_NOT_FOUND",component="server"\} 1/);
  });

  it('answers the chunks of a module', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/chunks',
      headers: auth,
      payload: { path: path.join(examples, 'shopping_cart.py') },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { chunks: { startLine: number; endLine: number; kind: string }[] };
    expect(body.chunks).toHaveLength(1);
    expect(body.chunks[0]).toMatchObject({ startLine: 1, kind: 'module' });
    const scrape = await container.get(TOKENS.MetricsExporter).render();
    expect(scrape).toMatch(/test_agent_chunks_generated_total\{strategy="auto"\} [1-9]/);
    expect(scrape).toMatch(/test_agent_chunking_duration_seconds_count\{strategy="auto"\} [1-9]/);
  });

  it('refuses a request without a valid token (401), with no body read', async () => {
    const none = await app.inject({
      method: 'POST',
      url: '/v1/chunks',
      payload: { path: path.join(examples, 'shopping_cart.py') },
    });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(none.json()).toMatchObject({ title: 'TA_UNAUTHENTICATED', status: 401 });
    const wrong = await app.inject({
      method: 'POST',
      url: '/v1/chunks',
      headers: { authorization: 'Bearer spec-tokeN' },
      payload: { path: path.join(examples, 'shopping_cart.py') },
    });
    expect(wrong.statusCode).toBe(401);
    expect(JSON.stringify(wrong.json())).not.toContain('spec-token');
    // Probes stay open.
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
  });

  it('refuses server-side paths outside serverRoots (403), symbolic links and .. included', async () => {
    const outside = await app.inject({
      method: 'POST',
      url: '/v1/chunks',
      headers: auth,
      payload: { path: path.join(root, 'tools', 'bench', 'chunking', 'ast_chunker.py') },
    });
    expect(outside.statusCode).toBe(403);
    expect(outside.json()).toMatchObject({ title: 'TA_PATH_OUTSIDE_SERVER_ROOTS' });
    const dotted = await app.inject({
      method: 'POST',
      url: '/v1/chunks',
      headers: auth,
      payload: { path: path.join(examples, '..', 'tools', 'bench', 'chunking', 'ast_chunker.py') },
    });
    expect(dotted.statusCode).toBe(403);
    symlinkSync(path.join(root, 'tools', 'bench', 'chunking', 'ast_chunker.py'), path.join(cwd, 'link.py'));
    const linked = await app.inject({
      method: 'POST',
      url: '/v1/chunks',
      headers: auth,
      payload: { path: path.join(cwd, 'link.py') },
    });
    expect(linked.statusCode).toBe(403);
    const out = await app.inject({
      method: 'POST',
      url: '/v1/generations',
      headers: auth,
      payload: { path: path.join(examples, 'calculator.py'), outDir: path.join(tmpdir(), 'ta-elsewhere') },
    });
    expect(out.statusCode).toBe(403);
    expect(existsSync(path.join(tmpdir(), 'ta-elsewhere'))).toBe(false);
  });

  it('refuses a budget over the configured limit (400) and a huge body (413)', async () => {
    const budget = await app.inject({
      method: 'POST',
      url: '/v1/generations',
      headers: auth,
      payload: {
        path: path.join(examples, 'calculator.py'),
        outDir: path.join(cwd, 'out3'),
        options: { timeBudgetSeconds: 100000 },
      },
    });
    expect(budget.statusCode).toBe(400);
    expect(budget.json()).toMatchObject({ title: 'TA_BUDGET_TOO_LARGE' });
    const huge = await app.inject({
      method: 'POST',
      url: '/v1/chunks',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: JSON.stringify({ path: 'x'.repeat(5 * 1024 * 1024) }),
    });
    expect(huge.statusCode).toBe(413);
  });
});
