import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// `generate` on input that cannot be a module under test: a clear one-line error, exit 3, nothing written.
const root = path.resolve(__dirname, '../../..');
const bin = path.join(root, 'bin', 'test-agent');

describe('generate rejects bad input', () => {
  jest.setTimeout(120_000);
  const dir = mkdtempSync(path.join(tmpdir(), 'ta-gen-bad-'));
  writeFileSync(path.join(dir, 'binary.py'), Buffer.from([0x78, 0x00, 0x0a]));
  writeFileSync(path.join(dir, 'latin1.py'), Buffer.from('x = "caf\xe9"\n', 'latin1'));
  writeFileSync(path.join(dir, 'broken.py'), 'def f(:\n    pass\n');
  writeFileSync(path.join(dir, 'empty.py'), '\n');
  // Over the 10 MiB limit `chunk` applies to one module.
  writeFileSync(path.join(dir, 'huge.py'), 'x = 1\n'.repeat(1_800_000));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['missing.py', /^error: No such file or directory: .*missing\.py$/],
    ['binary.py', /^error: .*binary\.py is a binary file, not Python source$/],
    ['huge.py', /^error: .*huge\.py is 10\.3 MiB, over the 10\.0 MiB limit for one Python module$/],
    ['latin1.py', /^error: Cannot import latin1 from .*'utf-8' codec can't decode byte 0xe9/],
    ['broken.py', /^error: Cannot import broken from .*: SyntaxError: invalid syntax \(broken\.py, line 1\)$/],
    ['empty.py', /^error: .*empty\.py has no statements to test$/],
  ])('%s', (file, message) => {
    const out = path.join(dir, `out-${file}`);
    const run = spawnSync(bin, ['generate', file, '--out', out, '--time-budget', '3'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, LOG_LEVEL: 'error', LLM_PROVIDER: '', LLM_URL: '' },
    });
    expect(run.status).toBe(3);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr.trim()).toMatch(message);
    expect(run.stdout).toBe('');
    expect(existsSync(out)).toBe(false);
  });
});

// A bad output folder is refused before the search and before any Python process: exit 3, one line naming
// --out, nothing written, at once (`mkdir -p` under /proc never returns: a run that reached it would hang).
describe('generate rejects a bad output folder up front', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ta-gen-out-'));
  writeFileSync(path.join(dir, 'calc.py'), 'def add(a, b):\n    return a + b\n');
  writeFileSync(path.join(dir, 'afile'), 'mine\n');
  mkdirSync(path.join(dir, 'pkg'));
  writeFileSync(path.join(dir, 'pkg', '__init__.py'), '');
  writeFileSync(path.join(dir, 'pkg', 'mod.py'), 'def double(x):\n    return 2 * x\n');
  const listing = () => readdirSync(dir, { recursive: true }).map(String).sort();
  const before = listing();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const generate = (args: string[], command: readonly string[] = [bin]) => {
    const started = Date.now();
    const run = spawnSync(command[0], [...command.slice(1), 'generate', ...args, '--time-budget', '3'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, LOG_LEVEL: 'error', LLM_PROVIDER: '', LLM_URL: '' },
      timeout: 30_000,
    });
    return { ...run, ms: Date.now() - started };
  };
  const expectRefused = (run: ReturnType<typeof generate>, message: RegExp) => {
    expect(run.error).toBeUndefined(); // not killed by the timeout
    expect(run.status).toBe(3);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr.trim()).toMatch(message);
    expect(run.stdout).toBe('');
    expect(run.ms).toBeLessThan(20_000);
    expect(listing()).toEqual(before);
    expect(readFileSync(path.join(dir, 'afile'), 'utf8')).toBe('mine\n');
  };

  it.each([
    [
      'an existing file',
      'calc.py',
      'afile',
      /^error: The output folder .*\/afile is an existing file, not a folder \(--out\)$/,
    ],
    [
      'a path under a file',
      'calc.py',
      'afile/sub',
      /^error: The output folder .*\/afile\/sub lies under .*\/afile, which is a file \(--out\)$/,
    ],
    [
      'a path under /sys',
      'calc.py',
      '/sys/x',
      /^error: The output folder \/sys\/x is under \/sys, a kernel file system: choose a folder on disk \(--out\)$/,
    ],
    [
      'a path under /proc',
      'calc.py',
      '/proc/nope',
      /^error: The output folder \/proc\/nope is under \/proc, a kernel file system: choose a folder on disk \(--out\)$/,
    ],
    [
      'the package under test',
      'pkg',
      'pkg',
      /^error: The output folder .*\/pkg is the folder under test: .* \(--out\)$/,
    ],
    [
      'a folder inside the package under test',
      'pkg',
      'pkg/tests',
      /^error: The output folder .*\/pkg\/tests lies inside .*\/pkg, a package under test: .* \(--out\)$/,
    ],
  ])('%s', (_what, target, out, message) => expectRefused(generate([target, '--out', out]), message), 40_000);

  it('a folder that is not writable (run as an unprivileged user: root may write anywhere)', () => {
    const locked = mkdtempSync(path.join(tmpdir(), 'ta-gen-locked-'));
    writeFileSync(path.join(locked, 'calc.py'), 'def add(a, b):\n    return a + b\n');
    mkdirSync(path.join(locked, 'ro'));
    chmodSync(path.join(locked, 'ro'), 0o555);
    chmodSync(locked, 0o755);
    const asUser =
      process.getuid?.() === 0
        ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath]
        : [process.execPath];
    // The built CLI itself: bin/test-agent might rebuild dist/, which that user may not write.
    const run = spawnSync(
      asUser[0],
      [...asUser.slice(1), path.join(root, 'dist/apps/cli/main.js'), 'generate', 'calc.py', '--out', 'ro/tests'],
      {
        cwd: locked,
        encoding: 'utf8',
        env: { ...process.env, HOME: locked, LOG_LEVEL: 'error', LLM_PROVIDER: '', LLM_URL: '' },
        timeout: 30_000,
      },
    );
    expect(run.status).toBe(3);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr.trim()).toMatch(
      /^error: The output folder .*\/ro\/tests cannot be written: .*\/ro is not writable \(EACCES\) \(--out\)$/,
    );
    expect(readdirSync(path.join(locked, 'ro'))).toEqual([]);
    rmSync(locked, { recursive: true, force: true });
  }, 40_000);
});
