#!/usr/bin/env node
// Offline engine benchmark (shared bench/README.md): for each standard-library module, copy it to a temp folder
// as m_<name>.py, run `bin/test-agent generate` on it with a fixed budget (wall time measured around the whole
// command), then measure the emitted tests independently with `coverage run --branch -m pytest` in a fresh
// venv, five runs in a row, and print the figures beside Pynguin's.
//
// The code under test runs in the fresh venv (`--python`), as in a user's project with pytest and coverage.
// Each module is generated twice: in the sandbox (bubblewrap, the default; these tests are the ones measured) and
// with --no-sandbox, so the table shows the sandbox's added wall time per module (skip with --no-unconfined).
//
// Usage: npm run bench:offline -- [--budget 30] [--runs 5] [--modules colorsys,textwrap] [--python /path/to/python]
//        [--keep] (keep the temp folder) [--json] [--no-unconfined] [--agent /path/to/test-agent/checkout]
//        [--mutation] (mutation testing of the emitted tests: the score per module and its mean)
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { freshVenv, measureRuns, mutationLines, optionReader } = require('../bench-common.cjs');

const root = path.resolve(__dirname, '../../..');
const PYNGUIN = {
  colorsys: { line: 100.0, branch: 98.0, combined: 99.4, tests: 22, wall: 84 },
  textwrap: { line: 79.6, branch: 63.2, combined: 74.4, tests: 28, wall: 66 },
  fnmatch: { line: 76.5, branch: 63.8, combined: 72.3, tests: 9, wall: 138 },
  shlex: { line: 60.0, branch: 51.9, combined: 56.9, tests: 22, wall: 150 },
  calendar: { line: 61.2, branch: 25.6, combined: 54.6, tests: 27, wall: 277 },
};

function args() {
  const { get, has } = optionReader();
  return {
    budget: Number(get('budget', '30')),
    runs: Number(get('runs', '5')),
    modules: get('modules', Object.keys(PYNGUIN).join(',')).split(','),
    python: get('python', undefined),
    agent: path.resolve(get('agent', root)),
    keep: has('keep'),
    unconfined: !has('no-unconfined'),
    json: has('json'),
    mutation: has('mutation'),
  };
}

function main() {
  const opts = args();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'test-agent-bench-'));
  const python = opts.python ?? freshVenv(tmp);
  const rows = [];
  for (const name of opts.modules) {
    const source = execFileSync('python3', ['-c', `import ${name}; print(${name}.__file__)`], {
      encoding: 'utf8',
    }).trim();
    const dir = path.join(tmp, name);
    const src = path.join(dir, 'src');
    const out = path.join(dir, 'tests');
    fs.mkdirSync(src, { recursive: true });
    const moduleFile = path.join(src, `m_${name}.py`);
    fs.copyFileSync(source, moduleFile);
    const generate = (flags, outDir, generateFlags = []) => {
      const started = Date.now();
      const run = spawnSync(
        path.join(opts.agent, 'bin', 'test-agent'),
        [
          '--json',
          '--log-level',
          'warn',
          '--python',
          python,
          ...flags,
          'generate',
          moduleFile,
          '--out',
          outDir,
          '--time-budget',
          String(opts.budget),
          '--seed',
          '1',
          ...generateFlags,
        ],
        {
          cwd: dir,
          encoding: 'utf8',
          maxBuffer: 64 * 1024 * 1024,
        },
      );
      return { run, wall: (Date.now() - started) / 1000 };
    };
    const { run: gen, wall } = generate([], out, opts.mutation ? ['--mutation'] : []);
    const unconfinedWall = opts.unconfined
      ? generate(['--no-sandbox'], path.join(dir, 'tests-unconfined')).wall
      : undefined;
    let report;
    try {
      report = JSON.parse(gen.stdout);
    } catch {
      process.stderr.write(`${name}: generate failed (exit ${gen.status}): ${gen.stderr.slice(-2000)}\n`);
      rows.push({ name, error: `exit ${gen.status}` });
      continue;
    }
    const runs = measureRuns(python, dir, out, moduleFile, opts.runs);
    const t = runs[runs.length - 1].totals;
    const testCount = report.modules[0]?.tests ?? 0;
    const allGreen = runs.every((r) => r.exit === 0 && r.failed === 0 && r.passed === testCount);
    const passedTotal = runs.reduce((a, r) => a + r.passed, 0);
    const ranTotal = runs.reduce((a, r) => a + r.passed + r.failed, 0);
    const row = {
      name,
      line: t.percent_statements_covered ?? (100 * t.covered_lines) / t.num_statements,
      branch: t.percent_branches_covered ?? (100 * t.covered_branches) / t.num_branches,
      combined: t.percent_covered,
      tests: testCount,
      passRate: ranTotal ? (100 * passedTotal) / ranTotal : 0,
      allGreen,
      wall,
      unconfinedWall,
      sandboxed: report.sandbox?.confined === true,
      reported: report.coverage.percent.combined,
      exit: gen.status,
      ...(opts.mutation ? { mutation: report.modules[0]?.mutation } : {}),
    };
    rows.push(row);
    process.stderr.write(
      `${name}: ${row.combined.toFixed(1)} % line+branch in ${wall.toFixed(1)} s (${opts.runs} runs ${allGreen ? 'all green' : 'NOT all green'})\n`,
    );
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ budgetSeconds: opts.budget, runs: opts.runs, rows }, null, 2)}\n`);
  } else {
    const f = (n) => (typeof n === 'number' ? n.toFixed(1) : '—');
    const lines = [
      `Offline engine, --time-budget ${opts.budget} s, measured with coverage run --branch -m pytest (${opts.runs} runs in a row, fresh venv)`,
      '',
      '| module | line % | branch % | line+branch % | Pynguin line+branch % | tests (Pynguin) | pass rate | 5 runs green | wall s (Pynguin) | wall s unconfined (sandbox adds) | reported = measured |',
      '|---|---|---|---|---|---|---|---|---|---|---|',
    ];
    for (const r of rows) {
      const p = PYNGUIN[r.name];
      if (r.error) {
        lines.push(`| ${r.name} | error: ${r.error} |`);
        continue;
      }
      lines.push(
        `| ${r.name} | ${f(r.line)} | ${f(r.branch)} | ${r.combined.toFixed(2)} | ${f(p?.combined)} | ${r.tests} (${p?.tests ?? '—'}) | ${f(r.passRate)} % | ${r.allGreen ? 'yes' : 'NO'} | ${f(r.wall)}${r.sandboxed ? '' : ' UNCONFINED'} (${p?.wall ?? '—'}) | ${r.unconfinedWall === undefined ? '—' : `${f(r.unconfinedWall)} (${r.wall - r.unconfinedWall >= 0 ? '+' : ''}${f(r.wall - r.unconfinedWall)})`} | ${Math.abs(r.reported - r.combined) < 0.05 ? 'yes' : `no (${f(r.reported)})`} |`,
      );
    }
    const ok = rows.filter((r) => !r.error);
    const mean = ok.reduce((a, r) => a + r.combined, 0) / Math.max(1, ok.length);
    lines.push(
      '',
      `Mean line+branch: ${mean.toFixed(1)} % (Pynguin ${(Object.values(PYNGUIN).reduce((a, p) => a + p.combined, 0) / 5).toFixed(1)} %)`,
    );
    if (opts.mutation) lines.push('', ...mutationLines(ok));
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  if (!opts.keep) fs.rmSync(tmp, { recursive: true, force: true });
  else process.stderr.write(`kept ${tmp}\n`);
}

main();
