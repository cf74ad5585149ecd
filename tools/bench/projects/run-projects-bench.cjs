#!/usr/bin/env node
// Benchmark on real packages with dependencies. For each package: `pip download --no-deps` its pinned wheel (or
// sdist), copy the importable package folder to <project>/src/<pkg>/ beside a minimal pyproject.toml, and create
// <project>/.venv holding only the package's runtime dependencies (the package itself is NOT installed: its source
// in src/ is the only copy, so `import <pkg>` from src/ is unambiguous). Then:
//  1. every module of the package (not __main__, tests or empty __init__.py) is imported with the venv's Python from
//     src/, as the user would: ok or failed;
//  2. `bin/test-agent generate src/<pkg> --python .venv/bin/python --time-budget B --jobs 1` and again with --jobs 2
//     into a second out folder, wall time measured around each whole command; exit 0 or 10 (target not met) is a
//     normal end, anything else is a real error;
//  3. each report is read (<out>/test-agent-report.json). A module counts as imported for Test Agent unless its row
//     has an import error (IMPORT_ERRORS). The honest total counts a module without figures in the report (0/0,
//     e.g. it failed to import) with its own statements and branches, 0 covered (counted with coverage.py's parser);
//     the report's own total is printed beside it.
// The 5-minute load average at the end of each run is printed beside the wall times: about 1 and 2 on a quiet
// machine; higher means other work shared the 2 cores and the speed-up is understated.
// Exits 1 when a module imports for the user but not for Test Agent, a generate run failed, or the mean speed-up
// (wall --jobs 1 / wall --jobs 2) is below --min-speedup.
//
// The default budget is 5 s per module (not 10): the five packages have ~100 modules and each costs ~10 s on top of its
// budget (worker start, 5 runs of the kept tests), so at 10 s a full run on 2 cores would take ~45 minutes (estimated
// from packaging's 22 modules at 5 s: 327 s with --jobs 1, 160 s with --jobs 2).
//
// Usage: npm run bench:projects -- [--packages jinja2,click] [--budget 5] [--min-speedup 1.6]
//        [--keep] (keep the temp folder) [--json]
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { optionReader } = require('../bench-common.cjs');

const root = path.resolve(__dirname, '../../..');
const CLI = path.join(root, 'bin', 'test-agent');
/** Pinned to the versions of the local pip mirror. `pkg` is the importable folder inside the distribution. */
const PACKAGES = {
  jinja2: { dist: 'jinja2==3.1.6', pkg: 'jinja2', deps: ['markupsafe==3.0.3'] },
  'python-dateutil': { dist: 'python-dateutil==2.9.0.post0', pkg: 'dateutil', deps: ['six==1.17.0'] },
  requests: {
    dist: 'requests==2.34.2',
    pkg: 'requests',
    deps: ['urllib3==2.8.0', 'idna==3.20', 'charset-normalizer==3.5.2', 'certifi==2026.7.22'],
  },
  click: { dist: 'click==8.5.0', pkg: 'click', deps: [] },
  packaging: { dist: 'packaging==26.3', pkg: 'packaging', deps: [] },
};
/** Report error codes meaning Test Agent could not import the module as the user does. */
const IMPORT_ERRORS = new Set([
  'TA_IMPORT_FAILED',
  'TA_MODULE_SHADOWS_STDLIB',
  'TA_MODULE_SHADOWS_DEPENDENCY',
  'TA_AMBIGUOUS_MODULE',
]);
/** CLI exit codes of a run that ended normally: 0 target met, 10 tests written but the target not reached. */
const NORMAL_EXITS = new Set([0, 10]);
const PIP = ['-m', 'pip', '--disable-pip-version-check', '--retries', '0'];

function args() {
  const { get, has } = optionReader();
  const packages = get('packages', Object.keys(PACKAGES).join(',')).split(',').filter(Boolean);
  const unknown = packages.filter((p) => !PACKAGES[p]);
  if (unknown.length) {
    process.stderr.write(`unknown package(s) ${unknown.join(', ')}: choose from ${Object.keys(PACKAGES).join(', ')}\n`);
    process.exit(2);
  }
  return {
    packages,
    budget: Number(get('budget', '5')),
    minSpeedup: Number(get('min-speedup', '1.6')),
    keep: has('keep'),
    json: has('json'),
  };
}

const log = (text) => process.stderr.write(`${text}\n`);
const run = (cmd, argv, opts = {}) =>
  execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });

