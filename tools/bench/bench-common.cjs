// Shared by the benchmarks: their option reader, a fresh venv with only pytest and coverage, like a user's, the
// independent measure of emitted tests with coverage.py, and the machines the generator never saw that the tests
// must also pass on.
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const FAKETIME = [
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1',
].find((p) => fs.existsSync(p));
const PROXY = 'http://127.0.0.1:9';
/**
 * Other machines, as far as a test can tell: another time zone, locale, proxies and user; another time zone, hash
 * seed and the clock a day on (libfaketime, where installed); another working directory.
 */
const PERTURBATIONS = [
  {
    name: 'Tokyo, LANG=C, proxies, USER',
    env: {
      TZ: 'Asia/Tokyo',
      LANG: 'C',
      LC_ALL: 'C',
      HTTP_PROXY: PROXY,
      HTTPS_PROXY: PROXY,
      http_proxy: PROXY,
      https_proxy: PROXY,
      USER: 'bench-user',
    },
  },
  {
    name: `Los Angeles, hash seed, ${FAKETIME ? 'clock +1 day' : 'clock unchanged (no libfaketime)'}`,
    env: {
      TZ: 'America/Los_Angeles',
      PYTHONHASHSEED: '77',
      ...(FAKETIME ? { LD_PRELOAD: FAKETIME, FAKETIME: '+86400' } : {}),
    },
  },
  { name: 'another cwd', env: {}, cwd: os.tmpdir() },
];

/** pytest's summary line of a `-q` run read back: tests passed, and failed with errors counted as failures. */
function pytestCounts(stdout) {
  const tail = (stdout || '').trim().split('\n').pop() ?? '';
  const count = (re) => Number(re.exec(tail)?.[1] ?? 0);
  return { tail, passed: count(/(\d+) passed/), failed: count(/(\d+) failed/) + count(/(\d+) error/) };
}

/** The tests in `outDir` failed (errors included) in one plain pytest run on `perturbation`'s machine. */
function failuresOn(python, workDir, outDir, moduleFile, perturbation) {
  const run = spawnSync(python, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', outDir], {
    cwd: perturbation.cwd ?? workDir,
    env: {
      ...process.env,
      ...perturbation.env,
      PYTHONDONTWRITEBYTECODE: '1',
      PYTHONPATH: path.dirname(moduleFile),
    },
    encoding: 'utf8',
  });
  const { tail, failed } = pytestCounts(run.stdout);
  // pytest's exit 1 is failed tests; anything else but 0 (collection, usage, internal error) is not a count.
  if (run.status !== 0 && run.status !== 1)
    throw new Error(`pytest on ${perturbation.name} exited ${run.status}: ${tail}`);
  return failed;
}

/** Creates `<dir>/venv` with pytest and coverage from the configured index; returns its python. */
function freshVenv(dir) {
  const venv = path.join(dir, 'venv');
  execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
  const py = path.join(venv, 'bin', 'python');
  const pip = spawnSync(
    py,
    ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', '--retries', '0', 'pytest', 'coverage'],
    { stdio: 'inherit' },
  );
  if (pip.status !== 0)
    throw new Error('pip install pytest coverage failed: pass --python <interpreter with pytest and coverage>');
  return py;
}

/** `get(name, dflt)`: the value after `--name` in `argv`, else `dflt`; `has(name)`: whether `--name` is there. */
function optionReader(argv = process.argv.slice(2)) {
  return {
    get: (name, dflt) => {
      const i = argv.indexOf(`--${name}`);
      return i >= 0 ? argv[i + 1] : dflt;
    },
    has: (name) => argv.includes(`--${name}`),
  };
}

/**
 * Runs the emitted tests in `outDir` `runs` times in a row under `coverage run --branch` (only `moduleFile`
 * measured), each run with its own data file in `workDir`; per run: pytest's exit, passed and failed (errors
 * included) counts, and coverage.py's JSON totals.
 */
function measureRuns(python, workDir, outDir, moduleFile, runs) {
  const results = [];
  for (let i = 0; i < runs; i++) {
    const env = { ...process.env, COVERAGE_FILE: path.join(workDir, `.coverage.${i}`), PYTHONDONTWRITEBYTECODE: '1' };
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
        outDir,
      ],
      { cwd: workDir, env, encoding: 'utf8' },
    );
    const { passed, failed } = pytestCounts(run.stdout);
    const json = spawnSync(python, ['-m', 'coverage', 'json', '-q', '-o', '-'], {
      cwd: workDir,
      env,
      encoding: 'utf8',
    });
    if (json.status !== 0) throw new Error(`coverage json failed (no data?): ${json.stderr.slice(-500)}`);
    results.push({ exit: run.status, passed, failed, totals: JSON.parse(json.stdout).totals });
  }
  return results;
}

/** The mutation table (`--mutation`): each module's score, killed / run by operator, survivors, and the mean. */
function mutationLines(rows) {
  const f = (n) => (typeof n === 'number' ? n.toFixed(1) : '—');
  const ops = ['comparison', 'arithmetic', 'constant', 'condition', 'return'];
  const lines = [
    `| module | mutation score % | killed / run | ${ops.join(' | ')} | survived | not run (budget) | mutation s |`,
    `|---|---|---|${ops.map(() => '---|').join('')}---|---|---|`,
  ];
  for (const r of rows) {
    const m = r.mutation;
    if (!m) {
      lines.push(`| ${r.name} | — (no tests) |`);
      continue;
    }
    const cells = ops.map((op) => (m.byOperator[op] ? `${m.byOperator[op].killed}/${m.byOperator[op].total}` : '—'));
    lines.push(
      `| ${r.name} | ${f(m.score)} | ${m.killed} / ${m.total} | ${cells.join(' | ')} | ${m.survivors.length} | ${m.notRun} | ${f(m.durationMs / 1000)} |`,
    );
  }
  const scored = rows.filter((r) => typeof r.mutation?.score === 'number');
  const mean = scored.reduce((a, r) => a + r.mutation.score, 0) / Math.max(1, scored.length);
  return [
    ...lines,
    '',
    `Mean mutation score: ${scored.length ? mean.toFixed(1) : '—'} % over ${scored.length} modules`,
  ];
}

module.exports = { freshVenv, optionReader, measureRuns, mutationLines, PERTURBATIONS, failuresOn, pytestCounts };
