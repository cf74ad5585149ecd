#!/usr/bin/env node
// Generation jobs on replicas sharing one Redis queue: posts --jobs small offline jobs (round robin over the
// replicas) to 1 replica, then to 2 (each scenario on a fresh redis-server), polls until every job finished, and
// prints wall time, jobs completed, lost (not completed) and run twice (started or completed more than once across
// the replicas' logs), with the jobs each replica ran.
//
//   npm run bench:replicas -- [--jobs 25] [--replicas 1,2] [--concurrency 1] [--budget 2] [--json]
const os = require('node:os');
const { ensureBuilt } = require('../../build/build.cjs');
const { startRedis } = require('../../redis/redis-server.cjs');
const { optionReader } = require('../bench-common.cjs');
const { startServer, stopServer } = require('./server-process.cjs');

const opts = optionReader();
const JOBS = Number(opts.get('jobs', '25'));
const SCENARIOS = opts.get('replicas', '1,2').split(',').map(Number);
const CONCURRENCY = opts.get('concurrency', '1');
const BUDGET = Number(opts.get('budget', '2'));
const TOKEN = 'bench-token';

/** A small module, different per job (its own branch constant), fully coverable within the budget. */
const moduleSource = (n) =>
  `def classify_${n}(x: int) -> str:\n    if x > ${n}:\n        return "big"\n    if x < -${n}:\n        return "small"\n    return "near"\n`;

const startReplica = (name, redisUrl) =>
  startServer(name, {
    REDIS_URL: redisUrl,
    TEST_AGENT_API_TOKENS: TOKEN,
    TEST_AGENT_WORKER_CONCURRENCY: CONCURRENCY,
    TEST_AGENT_MAX_QUEUED_JOBS: String(JOBS * 2),
  });

const headers = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };

async function scenario(count) {
  const redis = await startRedis();
  const replicas = [];
  try {
    for (let i = 0; i < count; i++) replicas.push(await startReplica(String.fromCharCode(97 + i), redis.url));
    const started = Date.now();
    const ids = [];
    for (let n = 0; n < JOBS; n++) {
      const replica = replicas[n % replicas.length];
      const res = await fetch(`http://${replica.address}/v1/generations`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          files: [{ path: `bench_${n}.py`, content: moduleSource(n) }],
          target: `bench_${n}.py`,
          options: { timeBudgetSeconds: BUDGET },
        }),
      });
      if (res.status !== 202) throw new Error(`POST answered ${res.status}: ${await res.text()}`);
      ids.push((await res.json()).id);
    }
    const states = new Map();
    for (let round = 0; states.size < ids.length; round++) {
      for (const [i, id] of ids.entries()) {
        if (states.has(id)) continue;
        const replica = replicas[(i + round) % replicas.length];
        const job = await (await fetch(`http://${replica.address}/v1/generations/${id}`, { headers })).json();
        if (['completed', 'failed', 'cancelled'].includes(job.state)) states.set(id, job);
      }
      if (Date.now() - started > 30 * 60_000) throw new Error('jobs still unfinished after 30 minutes');
      await new Promise((r) => setTimeout(r, 500));
    }
    const wallSeconds = (Date.now() - started) / 1000;
    const count_ = (message, id) =>
      replicas.reduce((n, r) => n + r.log.filter((l) => l.message === message && l.id === id).length, 0);
    const completed = [...states.values()].filter((j) => j.state === 'completed').length;
    const twice = ids.filter((id) => count_('Job started', id) > 1 || count_('Job completed', id) > 1).length;
    const perReplica = replicas.map(
      (r) => r.log.filter((l) => l.message === 'Job completed' && ids.includes(l.id)).length,
    );
    return {
      replicas: count,
      jobs: JOBS,
      completed,
      lost: JOBS - completed,
      runTwice: twice,
      wallSeconds,
      jobsPerMinute: (completed / wallSeconds) * 60,
      perReplica,
    };
  } finally {
    for (const replica of replicas) await stopServer(replica);
    await redis.stop();
  }
}

async function main() {
  await ensureBuilt();
  const results = [];
  for (const count of SCENARIOS) {
    process.stderr.write(`${count} replica(s): ${JOBS} jobs ...\n`);
    results.push(await scenario(count));
  }
  if (opts.has('json')) return void process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  const base = results.find((r) => r.replicas === 1);
  console.log(
    `\n${JOBS} offline jobs (budget ${BUDGET} s each), worker concurrency ${CONCURRENCY} per replica, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}\n`,
  );
  console.log('| replicas | completed | lost | run twice | wall time | jobs/min | speed-up | jobs per replica |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const r of results) {
    const speedup = base ? `${(base.wallSeconds / r.wallSeconds).toFixed(2)}x` : '—';
    console.log(
      `| ${r.replicas} | ${r.completed}/${r.jobs} | ${r.lost} | ${r.runTwice} | ${r.wallSeconds.toFixed(1)} s | ${r.jobsPerMinute.toFixed(1)} | ${speedup} | ${r.perReplica.join(' + ')} |`,
    );
  }
  if (results.some((r) => r.lost > 0 || r.runTwice > 0)) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e.stack ?? e);
  process.exit(1);
});
