#!/usr/bin/env node
// Offline engine on a development set of standard-library modules, none of the five benchmark modules (issue 14:
// the engine is developed on these, so that it cannot be fitted to the benchmark). Two sets:
// - `dev` (the default): 17 modules from 11 areas of the standard library (text, markup, email, internet data,
//   binary encodings, numbers, file formats, command line, data structures, internationalisation);
// - `regex`: five modules that parse text with regular expressions, the figures pattern-derived strings are judged on.
// Like run-offline-bench.cjs: each module is copied to a temp folder as m_<name>.py (a relative import
// `from ._x import` becomes `from <package>._x import`, `from . import x` `from <package> import x`, so the copy
// imports on its own), generated with a fixed budget and seed (wall time measured around the whole command), then
// the emitted tests are measured independently with `coverage run --branch -m pytest` in a fresh venv, several runs
// in a row, then once plainly on each of three other machines (bench-common's PERTURBATIONS: time zone, locale,
// proxies, user, hash seed, the clock a day on, another cwd): a test that asserts on the machine fails there. After
// the table, why the rest is not covered: the reports' reasons (`uncovered`) summed by kind.
//
// Usage: npm run bench:devset -- [--set dev|regex] [--budget 30] [--runs 3] [--modules tomllib/_re.py,...]
//        [--python /path/to/python] [--agent /path/to/test-agent/checkout] [--keep] [--json]
//        [--mutation] (mutation testing of the emitted tests, as in run-offline-bench.cjs: a second table)
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const {
  PERTURBATIONS,
  failuresOn,
  freshVenv,
  measureRuns,
  mutationLines,
  optionReader,
} = require('../bench-common.cjs');

/** Module paths relative to the standard library, by set; the area each comes from in the comment. */
const SETS = {
  dev: [
    'string.py', // text
    'html/__init__.py', // markup
    'xml/sax/saxutils.py', // markup
    'email/_parseaddr.py', // email
    'email/_encoded_words.py', // email
    'http/cookies.py', // internet data
    'urllib/robotparser.py', // internet data
    'wsgiref/headers.py', // internet data
    'base64.py', // binary encodings
    'quopri.py', // binary encodings
    'encodings/punycode.py', // binary encodings
    'fractions.py', // numbers
    'tomllib/_re.py', // file formats
    'tomllib/_parser.py', // file formats
    'getopt.py', // command line
    'graphlib.py', // data structures
    'gettext.py', // internationalisation
  ],
  regex: ['tomllib/_re.py', 'http/cookies.py', 'email/_encoded_words.py', 'html/__init__.py', 'email/_parseaddr.py'],
};

function args() {
  const { get, has } = optionReader();
  const set = get('set', 'dev');
  if (!SETS[set]) throw new Error(`--set ${set}: expected one of ${Object.keys(SETS).join(', ')}`);
  return {
    set,
    budget: Number(get('budget', '30')),
    runs: Number(get('runs', '3')),
    modules: get('modules', SETS[set].join(',')).split(','),
    python: get('python', undefined),
    agent: path.resolve(get('agent', path.resolve(__dirname, '../../..'))),
    keep: has('keep'),
    json: has('json'),
    mutation: has('mutation'),
  };
}

/** `m_<package>_<name>` for `package/name.py`, `m_<package>` for `package/__init__.py`. */
function moduleName(rel) {
  const parts = rel
    .replace(/\.py$/, '')
    .split('/')
    .filter((p) => p !== '__init__');
  return `m_${parts
    .join('_')
    .replace(/^_+|_+$/g, '')
    .replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/** The mean of each figure over the modules that generated. */
function means(rows) {
  const ok = rows.filter((r) => !r.error);
  const mean = (key) => ok.reduce((a, r) => a + r[key], 0) / Math.max(1, ok.length);
  return {
    modules: ok.length,
    line: mean('line'),
    branch: mean('branch'),
    combined: mean('combined'),
    tests: mean('tests'),
    wall: mean('wall'),
  };
}

function table(opts, rows, load) {
  const f = (n) => (typeof n === 'number' ? n.toFixed(1) : '—');
  const m = means(rows);
  return [
    `Offline engine on the development set '${opts.set}', --time-budget ${opts.budget} s, ${opts.runs} runs in a row (agent: ${opts.agent}; ${load})`,
    '',
    '| module | line % | branch % | line+branch % | tests | runs green | fail on (1) / (2) / (3) | wall s |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map((r) =>
      r.error
        ? `| ${r.name} | error: ${r.error} |`
        : `| ${r.name} | ${f(r.line)} | ${f(r.branch)} | ${r.combined.toFixed(2)} | ${r.tests} | ${r.allGreen ? 'yes' : 'NO'} | ${r.otherMachines.join(' / ')} | ${f(r.wall)} |`,
    ),
    `| mean of ${m.modules} | ${f(m.line)} | ${f(m.branch)} | ${m.combined.toFixed(2)} | ${f(m.tests)} | ${rows.every((r) => r.allGreen) ? 'all' : 'not all'} | ${rows.some((r) => r.otherMachines?.some((n) => n > 0)) ? 'some fail' : 'none fail'} | ${f(m.wall)} |`,
    '',
    `Other machines (plain pytest, once each): ${PERTURBATIONS.map((p, i) => `(${i + 1}) ${p.name}`).join('; ')}.`,
  ];
}

/**
 * Why the lines and branches left uncovered are not covered, summed over the modules from their JSON reports'
 * `uncovered` groups (kind → lines, branches, modules it appears in), most lines first.
 */
function reasons(rows) {
  const byKind = new Map();
  for (const r of rows) {
    for (const g of r.uncovered ?? []) {
      const k = byKind.get(g.kind) ?? { kind: g.kind, lines: 0, branches: 0, modules: new Set() };
      k.lines += g.lines.length;
      k.branches += g.branches.length;
      k.modules.add(r.name);
      byKind.set(g.kind, k);
    }
  }
  return [...byKind.values()]
    .sort((a, b) => b.lines - a.lines || b.branches - a.branches || a.kind.localeCompare(b.kind))
    .map((k) => ({ kind: k.kind, lines: k.lines, branches: k.branches, modules: k.modules.size }));
}

function reasonsTable(rows) {
  const kinds = reasons(rows);
  const sum = (key) => kinds.reduce((n, k) => n + k[key], 0);
  return [
    '',
    `Why not covered, over the ${rows.filter((r) => !r.error).length} modules (the reports' \`uncovered\`):`,
    '',
    '| reason | lines | branches | modules |',
    '|---|---|---|---|',
    ...kinds.map((k) => `| ${k.kind} | ${k.lines} | ${k.branches} | ${k.modules} |`),
    `| all | ${sum('lines')} | ${sum('branches')} | |`,
  ];
}