/** <dir>/src/<pkg> from the downloaded wheel or sdist, a pyproject.toml, and <dir>/.venv with the dependencies. */
function makeProject(name, spec, dir) {
  const dl = path.join(dir, 'download');
  run('python3', [...PIP, 'download', '--no-deps', '-q', '-d', dl, spec.dist]);
  const archive = path.join(dl, fs.readdirSync(dl)[0]);
  const unpacked = path.join(dir, 'unpacked');
  if (archive.endsWith('.whl')) run('python3', ['-m', 'zipfile', '-e', archive, unpacked]);
  else {
    fs.mkdirSync(unpacked);
    run('tar', ['xzf', archive, '-C', unpacked]);
  }
  const top = fs.readdirSync(unpacked).map((d) => path.join(unpacked, d));
  const candidates = [
    path.join(unpacked, spec.pkg),
    ...top.flatMap((d) => [path.join(d, 'src', spec.pkg), path.join(d, spec.pkg)]),
  ];
  const found = candidates.find((c) => fs.existsSync(path.join(c, '__init__.py')));
  if (!found) throw new Error(`${name}: no ${spec.pkg}/__init__.py in ${path.basename(archive)}`);
  const pkgDir = path.join(dir, 'src', spec.pkg);
  fs.cpSync(found, pkgDir, { recursive: true });
  const deps = spec.deps.map((d) => `"${d}"`).join(', ');
  fs.writeFileSync(
    path.join(dir, 'pyproject.toml'),
    `[project]\nname = "bench-${name}"\nversion = "0"\ndependencies = [${deps}]\n`,
  );
  run('python3', ['-m', 'venv', path.join(dir, '.venv')]);
  const python = path.join(dir, '.venv', 'bin', 'python');
  if (spec.deps.length) run(python, [...PIP, 'install', '-q', ...spec.deps]);
  return { pkgDir, python, archive: path.basename(archive) };
}

/** The package's modules as the user imports them: { name, file }, sorted by file. */
function listModules(pkgDir, pkg) {
  const found = [];
  const walk = (dir, parts) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== '__pycache__' && e.name !== 'tests' && fs.existsSync(path.join(full, '__init__.py')))
          walk(full, [...parts, e.name]);
        continue;
      }
      if (
        !e.name.endsWith('.py') ||
        e.name === '__main__.py' ||
        e.name === 'conftest.py' ||
        /^test_|_test\.py$/.test(e.name)
      )
        continue;
      if (e.name === '__init__.py' && fs.statSync(full).size === 0) continue; // nothing to test (Test Agent skips them too)
      const name = e.name === '__init__.py' ? parts.join('.') : [...parts, e.name.slice(0, -3)].join('.');
      found.push({ name, file: fs.realpathSync(full) });
    }
  };
  walk(pkgDir, [pkg]);
  return found;
}

/** `python -c "import <name>"` from the import root, the way the user's code does it. */
function userImport(python, importRoot, name) {
  const env = { ...process.env };
  delete env.PYTHONPATH;
  const r = spawnSync(python, ['-c', `import ${name}`], { cwd: importRoot, env, encoding: 'utf8', timeout: 60_000 });
  const last = (r.stderr || '').trim().split('\n').pop() || (r.error ? r.error.message : '');
  return { ok: r.status === 0, error: r.status === 0 ? undefined : last };
}

/** Statements and branches per file, counted by coverage.py's parser (Test Agent's venv has coverage). */
function staticCounts(files) {
  const python = path.join(root, '.venv', 'bin', 'python');
  const code = [
    'import json, sys, coverage',
    'from coverage.python import PythonFileReporter',
    'cov = coverage.Coverage(branch=True, data_file=None); cov._init()',
    'out = {}',
    'for f in json.load(sys.stdin):',
    '    fr = PythonFileReporter(f, coverage=cov); st = fr.lines(); ec = fr.exit_counts()',
    '    out[f] = [len(st), sum(c for l, c in ec.items() if c > 1 and l in st)]',
    'print(json.dumps(out))',
  ].join('\n');
  return JSON.parse(run(python, ['-c', code], { input: JSON.stringify(files), stdio: ['pipe', 'pipe', 'pipe'] }));
}

