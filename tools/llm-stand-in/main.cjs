#!/usr/bin/env node
'use strict';
// Runs the LLM stand-in (tests and demos only) as a process:
//   node tools/llm-stand-in/main.cjs [--port 0] [--host 127.0.0.1] [--script file.json] [--cassette file.jsonl]
//                                    [--tls-cert cert.pem --tls-key key.pem] [--log]
// Prints one JSON line {"url": "...", "port": N} on stdout once listening; SIGTERM/SIGINT stop it.
const fs = require('node:fs');
const { startStandIn } = require('./stand-in-server.cjs');

function parseArgs(argv) {
  const out = { port: 0, host: '127.0.0.1', log: false };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const next = () => {
      const value = argv[(i += 1)];
      if (value === undefined) throw new Error(`${arg} needs a value`);
      return value;
    };
    if (arg === '--port') out.port = Number(next());
    else if (arg === '--host') out.host = next();
    else if (arg === '--script') out.script = next();
    else if (arg === '--cassette') out.cassette = next();
    else if (arg === '--tls-cert') out.tlsCert = next();
    else if (arg === '--tls-key') out.tlsKey = next();
    else if (arg === '--log') out.log = true;
    else if (arg === '--help' || arg === '-h') out.help = true;
    else throw new Error(`unknown argument ${arg}`);
  }
  if (!Number.isInteger(out.port) || out.port < 0 || out.port > 65535) throw new Error('--port must be 0..65535');
  if (Boolean(out.tlsCert) !== Boolean(out.tlsKey)) throw new Error('--tls-cert and --tls-key go together');
  return out;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(
      'usage: node tools/llm-stand-in/main.cjs [--port N] [--host H] [--script file.json] [--cassette file.jsonl] [--tls-cert pem --tls-key pem] [--log]\n',
    );
    return;
  }
  const script = args.script ? JSON.parse(fs.readFileSync(args.script, 'utf8')) : {};
  const tls = args.tlsCert ? { cert: fs.readFileSync(args.tlsCert), key: fs.readFileSync(args.tlsKey) } : undefined;
  const standIn = await startStandIn(script, { port: args.port, host: args.host, tls, cassetteFile: args.cassette });
  if (args.log) {
    const original = standIn.handle.bind(standIn);
    standIn.handle = (req, res) => {
      res.on('finish', () =>
        process.stderr.write(`${new Date().toISOString()} ${req.method} ${req.url} -> ${res.statusCode}\n`),
      );
      return original(req, res);
    };
  }
  process.stdout.write(`${JSON.stringify({ url: standIn.url, port: standIn.port })}\n`);
  const stop = () => standIn.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e) => {
  process.stderr.write(`llm-stand-in: ${e.message}\n`);
  process.exit(2);
});
