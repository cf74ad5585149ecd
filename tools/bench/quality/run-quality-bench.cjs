#!/usr/bin/env node
// Suite quality benchmark (issue 15): would a developer keep the offline tests? For each module of the development
// set, copied to a temp folder as m_<name>.py, run `bin/test-agent generate` (offline, fixed budget, wall time and
// peak RSS measured around the whole command), then read the emitted file (tools/bench/quality/suite_quality.py)
// and run it the way another machine would:
//  - tests, % without any check (assert, pytest.raises, strict xfail), % pinning the interpreter's TypeError or
//    AttributeError, % through private names, the longest literal, names that claim what the body does not show;
//  - failures under perturbed machines the generator never saw: TZ=Asia/Tokyo + LANG=C + proxies + another USER;
//    TZ=America/Los_Angeles + another hash seed + the clock a day on (libfaketime, where installed); another cwd;
//  - line+branch with the module's own doctest examples and without them (`-k "not doctest_examples"`), beside
//    Pynguin's figures for the five benchmark modules;
//  - wall time / budget and peak RSS (GNU time's maximum resident set size: the largest process of the run).
//
// Usage: npm run bench:quality -- [--budget 30] [--modules colorsys,html] [--python /path/to/python] [--keep] [--json]
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { freshVenv, optionReader, PERTURBATIONS, pytestCounts } = require('../bench-common.cjs');

const root = path.resolve(__dirname, '../../..');
const PYNGUIN = { colorsys: 99.4, textwrap: 74.4, fnmatch: 72.3, shlex: 56.9, calendar: 54.6 };
const DEV_SET = ['colorsys', 'textwrap', 'fnmatch', 'shlex', 'calendar', 'html', 'http.cookies', 'email._parseaddr'];
function args() {
  const { get, has } = optionReader();
  return {
    budget: Number(get('budget', '30')),
    modules: get('modules', DEV_SET.join(',')).split(','),
    python: get('python', undefined),
    keep: has('keep'),
    json: has('json'),
  };
}

/** Runs the tests under coverage; returns pass/fail counts and line+branch. */
function pytestRun(python, workDir, outDir, moduleFile, { env = {}, cwd = workDir, deselect } = {}) {
  const dataFile = path.join(workDir, `.coverage.${Math.random().toString(36).slice(2)}`);
  const full = {
    ...process.env,
    ...env,
    COVERAGE_FILE: dataFile,
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONPATH: path.dirname(moduleFile),
  };
  const run = spawnSync(
    python,
    [
      '-m',
      'coverage',
      'run',
      '--branch',
      `--include=${moduleFile}`,
      '-m',
      'pytest',
      '-q',
      '-p',
      'no:cacheprovider',
      ...(deselect ? ['-k', deselect] : []),
      outDir,
    ],
    { cwd, env: full, encoding: 'utf8' },
  );
  const json = spawnSync(python, ['-m', 'coverage', 'json', '-q', '-o', '-'], {
    cwd: workDir,
    env: full,
    encoding: 'utf8',
  });
  let combined;
  try {
    combined = JSON.parse(json.stdout).totals.percent_covered;
  } catch {
    combined = 0;
  }
  fs.rmSync(dataFile, { force: true });
  const { passed, failed } = pytestCounts(run.stdout);
  return { passed, failed, combined };
}