function generate(project, pkgDir, python, out, jobs, budget) {
  const argv = [
    'generate',
    pkgDir,
    '--out',
    out,
    '--python',
    python,
    '--time-budget',
    String(budget),
    '--jobs',
    String(jobs),
  ];
  const started = Date.now();
  const r = spawnSync(CLI, argv, { cwd: project, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const wall = (Date.now() - started) / 1000;
  const load = os.loadavg()[1]; // 5-min load average at the end: ~jobs when the machine had nothing else to do
  fs.writeFileSync(
    path.join(project, `generate-jobs${jobs}.log`),
    `$ test-agent ${argv.join(' ')}\n${r.stdout}\n${r.stderr}\nexit ${r.status}\n`,
  );
  const file = path.join(out, 'test-agent-report.json');
  const report = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined;
  const realError = !NORMAL_EXITS.has(r.status) || report?.error;
  const error = realError
    ? `exit ${r.status}${report?.error ? ` ${report.error.code}: ${report.error.message}` : `: ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}`}`
    : undefined;
  return { wall, load, exit: r.status, report, error };
}

/** Per-module figures of one run, and the honest total (modules without figures counted with their own size). */
function summarise(modules, counts, gen) {
  const byFile = new Map((gen.report?.modules ?? []).map((m) => [m.file, m]));
  const sum = { lc: 0, lt: 0, bc: 0, bt: 0 };
  let tests = 0;
  const rows = modules.map((m) => {
    const r = byFile.get(m.file);
    const measured = r && r.coverage.lines.total > 0;
    const [stmts, branches] = counts[m.file];
    sum.lc += measured ? r.coverage.lines.covered : 0;
    sum.lt += measured ? r.coverage.lines.total : stmts;
    sum.bc += measured ? r.coverage.branches.covered : 0;
    sum.bt += measured ? r.coverage.branches.total : branches;
    tests += r?.tests ?? 0;
    // 'not run': absent from the report (an earlier module's error stopped the run before it).
    const status = !r ? 'not run' : IMPORT_ERRORS.has(r.error?.code) ? 'import failed' : 'imported';
    const sizeDiffers = measured && (r.coverage.lines.total !== stmts || r.coverage.branches.total !== branches);
    return {
      status,
      tests: r?.tests ?? 0,
      error: r?.error,
      ...(sizeDiffers
        ? { sizes: { report: [r.coverage.lines.total, r.coverage.branches.total], parser: [stmts, branches] } }
        : {}),
    };
  });
  const combined = sum.lt + sum.bt === 0 ? 100 : (100 * (sum.lc + sum.bc)) / (sum.lt + sum.bt);
  return { rows, tests, honest: { ...sum, combined }, reported: gen.report?.coverage?.percent?.combined };
}

function benchPackage(name, tmp, opts) {
  const spec = PACKAGES[name];
  const project = path.join(tmp, name);
  fs.mkdirSync(project, { recursive: true });
  const { pkgDir, python, archive } = makeProject(name, spec, project);
  const modules = listModules(pkgDir, spec.pkg);
  const importRoot = path.dirname(pkgDir);
  for (const m of modules) Object.assign(m, { user: userImport(python, importRoot, m.name) });
  const counts = staticCounts(modules.map((m) => m.file));
  log(
    `${name} (${archive}): ${modules.length} modules, ${modules.filter((m) => m.user.ok).length} import for the user; generating with --jobs 1…`,
  );
  const gens = [];
  for (const jobs of [1, 2]) {
    gens.push(
      generate(
        project,
        pkgDir,
        python,
        path.join(project, 'tests', jobs === 1 ? 'generated' : 'generated-jobs2'),
        jobs,
        opts.budget,
      ),
    );
    log(`${name}: --jobs ${jobs} took ${gens[jobs - 1].wall.toFixed(1)} s (exit ${gens[jobs - 1].exit})`);
  }
  const sums = gens.map((g) => summarise(modules, counts, g));
  const rows = modules.map((m, i) => ({ module: m.name, user: m.user, runs: sums.map((s) => s.rows[i]) }));
  const failed = gens.some((g) => g.error);
  return {
    name,
    archive,
    modules: rows,
    importedForUser: rows.filter((r) => r.user.ok).length,
    // Imported for Test Agent: no import error in either run (a module one run did not reach does not count).
    importedForUs: rows.filter((r) => r.runs.every((x) => x.status === 'imported')).length,
    notForUs: rows.filter((r) => r.user.ok && r.runs.some((x) => x.status === 'import failed')).map((r) => r.module),
    notRun: rows.filter((r) => r.runs.some((x) => x.status === 'not run')).length,
    runs: gens.map((g, i) => ({
      jobs: i + 1,
      wall: g.wall,
      load: g.load,
      exit: g.exit,
      error: g.error,
      tests: sums[i].tests,
      honest: sums[i].honest,
      reported: sums[i].reported,
    })),
    // A run stopped by an error did less work: no speed-up then.
    speedup: failed ? undefined : gens[0].wall / gens[1].wall,
  };
}

const oneLine = (text, max = 400) =>
  String(text)
    .replace(/\s*\n\s*/g, ' | ')
    .slice(0, max);

function render(results, opts) {
  const f = (n, d = 1) => (typeof n === 'number' && Number.isFinite(n) ? n.toFixed(d) : '—');
  const lines = [
    `Real packages, --time-budget ${opts.budget} s per module; line+branch = honest total over every module (a module without figures counts with its statements and branches, 0 covered); the report's own total in parentheses`,
    '',
    '| package | modules | imported (user / Test Agent) | tests (--jobs 1 / 2) | line+branch % --jobs 1 (report) | line+branch % --jobs 2 (report) | wall s --jobs 1 | wall s --jobs 2 | speed-up | 5-min load at end (--jobs 1 / 2) |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  const problems = [];
  for (const r of results) {
    if (r.error) {
      lines.push(`| ${r.name} | error: ${r.error} |`);
      continue;
    }
    const [a, b] = r.runs;
    const pct = (g) => `${f(g.honest.combined)} (${f(g.reported)})${g.error ? ' RUN FAILED' : ''}`;
    const notRun = r.notRun ? ` (${r.notRun} not run)` : '';
    lines.push(
      `| ${r.name} | ${r.modules.length} | ${r.importedForUser} / ${r.importedForUs}${notRun} | ${a.tests} / ${b.tests} | ${pct(a)} | ${pct(b)} | ${f(a.wall)} | ${f(b.wall)} | ${f(r.speedup, 2)} | ${f(a.load)} / ${f(b.load)} |`,
    );
    r.runs.forEach((g, i) => {
      const notRun = r.modules.filter((m) => m.runs[i].status === 'not run').map((m) => m.module);
      if (g.error)
        problems.push(
          `${r.name} --jobs ${g.jobs}: the run failed (${oneLine(g.error)}); not run: ${notRun.join(', ') || 'none'}`,
        );
    });
    for (const m of r.modules) {
      const bad = m.runs
        .map((x, i) => ({ ...x, jobs: i + 1 }))
        .filter((x) => x.status === 'import failed' || (x.error && m.user.ok));
      const where = (xs) => xs.map((x) => `--jobs ${x.jobs}`).join(' and ');
      if (!m.user.ok) problems.push(`${r.name}: ${m.module} does not import for the user either (${m.user.error})`);
      else if (bad.length) {
        const what =
          bad[0].status === 'import failed'
            ? 'imports for the user but not for Test Agent'
            : 'imports, but Test Agent failed on it';
        problems.push(
          `${r.name}: ${m.module} ${what} (${where(bad)}): ${bad[0].error.code}: ${oneLine(bad[0].error.message)}`,
        );
      }
      if (m.runs[0].sizes)
        problems.push(
          `${r.name}: ${m.module}: report counts ${m.runs[0].sizes.report.join('/')} statements/branches, coverage.py's parser ${m.runs[0].sizes.parser.join('/')}`,
        );
    }
  }
  const ok = results.filter((r) => !r.error);
  const timed = ok.filter((r) => r.speedup !== undefined);
  const mean = timed.reduce((a, r) => a + r.speedup, 0) / timed.length;
  const tot = (j) => {
    const s = ok.reduce(
      (a, r) => ({
        c: a.c + r.runs[j].honest.lc + r.runs[j].honest.bc,
        t: a.t + r.runs[j].honest.lt + r.runs[j].honest.bt,
      }),
      { c: 0, t: 0 },
    );
    return s.t ? (100 * s.c) / s.t : 100;
  };
  const left = timed.length < ok.length ? ` over the ${timed.length} packages whose runs both ended normally` : '';
  lines.push(
    '',
    `Summary: ${ok.reduce((a, r) => a + r.modules.length, 0)} modules, ${ok.reduce((a, r) => a + r.importedForUser, 0)} import for the user, ${ok.reduce((a, r) => a + r.importedForUs, 0)} for Test Agent in both runs; line+branch over all packages ${f(tot(0))} % (--jobs 1), ${f(tot(1))} % (--jobs 2); mean speed-up ${f(mean, 2)}${left} (--min-speedup ${opts.minSpeedup}: ${mean >= opts.minSpeedup ? 'met' : 'NOT met'}).`,
  );
  if (problems.length) lines.push('', 'Noticed:', ...problems.map((p) => `- ${p}`));
  return { text: lines.join('\n'), mean };
}

function main() {
  const opts = args();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'test-agent-projects-bench-'));
  spawnSync(CLI, ['--version'], { stdio: 'ignore' }); // build dist/ now, not inside the first timed run
  const results = [];
  for (const name of opts.packages) {
    try {
      results.push(benchPackage(name, tmp, opts));
    } catch (e) {
      log(`${name}: ${e.message}${e.stderr ? `\n${String(e.stderr).slice(-2000)}` : ''}`);
      results.push({ name, error: e.message.split('\n')[0] });
    }
  }
  const { text, mean } = render(results, opts);
  if (opts.json)
    process.stdout.write(
      `${JSON.stringify({ budgetSeconds: opts.budget, minSpeedup: opts.minSpeedup, meanSpeedup: mean, results }, null, 2)}\n`,
    );
  else process.stdout.write(`${text}\n`);
  if (!opts.keep) fs.rmSync(tmp, { recursive: true, force: true });
  else log(`kept ${tmp}`);
  const failed =
    results.some((r) => r.error || r.notForUs.length || r.runs.some((g) => g.error)) || !(mean >= opts.minSpeedup);
  process.exitCode = failed ? 1 : 0;
}

main();
