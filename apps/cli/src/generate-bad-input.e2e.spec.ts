import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// `generate` on input that cannot be a module under test: a clear one-line error, exit 3, nothing written.
const bin = path.join(path.resolve(__dirname, '../../..'), 'bin', 'test-agent');

describe('generate rejects bad input', () => {
  jest.setTimeout(120_000);
  const dir = mkdtempSync(path.join(tmpdir(), 'ta-gen-bad-'));
  writeFileSync(path.join(dir, 'binary.py'), Buffer.from([0x78, 0x00, 0x0a]));
  writeFileSync(path.join(dir, 'latin1.py'), Buffer.from('x = "caf\xe9"\n', 'latin1'));
  writeFileSync(path.join(dir, 'broken.py'), 'def f(:\n    pass\n');
  writeFileSync(path.join(dir, 'empty.py'), '\n');

  it.each([
    ['missing.py', /^error: No such file or directory: .*missing\.py$/],
    ['binary.py', /^error: Cannot import binary from .*: SyntaxError: source code string cannot contain null bytes$/],
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
