// Shared by the benchmarks: their option reader, and a fresh venv with only pytest and coverage, like a user's.
const { execFileSync, spawnSync } = require('node:child_process');
const path = require('node:path');

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

module.exports = { freshVenv, optionReader };
