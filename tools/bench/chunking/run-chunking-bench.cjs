#!/usr/bin/env node
// Chunking benchmark (shared bench/README.md): argparse.py, ipaddress.py, difflib.py of the python3 on PATH and a
// ~20k-line concatenation of standard-library modules (made at run time in a temp folder), chunked side by side in
// one run by Test Agent (tree-sitter + tiktoken WASM + the TypeScript chunker) and by a Python `ast` reference
// chunker doing the same job (ast_chunker.py: parse, walk, count with the same cl100k_base ranks, pack).
// Prints a table of median times and the ratio (Python time / Test Agent time).
//
// Usage: npm run bench:chunking -- [--max-tokens 1000] [--repeat 7] [--python python3] [--json]
// The reference needs the `tiktoken` package: it is installed into tmp/bench-venv (pip, `--retries 0` unless
// BENCH_PIP_ARGS says otherwise).
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '../../..');
const CONCATENATED = ['argparse', 'ipaddress', 'difflib', 'inspect', 'typing', 'tarfile', 'subprocess', 'mailbox'];

function args() {
  const a = process.argv.slice(2);
  const get = (name, dflt) => {
    const i = a.indexOf(`--${name}`);
    return i >= 0 ? a[i + 1] : dflt;
  };
  return {
    maxTokens: Number(get('max-tokens', '1000')),
    repeat: Number(get('repeat', '7')),
    python: get('python', 'python3'),
    json: a.includes('--json'),
  };
}

function benchVenv(python) {
  const venv = path.join(root, 'tmp', 'bench-venv');
  const bin = path.join(venv, 'bin', 'python');
  const has = fs.existsSync(bin) && spawnSync(bin, ['-c', 'import tiktoken'], { stdio: 'ignore' }).status === 0;
  if (!has) {
    process.stderr.write(`creating ${venv} with tiktoken ...\n`);
    execFileSync(python, ['-m', 'venv', venv], { stdio: 'inherit' });
    const pipArgs = (process.env.BENCH_PIP_ARGS ?? '--retries 0').split(/\s+/).filter(Boolean);
    execFileSync(bin, ['-m', 'pip', 'install', '--quiet', ...pipArgs, 'tiktoken'], { stdio: 'inherit' });
  }
  return bin;
}

async function bundle(out) {
  const esbuild = require('esbuild');
  await esbuild.build({
    entryPoints: [path.join(__dirname, 'bench-chunking.ts')],
    outfile: out,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    logLevel: 'warning',
    plugins: [
      {
        name: 'workspace-libs',
        setup(build) {
          build.onResolve({ filter: /^@test-agent\// }, (a) => {
            const [, lib, sub] = a.path.match(/^@test-agent\/([^/]+)(?:\/(.+))?$/);
            return { path: path.join(root, 'libs', lib, 'src', `${sub ?? 'index'}.ts`) };
          });
        },
      },
    ],
  });
}

async function main() {
  const opts = args();
  const stdlib = execFileSync(opts.python, ['-c', 'import argparse, os; print(os.path.dirname(argparse.__file__))'], {
    encoding: 'utf8',
  }).trim();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ta-bench-chunking-'));
  try {
    const big = path.join(work, 'concatenated_stdlib.py');
    fs.writeFileSync(big, CONCATENATED.map((m) => fs.readFileSync(path.join(stdlib, `${m}.py`), 'utf8')).join(''));
    const files = ['argparse', 'ipaddress', 'difflib'].map((m) => path.join(stdlib, `${m}.py`)).concat(big);
    const python = benchVenv(opts.python);
    // The bundle lives beside node_modules' resolution root so `tree-sitter` and `@dqbd/tiktoken` resolve.
    const bundled = path.join(root, 'tmp', 'bench-chunking.js');
    fs.mkdirSync(path.dirname(bundled), { recursive: true });
    await bundle(bundled);
    const ts = execFileSync(process.execPath, [bundled, String(opts.maxTokens), String(opts.repeat), ...files], {
      encoding: 'utf8',
      cwd: root,
    })
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const encoder = path.join(root, 'node_modules', '@dqbd', 'tiktoken', 'encoders', 'cl100k_base.json');
    const rows = ts.map((t) => {
      const py = JSON.parse(
        execFileSync(
          python,
          [
            path.join(__dirname, 'ast_chunker.py'),
            t.file,
            '--encoder',
            encoder,
            '--max-tokens',
            String(opts.maxTokens),
            '--repeat',
            String(opts.repeat),
          ],
          { encoding: 'utf8' },
        ),
      );
      return {
        file: path.basename(t.file),
        lines: t.lines,
        tokens: t.tokens,
        ts: t,
        py,
        ratio: py.median_ms.total / t.totalMs,
      };
    });
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ maxTokens: opts.maxTokens, repeat: opts.repeat, rows }, null, 2)}\n`);
      return;
    }
    const ms = (v) => v.toFixed(1).padStart(7);
    const out = [
      `Chunking benchmark: budget ${opts.maxTokens} tokens, cl100k_base, median of ${opts.repeat} runs (cold token caches), ${os.cpus().length} CPU(s), Node ${process.versions.node}`,
      '',
      'file                        lines   tokens | Test Agent (tree-sitter + tiktoken WASM)   | Python ast + tiktoken (reference)                | ratio',
      '                                           | chunks  parse  count+pack    total ms    | chunks  parse    walk   count    pack  total ms  | py/ts',
    ];
    for (const r of rows) {
      out.push(
        `${r.file.padEnd(26)} ${String(r.lines).padStart(6)} ${String(r.tokens).padStart(8)} | ${String(r.ts.chunks).padStart(6)} ${ms(r.ts.parseMs)} ${ms(r.ts.countPackMs)}     ${ms(r.ts.totalMs)}    | ` +
          `${String(r.py.chunks).padStart(6)} ${ms(r.py.median_ms.parse)} ${ms(r.py.median_ms.walk)} ${ms(r.py.median_ms.count)} ${ms(r.py.median_ms.pack)}   ${ms(r.py.median_ms.total)}  | ${r.ratio.toFixed(2)}x`,
      );
    }
    out.push(
      '',
      'Test Agent "parse" is tree-sitter parse + outline (imports, definitions, names used); "count+pack" is token counting and packing.',
    );
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`${e.stack ?? e}\n`);
  process.exit(1);
});
