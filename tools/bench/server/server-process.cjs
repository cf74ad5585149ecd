// Starts the built server (dist/apps/server/main.js) as its own process in a private temp folder, for the server
// benchmarks: resolves once it logged "Listening", with its address and every JSON log line it wrote.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { root } = require('../../build/build.cjs');

/** `env` is added to a clean server environment (no LLM, JSON logs, an ephemeral loopback port). */
function startServer(name, env) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `ta-bench-${name}-`));
  const child = spawn(process.execPath, [path.join(root, 'dist/apps/server/main.js')], {
    cwd: tmp,
    env: {
      ...process.env,
      TMPDIR: tmp,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'info',
      LLM_PROVIDER: '',
      LLM_URL: '',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const log = [];
  return new Promise((resolve, reject) => {
    let buffer = '';
    child.stderr.on('data', (chunk) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop();
      for (const line of lines) {
        let entry;
        try {
          entry = JSON.parse(line);
        } catch {
          continue;
        }
        log.push(entry);
        if (entry.message === 'Listening') resolve({ name, child, tmp, log, address: entry.address });
      }
    });
    child.on('exit', (code) =>
      reject(new Error(`server ${name} exited early (${code}): ${JSON.stringify(log.slice(-3))}`)),
    );
  });
}

/** SIGTERM (the server drains and exits), then its temp folder goes. */
async function stopServer(server) {
  if (server.child.exitCode === null && server.child.signalCode === null) {
    const exited = new Promise((r) => server.child.once('exit', r));
    server.child.kill('SIGTERM');
    await exited;
  }
  fs.rmSync(server.tmp, { recursive: true, force: true });
}

module.exports = { startServer, stopServer };
