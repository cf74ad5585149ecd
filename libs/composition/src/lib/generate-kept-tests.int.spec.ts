import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '@test-agent/domain';
import { createTestAgent } from './create-test-agent';

// Tests a developer keeps (issue 15): every test checks something, the interpreter's errors on nonsense input are not
// pinned, errors of the code on well-typed input are reported as suspected defects, and nothing the machine decides
// (clock, time zone, environment, proxies) is asserted. Real offline engine, real pytest + coverage.py.
const python = path.join(path.resolve(__dirname, '../../../..'), '.venv', 'bin', 'python');
const agent = createTestAgent({ flakyReruns: 1, timeBudgetSeconds: 3 }, { logger: silentLogger });
const made: string[] = [];

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ta-kept-'));
  made.push(dir);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

const pytest = (folder: string, env: Record<string, string> = {}) =>
  spawnSync(python, ['-m', 'pytest', '-q', '--color=no', '-p', 'no:cacheprovider', folder], {
    cwd: tmpdir(),
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });

/** The bodies of the test functions of a generated file. */
function testBodies(source: string): string[] {
  return source
    .split(/\n(?=(?:@pytest\.mark\.[^\n]*\n)?def test_)/)
    .filter((b) => /^(@pytest\.mark\.[^\n]*\n)?def test_/.test(b));
}

const DEFECTS = [
  'def average(values: list[int]) -> float:',
  '    total = 0',
  '    for v in values:',
  '        total += v',
  '    return total / len(values)',
  '',
  '',
  'def grade(score: int) -> str:',
  '    if score >= 90:',
  '        letter = "A"',
  '    elif score > 0:',
  '        letter = "F"',
  '    return letter',
  '',
  '',
  'def shout(text: str) -> str:',
  '    if not text:',
  '        raise ValueError("nothing to shout")',
  '    return text.upper() + "!"',
  '',
].join('\n');

const MACHINE = [
  'import datetime',
  'import os',
  'import time',
  '',
  '',
  'def stamp(label: str) -> str:',
  '    return f"{label}@{time.time():.0f}"',
  '',
  '',
  'def who(default: str) -> str:',
  '    return os.environ.get("USER", default)',
  '',
  '',
  'def offset_hours() -> int:',
  '    return int(datetime.datetime.now().astimezone().utcoffset().total_seconds() // 3600)',
  '',
  '',
  'def behind_proxy() -> bool:',
  '    return bool(os.environ.get("HTTPS_PROXY") or os.environ.get("https_proxy"))',
  '',
  '',
  'def today_label(prefix: str) -> str:',
  '    return prefix + datetime.date.today().isoformat()',
  '',
].join('\n');