function main() {
  const opts = args();
  const loadAtStart = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const stdlib = execFileSync('python3', ['-c', 'import sysconfig; print(sysconfig.get_paths()["stdlib"])'], {
    encoding: 'utf8',
  }).trim();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'test-agent-devset-bench-'));
  const python = opts.python ?? freshVenv(tmp);
  const rows = [];
  for (const rel of opts.modules) {
    const name = moduleName(rel);
    const dir = path.join(tmp, name);
    const src = path.join(dir, 'src');
    const out = path.join(dir, 'tests');
    fs.mkdirSync(src, { recursive: true });
    const moduleFile = path.join(src, `${name}.py`);
    const pkg = path.dirname(rel).replace(/\//g, '.');
    const text = fs
      .readFileSync(path.join(stdlib, rel), 'utf8')
      .replace(/^from \.(\w)/gm, `from ${pkg}.$1`)
      .replace(/^from \. import /gm, `from ${pkg} import `);
    fs.writeFileSync(moduleFile, text);
    const started = Date.now();
    const gen = spawnSync(
      path.join(opts.agent, 'bin', 'test-agent'),
      [
        '--json',
        '--log-level',
        'warn',
        '--python',
        python,
        'generate',
        moduleFile,
        '--out',
        out,
        '--time-budget',
        String(opts.budget),
        '--seed',
        '1',
        ...(opts.mutation ? ['--mutation'] : []),
      ],
      { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    const wall = (Date.now() - started) / 1000;
    let report;
    try {
      report = JSON.parse(gen.stdout);
    } catch {
      process.stderr.write(`${rel}: generate failed (exit ${gen.status}): ${gen.stderr.slice(-2000)}\n`);
      rows.push({ name: rel, error: `exit ${gen.status}` });
      continue;
    }
    let runs;
    let otherMachines;
    try {
      runs = measureRuns(python, dir, out, moduleFile, opts.runs);
      otherMachines = PERTURBATIONS.map((p) => failuresOn(python, dir, out, moduleFile, p));
    } catch (e) {
      process.stderr.write(`${rel}: ${e.message}\n`);
      rows.push({ name: rel, error: e.message.split('\n')[0] });
      continue;
    }
    const t = runs[runs.length - 1].totals;
    const tests = report.modules[0]?.tests ?? 0;
    const row = {
      name: rel,
      uncovered: report.modules[0]?.uncovered ?? [],
      line: t.percent_statements_covered ?? (100 * t.covered_lines) / t.num_statements,
      branch: t.percent_branches_covered ?? (100 * t.covered_branches) / Math.max(1, t.num_branches),
      combined: t.percent_covered,
      tests,
      allGreen: runs.every((r) => r.exit === 0 && r.failed === 0 && r.passed === tests),
      otherMachines,
      wall,
      ...(opts.mutation ? { mutation: report.modules[0]?.mutation } : {}),
    };
    rows.push(row);
    process.stderr.write(`${rel}: ${row.combined.toFixed(1)} % line+branch in ${wall.toFixed(1)} s\n`);
  }
  const load = `load average ${loadAtStart} at the start, ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} at the end`;
  if (opts.json)
    process.stdout.write(
      `${JSON.stringify({ set: opts.set, budgetSeconds: opts.budget, runs: opts.runs, agent: opts.agent, load, rows, mean: means(rows), reasons: reasons(rows) }, null, 2)}\n`,
    );
  else {
    const lines = [...table(opts, rows, load), ...reasonsTable(rows)];
    if (opts.mutation) lines.push('', ...mutationLines(rows.filter((r) => !r.error)));
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  if (!opts.keep) fs.rmSync(tmp, { recursive: true, force: true });
  else process.stderr.write(`kept ${tmp}\n`);
}

main();