function main() {
  const opts = args();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'test-agent-quality-'));
  const python = opts.python ?? freshVenv(tmp);
  const rows = [];
  for (const name of opts.modules) {
    const source = execFileSync('python3', ['-c', `import ${name}; print(${name}.__file__)`], {
      encoding: 'utf8',
    }).trim();
    const short = name.replace(/\./g, '_');
    const dir = path.join(tmp, short);
    const src = path.join(dir, 'src');
    const out = path.join(dir, 'tests');
    fs.mkdirSync(src, { recursive: true });
    const moduleFile = path.join(src, `m_${short}.py`);
    fs.copyFileSync(source, moduleFile);
    const rssFile = path.join(dir, 'rss');
    const started = Date.now();
    const gen = spawnSync(
      '/usr/bin/time',
      [
        '-f',
        '%M',
        '-o',
        rssFile,
        path.join(root, 'bin', 'test-agent'),
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
        '--strategy',
        'offline',
      ],
      {
        cwd: dir,
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const wall = (Date.now() - started) / 1000;
    let report;
    try {
      report = JSON.parse(gen.stdout);
    } catch {
      process.stderr.write(`${name}: generate failed (exit ${gen.status}): ${(gen.stderr ?? '').slice(-2000)}\n`);
      rows.push({ name, error: `exit ${gen.status}` });
      continue;
    }
    const testFile = report.modules[0]?.testFile;
    const quality = testFile
      ? JSON.parse(execFileSync(python, [path.join(__dirname, 'suite_quality.py'), testFile], { encoding: 'utf8' }))
      : { tests: 0 };
    const plain = pytestRun(python, dir, out, moduleFile);
    const noDoctests = pytestRun(python, dir, out, moduleFile, { deselect: 'not doctest_examples' });
    const perturbed = PERTURBATIONS.map(
      (p) => pytestRun(python, dir, out, moduleFile, { env: p.env, cwd: p.cwd }).failed,
    );
    const rssKb = Number(fs.readFileSync(rssFile, 'utf8').trim().split('\n').pop());
    const m = report.modules[0] ?? {};
    const row = {
      name,
      ...quality,
      failedHere: plain.failed,
      perturbedFailures: perturbed,
      combined: plain.combined,
      withoutDoctests: noDoctests.combined,
      suspectedDefects: (m.suspectedDefects ?? []).length,
      droppedOtherMachine: m.dropped?.machine ?? 0,
      wall,
      wallPerBudget: wall / opts.budget,
      peakRssMb: rssKb / 1024,
    };
    rows.push(row);
    for (const lie of row.nameLieTests ?? [])
      process.stderr.write(`${name}: name claims more than the test shows: ${lie}\n`);
    process.stderr.write(
      `${name}: ${row.tests} tests, ${row.combined.toFixed(1)} % (${row.withoutDoctests.toFixed(1)} % without doctests), ${wall.toFixed(1)} s\n`,
    );
  }
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({ budgetSeconds: opts.budget, perturbations: PERTURBATIONS.map((p) => p.name), rows }, null, 2)}\n`,
    );
  } else {
    const pct = (n, d) => (d ? `${((100 * n) / d).toFixed(0)} %` : '—');
    const f = (n) => (typeof n === 'number' ? n.toFixed(1) : '—');
    const lines = [
      `Suite quality, offline engine, --time-budget ${opts.budget} s. Perturbed runs: ${PERTURBATIONS.map((p, i) => `(${i + 1}) ${p.name}`).join('; ')}.`,
      '',
      '| module | tests | no check | pins TypeError/AttributeError | private names | longest literal | names that lie | fails here / (1) / (2) / (3) | line+branch % | without doctests % | Pynguin % | suspected defects | dropped: other machine | wall / budget | peak RSS MB |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ];
    for (const r of rows) {
      if (r.error) {
        lines.push(`| ${r.name} | error: ${r.error} |`);
        continue;
      }
      lines.push(
        `| ${r.name} | ${r.tests} | ${pct(r.withoutCheck, r.tests)} | ${pct(r.pinsInterpreterError, r.tests)} | ${pct(r.private, r.tests)} | ${r.longestLiteral} | ${r.nameLies ?? 0} | ${r.failedHere} / ${r.perturbedFailures.join(' / ')} | ${f(r.combined)} | ${f(r.withoutDoctests)} | ${f(PYNGUIN[r.name])} | ${r.suspectedDefects} | ${r.droppedOtherMachine} | ${r.wallPerBudget.toFixed(2)} | ${r.peakRssMb.toFixed(0)} |`,
      );
    }
    const ok = rows.filter((r) => !r.error);
    const bench = ok.filter((r) => PYNGUIN[r.name] !== undefined);
    const mean = (xs) => xs.reduce((a, x) => a + x, 0) / Math.max(1, xs.length);
    lines.push(
      '',
      `Five benchmark modules without doctest wrappers: mean ${mean(bench.map((r) => r.withoutDoctests)).toFixed(1)} % line+branch (Pynguin ${mean(bench.map((r) => PYNGUIN[r.name])).toFixed(1)} %); with them ${mean(bench.map((r) => r.combined)).toFixed(1)} %.`,
    );
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  if (!opts.keep) fs.rmSync(tmp, { recursive: true, force: true });
  else process.stderr.write(`kept ${tmp}\n`);
}

main();