describe('generate: tests a developer keeps', () => {
  jest.setTimeout(240_000);

  it('reports errors of the code on well-typed input as suspected defects instead of pinning them, and pins nonsense-input errors never', async () => {
    const dir = project({ 'stats.py': DEFECTS });
    const report = await agent.generate({ path: path.join(dir, 'stats.py'), outDir: path.join(dir, 'out') });
    const [m] = report.modules;
    const defects = (m.suspectedDefects ?? []).map((d) => `${d.subject} ${d.error.split(':')[0]} ${d.line}`).sort();
    expect(defects).toEqual(['average ZeroDivisionError 5', 'grade UnboundLocalError 13']);
    const source = readFileSync(m.testFile as string, 'utf8');
    // Not pinned as behaviour: no test expects these errors, nor the interpreter's errors on nonsense input.
    expect(source).not.toMatch(/ZeroDivisionError|UnboundLocalError|AttributeError|TypeError/);
    // The module's own error is pinned.
    expect(source).toMatch(/pytest\.raises\(ValueError, match=r"nothing to shout"\)/);
    for (const body of testBodies(source)) expect(body).toMatch(/\bassert\b|pytest\.raises/);
    expect(report.modules[0].suspectedDefects?.[0].test).toMatch(/^@pytest\.mark\.xfail\(strict=True, raises=/);
    expect(readFileSync(report.reports.markdown, 'utf8')).toContain('## Suspected defects');
    expect(pytest(path.join(dir, 'out')).status).toBe(0);

    // On request they are written as strict xfail tests, which hold while the defect is there.
    const pinned = await agent.generate({
      path: path.join(dir, 'stats.py'),
      outDir: path.join(dir, 'pinned'),
      pinDefects: true,
    });
    const pinnedSource = readFileSync(pinned.modules[0].testFile as string, 'utf8');
    expect(pinnedSource.match(/@pytest\.mark\.xfail\(strict=True/g)).toHaveLength(2);
    const run = pytest(path.join(dir, 'pinned'));
    expect(run.stdout).toMatch(/2 xfailed/);
    expect(run.status).toBe(0);
  });

  it('asserts nothing the clock, the time zone, the environment or the proxies decide; the tests pass on another machine', async () => {
    const dir = project({ 'machine.py': MACHINE });
    const report = await agent.generate({ path: path.join(dir, 'machine.py'), outDir: path.join(dir, 'out') });
    const [m] = report.modules;
    expect(m.error).toBeUndefined();
    expect(m.machinePerturbations?.length).toBe(2);
    const source = readFileSync(m.testFile as string, 'utf8');
    const bodies = testBodies(source);
    expect(bodies.length).toBeGreaterThanOrEqual(4);
    // Every test checks something.
    for (const body of bodies) expect(body).toMatch(/\bassert\b|pytest\.raises/);
    // No value of the machine: not the time, the date, the offset or the proxy setting.
    const year = String(new Date().getUTCFullYear());
    expect(source).not.toContain(year);
    expect(source).not.toMatch(/assert result == -?\d+\n/);
    // What the proxy variables decide is asserted only by a test that gives both variables itself (the runs below,
    // with HTTPS_PROXY set, show it holds there too).
    for (const test of source
      .split(/\n(?=def test_)/)
      .filter((t) => /behind_proxy\(\)\n\s+assert result is (True|False)/.test(t))) {
      expect(test).toMatch(/monkeypatch\.(setenv|delenv)\('HTTPS_PROXY'/);
      expect(test).toMatch(/monkeypatch\.(setenv|delenv)\('https_proxy'/);
    }
    for (const env of <Record<string, string>[]>[
      { TZ: 'Asia/Tokyo', HTTPS_PROXY: 'http://127.0.0.1:9', USER: 'someone' },
      { TZ: 'America/Los_Angeles', LANG: 'C', USER: 'other' },
    ]) {
      const run = pytest(path.join(dir, 'out'), env);
      expect({ env, out: run.stdout.slice(-400), status: run.status }).toMatchObject({ status: 0 });
    }
  });

  it("does not lean on the module's own doctest examples: its own tests reach what they reach, and the report gives both figures", async () => {
    const words = [
      'def plural(word: str, n: int) -> str:',
      '    """The word for n things.',
      '',
      '    >>> plural("cat", 2)',
      "    'cats'",
      '    >>> plural("bus", 3)',
      "    'buses'",
      '    """',
      '    if n == 1:',
      '        return word',
      '    if word.endswith("s"):',
      '        return word + "es"',
      '    return word + "s"',
      '',
    ].join('\n');
    const dir = project({ 'words.py': words });
    const report = await agent.generate({ path: path.join(dir, 'words.py'), outDir: path.join(dir, 'out') });
    const [m] = report.modules;
    expect(m.coverage.percent.combined).toBe(100);
    // Either no doctest wrapper was needed, or the report says what the suite reaches without it.
    const source = readFileSync(m.testFile as string, 'utf8');
    expect(m.withoutDoctests === undefined).toBe(!source.includes('_doctest_examples'));
    expect(m.withoutDoctests?.percent.combined ?? 100).toBe(100);
  });
});
