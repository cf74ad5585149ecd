import { spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  writeFileSync,
  writeSync,
  closeSync,
  ftruncateSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// Runs the real `bin/test-agent` (the bundled CLI) as a subprocess, as a user would.
const root = path.resolve(__dirname, '../../..');
const bin = path.join(root, 'bin', 'test-agent');

describe('test-agent chunk / tokens', () => {
  jest.setTimeout(120_000);
  let dir: string;

  function cli(args: string[]) {
    const run = spawnSync(bin, args, {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, LOG_LEVEL: 'error', LLM_PROVIDER: 'none', LLM_MODEL: '' },
      timeout: 120_000,
    });
    return { code: run.status, stdout: run.stdout, stderr: run.stderr };
  }

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ta-chunk-'));
    const body = Array.from(
      { length: 40 },
      (_, i) => `def f${i}(x):\n    """Doubles ${i}."""\n    return x * ${i} + LIMIT\n\n`,
    ).join('');
    writeFileSync(
      path.join(dir, 'mod.py'),
      `LIMIT = 3\n\n\n${body}class Box:\n    def __init__(self):\n        self.n = f1(2)\n`,
    );
    mkdirSync(path.join(dir, 'pkg', 'sub'), { recursive: true });
    writeFileSync(path.join(dir, 'pkg', '__init__.py'), '');
    writeFileSync(path.join(dir, 'pkg', 'a.py'), 'A = 1\n');
    writeFileSync(path.join(dir, 'pkg', 'sub', 'b.py'), 'def b():\n    return 2\n');
    mkdirSync(path.join(dir, 'docs'));
    writeFileSync(path.join(dir, 'docs', 'readme.md'), '# docs\n');
    writeFileSync(path.join(dir, 'binary.py'), Buffer.from([0x78, 0x00, 0x0a]));
    writeFileSync(path.join(dir, 'latin1.py'), Buffer.from('x = "caf\xe9"\n', 'latin1'));
    writeFileSync(path.join(dir, 'empty.py'), '\n\n');
    // 50 MB of valid Python, written in blocks
    const fd = openSync(path.join(dir, 'huge.py'), 'w');
    const block = Buffer.from('x = 1  # padding to make a very large module\n'.repeat(20_000));
    for (let written = 0; written < 50 * 1024 * 1024; written += block.length) writeSync(fd, block);
    ftruncateSync(fd, 50 * 1024 * 1024);
    closeSync(fd);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints a table: chunk, lines, tokens, symbols', () => {
    const { code, stdout, stderr } = cli(['chunk', 'mod.py', '--max-tokens', '200']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^chunk {2}kind {8}lines {10}tokens {2}symbols$/m);
    expect(stdout.split('\n')).toContain('    0  mixed       1-39              194  LIMIT, f0, f1, f2, +6 more');
    expect(stdout.split('\n')[1]).toBe('166 lines, 864 tokens (statement)');
  });

  it('--json prints one object with a chunks array of file, startLine, endLine, tokens, kind, symbols', () => {
    const { code, stdout } = cli(['chunk', 'mod.py', '--max-tokens', '200', '--strategy', 'function', '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as {
      chunks: { file: string; startLine: number; endLine: number; tokens: number; kind: string; symbols: string[] }[];
      budget: { maxTokens: number };
    };
    expect(result.budget.maxTokens).toBe(200);
    const chunks = result.chunks;
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks[0]).toMatchObject({
      file: path.join(dir, 'mod.py'),
      startLine: 1,
      kind: 'statements',
      symbols: ['LIMIT'],
    });
    expect(chunks.every((c) => c.tokens <= 200)).toBe(true);
    for (let i = 1; i < chunks.length; i++) expect(chunks[i].startLine).toBe(chunks[i - 1].endLine + 1);
    expect(chunks[chunks.length - 1]).toMatchObject({
      endLine: 166,
      kind: 'methods',
      symbols: ['Box', 'Box.__init__'],
    });
  });

  it('chunks a package and counts its tokens', () => {
    const chunked = JSON.parse(cli(['--json', 'chunk', 'pkg']).stdout) as {
      mode: string;
      chunks: { file: string }[];
      skipped: { file: string; reason: string }[];
    };
    expect(chunked.mode).toBe('package');
    expect(chunked.chunks.map((c) => path.relative(dir, c.file))).toEqual(['pkg/a.py', 'pkg/sub/b.py']);
    expect(chunked.skipped).toEqual([{ file: path.join(dir, 'pkg', '__init__.py'), reason: 'empty' }]);
    const counted = cli(['tokens', 'pkg/sub/b.py', '--model', 'gpt-4o']);
    expect(counted.code).toBe(0);
    expect(counted.stdout.trim()).toBe(
      '8 tokens (2 lines; o200k_base, model gpt-4o, context 128000, chunk budget 109604)',
    );
  });

  it.each([
    [['chunk', 'missing.py'], /^error: No such file or directory: missing\.py$/],
    [['chunk', 'docs'], /^error: No Python files \(\.py\) under docs$/],
    [['chunk', 'binary.py'], /^error: .*binary\.py is a binary file, not Python source$/],
    [['chunk', 'latin1.py'], /^error: .*latin1\.py is not valid UTF-8 text$/],
    [['chunk', 'empty.py'], /^error: empty\.py is empty: there is no code to chunk$/],
    [['chunk', 'huge.py'], /^error: .*huge\.py is 50\.0 MiB, over the 10\.0 MiB limit for one Python module$/],
    [['chunk', 'mod.py', '--max-tokens', 'lots'], /^error: --max-tokens must be a positive integer, got "lots"$/],
    [
      ['chunk', 'mod.py', '--strategy', 'random'],
      /^error: Unknown chunking strategy "random": use one of auto, function, class, statement$/,
    ],
    [['tokens', 'binary.py'], /^error: .*binary\.py is a binary file, not Python source$/],
    [['tokens', 'missing.py'], /^error: No such file or directory: missing\.py$/],
  ])('%j: one clear line, exit 3, nothing written', (args, message) => {
    const before = readdirSync(dir).sort();
    const { code, stdout, stderr } = cli(args as string[]);
    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr.trim()).toMatch(message);
    expect(readdirSync(dir).sort()).toEqual(before);
  });
});
