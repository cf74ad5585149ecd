#!/usr/bin/env node
// Chunk previews under load (autocannon on loopback): --connections clients post one large real module (the
// interpreter's argparse.py, about 2,600 lines) to POST /v1/chunks for --seconds, while one more client polls
// /health; once per scenario of source threads (0 = on the event loop, the peer; then 1 and 2 worker threads).
// Prints chunk previews per second, their p99, /health's p99 and the speed-up over one thread.
//
//   npm run bench:load -- [--threads 0,1,2] [--connections 50] [--seconds 20] [--module FILE] [--json]
const { execFile, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const autocannon = require('autocannon');
const { ensureBuilt, root } = require('../../build/build.cjs');
const { optionReader } = require('../bench-common.cjs');
const { startServer, stopServer } = require('./server-process.cjs');

const opts = optionReader();
const SCENARIOS = opts.get('threads', '0,1,2').split(',').map(Number);
const CONNECTIONS = Number(opts.get('connections', '50'));
const SECONDS = Number(opts.get('seconds', '20'));
const TOKEN = 'bench-token';

function moduleFile() {
  const given = opts.get('module', undefined);
  if (given) return given;
  const python = process.env.TEST_AGENT_BASE_PYTHON ?? 'python3';
  return execFileSync(python, ['-c', 'import argparse; print(argparse.__file__)'], { encoding: 'utf8' }).trim();
}

const run = (options) =>
  new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
  });

/**
 * /health probed from a process of its own (its latencies are not the load generator's event loop's): 20 requests
 * a second, as a load balancer's checks would come, for the scenario's duration.
 */
function probeHealth(url) {
  const script = `require('autocannon')({ url: ${JSON.stringify(url)}, connections: 1, overallRate: 20, duration: ${SECONDS} },
    (e, r) => { if (e) { console.error(e.message); process.exit(1); } process.stdout.write(JSON.stringify(r)); });`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', script], { cwd: root, maxBuffer: 64 * 1024 * 1024 }, (error, stdout) =>
      error ? reject(error) : resolve(JSON.parse(stdout)),
    );
  });
}

async function scenario(threads, body) {
  const server = await startServer(`load-${threads}`, {
    TEST_AGENT_API_TOKENS: TOKEN,
    TEST_AGENT_SOURCE_THREADS: String(threads),
  });
  try {
    const url = `http://${server.address}`;
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };
    // Warm: the threads (or the event loop) have loaded tree-sitter and the tokenizer before the clock starts.
    for (let i = 0; i < Math.max(4, threads * 2); i++) {
      const res = await fetch(`${url}/v1/chunks`, { method: 'POST', headers, body });
      if (res.status !== 200) throw new Error(`POST /v1/chunks answered ${res.status}: ${await res.text()}`);
    }
    const [chunks, health] = await Promise.all([
      run({ url: `${url}/v1/chunks`, method: 'POST', headers, body, connections: CONNECTIONS, duration: SECONDS }),
      probeHealth(`${url}/health`),
    ]);
    // Timeouts: autocannon gave up on a request after 10 s (it waited in a queue that long); failed: an error answer.
    const failed = chunks.non2xx + chunks.errors - chunks.timeouts;
    return {
      threads,
      chunkRequests: chunks.requests.total,
      chunkPerSecond: chunks.requests.total / SECONDS,
      chunkP99Ms: chunks.latency.p99,
      failed,
      timeouts: chunks.timeouts,
      healthRequests: health.requests.total,
      healthP50Ms: health.latency.p50,
      healthP99Ms: health.latency.p99,
      healthMaxMs: health.latency.max,
    };
  } finally {
    await stopServer(server);
  }
}

async function main() {
  await ensureBuilt();
  const file = moduleFile();
  const source = fs.readFileSync(file, 'utf8');
  const body = JSON.stringify({ content: source });
  const results = [];
  for (const threads of SCENARIOS) {
    process.stderr.write(`${threads} source thread(s): ${CONNECTIONS} clients for ${SECONDS} s ...\n`);
    results.push(await scenario(threads, body));
  }
  if (opts.has('json')) return void process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  const one = results.find((r) => r.threads === 1);
  // /health may answer nothing in a whole scenario (the event loop busy with chunking throughout).
  const health = (r, ms) => (r.healthRequests > 0 ? `${ms} ms` : 'none answered');
  console.log(
    `\nPOST /v1/chunks of ${file} (${source.split('\n').length} lines), ${CONNECTIONS} clients, ${SECONDS} s per scenario, ` +
      `${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}\n`,
  );
  console.log(
    '| source threads | chunk previews/s | chunk p99 | failed | timed out (10 s) | /health answers | /health p99 | /health max | vs 1 thread |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const ratio = one ? `${(r.chunkPerSecond / one.chunkPerSecond).toFixed(2)}x` : '—';
    const name = r.threads === 0 ? '0 (event loop)' : String(r.threads);
    console.log(
      `| ${name} | ${r.chunkPerSecond.toFixed(1)} | ${r.chunkP99Ms} ms | ${r.failed} | ${r.timeouts} | ${r.healthRequests} | ${health(r, r.healthP99Ms)} | ${health(r, r.healthMaxMs)} | ${ratio} |`,
    );
  }
  if (results.some((r) => r.failed > 0)) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e.stack ?? e);
  process.exit(1);
});
