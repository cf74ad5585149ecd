import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';

// `generate` on hostile modules, with real bwrap, real pytest and real files. Every hostile fixture acts only on
// folders this spec created, and runs only inside the sandbox: the emitted tests are re-run under plain pytest
// inside a bwrap that keeps the machine read-only but leaves this spec's folder writable, so any effect they
// had on it would show.
const root = path.resolve(__dirname, '../../..');
const bin = path.join(root, 'bin', 'test-agent');
const venvPython = path.join(root, '.venv', 'bin', 'python');
const BUDGET_S = 8;

let work: string;
/** The CLI's temp folder (TMPDIR): Test Agent's run folders go there, so the spec sees any left behind. */
let temp: string;
beforeAll(() => {
  work = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'ta-sandbox-e2e-')));
  temp = path.join(work, 'tmp');
  mkdirSync(temp);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

function generate(
  file: string,
  out: string,
  env: Record<string, string | undefined> = {},
  extra: string[] = [],
): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(bin, [...extra, 'generate', file, '--out', out, '--time-budget', String(BUDGET_S)], {
      cwd: work,
      env: { ...process.env, LOG_LEVEL: 'warn', LLM_PROVIDER: '', LLM_URL: '', TMPDIR: temp, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr, ms: Date.now() - started }));
  });
}

/** Every file under `dir` with its sha256, so a later listing shows any file changed, added or removed. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[path.relative(dir, p)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

/** Live processes whose command line contains `text` (pgrep exits 1 when there is none). */
function processesMatching(text: string): string[] {
  const found = spawnSync('pgrep', ['-f', text], { encoding: 'utf8' });
  return found.stdout.split('\n').filter(Boolean);
}

const tempEntries = () => new Set(readdirSync(temp));

/** Plain pytest on the emitted tests, confined to a read-only machine where only `writable` can change. */
function pytestConfined(testsDir: string, cwd: string, writable: string, tmp: string): ReturnType<typeof spawnSync> {
  const args = [
    '--ro-bind',
    '/',
    '/',
    '--dev',
    '/dev',
    '--proc',
    '/proc',
    '--bind',
    writable,
    writable,
    '--unshare-pid',
    '--unshare-net',
    '--die-with-parent',
    '--chdir',
    cwd,
  ];
  return spawnSync('bwrap', [...args, '--', venvPython, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', testsDir], {
    encoding: 'utf8',
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', TMPDIR: tmp },
  });
}

describe('generate contains the code under test (bubblewrap)', () => {
  jest.setTimeout(240_000);

  it('leaves a folder named in the module intact: no file appears outside the output folder, the emitted tests touch nothing outside tmp_path', async () => {
    const victim = path.join(work, 'victim');
    mkdirSync(path.join(victim, 'sub'), { recursive: true });
    writeFileSync(path.join(victim, 'a.txt'), 'precious a');
    writeFileSync(path.join(victim, 'sub', 'b.txt'), 'precious b');
    const project = path.join(work, 'fsproject');
    mkdirSync(project);
    writeFileSync(
      path.join(project, 'fsops.py'),
      [
        'import os, shutil',
        `DATA = ${JSON.stringify(victim)}`,
        `FILE = ${JSON.stringify(path.join(victim, 'a.txt'))}`,
        '',
        'def purge(path):',
        '    shutil.rmtree(path)',
        '    return True',
        '',
        'def remove(p):',
        '    os.remove(p)',
        '',
        'def write(p, data):',
        '    with open(p, "w") as fh:',
        '        fh.write(data)',
        '    return len(data)',
        '',
        'def describe(path):',
        '    if path.startswith(DATA):',
        '        return "data"',
        '    return "other"',
        '',
      ].join('\n'),
    );
    const before = { victim: snapshot(victim), project: snapshot(project), temp: tempEntries() };
    const out = path.join(work, 'fs-out');
    const run = await generate(path.join(project, 'fsops.py'), out);
    expect([0, 10]).toContain(run.status);
    expect(snapshot(victim)).toEqual(before.victim);
    expect(snapshot(project)).toEqual(before.project);
    expect(readdirSync(work).sort()).toEqual(['fs-out', 'fsproject', 'tmp', 'victim']);
    expect([...tempEntries()].filter((n) => !before.temp.has(n))).toEqual([]);

    // The written tests under plain pytest, twice, from a folder of their own.
    const runner = path.join(work, 'runner');
    const pytestTmp = path.join(work, 'pytest-tmp');
    mkdirSync(runner);
    mkdirSync(pytestTmp);
    for (let i = 0; i < 2; i++) {
      const result = pytestConfined(out, runner, work, pytestTmp);
      expect(result.status).toBe(0);
    }
    expect(snapshot(victim)).toEqual(before.victim);
    expect(snapshot(project)).toEqual(before.project);
    expect(readdirSync(runner)).toEqual([]);
    rmSync(runner, { recursive: true });
    rmSync(pytestTmp, { recursive: true });
  });

  describe('a module that connects to a listener on 127.0.0.1', () => {
    let server: Server;
    let connections = 0;
    beforeAll(async () => {
      server = createServer((socket) => {
        connections++;
        socket.destroy();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('never reaches it, neither in the search nor in pytest', async () => {
      const port = (server.address() as { port: number }).port;
      const project = path.join(work, 'netproject');
      mkdirSync(project);
      writeFileSync(
        path.join(project, 'client.py'),
        [
          'import socket',
          `PORT = ${port}`,
          '',
          'def ping(host="127.0.0.1", port=PORT):',
          '    with socket.create_connection((host, port), timeout=1):',
          '        return True',
          '',
        ].join('\n'),
      );
      const run = await generate(path.join(project, 'client.py'), path.join(work, 'net-out'));
      expect([0, 3, 10]).toContain(run.status);
      expect(connections).toBe(0);
    });
  });

  it('survives a module that signals its parent, kills its group, spawns sessions, allocates 20 GiB and ignores SIGALRM', async () => {
    const sleeper = `sleep 1001.${process.pid}`;
    const project = path.join(work, 'nastyproject');
    mkdirSync(project);
    writeFileSync(
      path.join(project, 'nasty.py'),
      [
        'import os, signal, subprocess',
        'os.kill(os.getppid(), 9)',
        '',
        'def killer(x):',
        '    os.kill(os.getppid(), 9)',
        '    return x',
        '',
        'def group(x):',
        '    os.killpg(os.getpgid(0), 9)',
        '',
        'def spawner(n):',
        `    subprocess.Popen(${JSON.stringify(sleeper.split(' '))}, start_new_session=True)`,
        '    return n',
        '',
        'def hog(n):',
        '    return len(bytearray(20 * 1024 ** 3))',
        '',
        'def spin(n):',
        '    signal.signal(signal.SIGALRM, signal.SIG_IGN)',
        '    while True:',
        '        n += 1',
        '',
        'def fine(a, b):',
        '    return a - b if a > b else b - a',
        '',
      ].join('\n'),
    );
    const tempBefore = tempEntries();
    const out = path.join(work, 'nasty-out');
    // Test Agent's own interpreter: what is timed is the hostile code, not the start-up of a big environment's pytest.
    const run = await generate(path.join(project, 'nasty.py'), out, {}, ['--python', venvPython]);
    process.stdout.write(`hostile module, ${BUDGET_S} s budget: ${run.ms} ms, exit ${run.status}\n`);
    expect([0, 10]).toContain(run.status);
    expect(readdirSync(out)).toEqual(expect.arrayContaining(['test-agent-report.json', 'test-agent-report.md']));
    // The budget is the module's wall time (search and validation; measured here: 10-17 s alone, 21-26 s beside two
    // other test suites, 30 s at load 14): the endless loop and the 1001 s sleeper must not stretch it. The bound is
    // a minute, far from both, so a loaded machine is not mistaken for an escape.
    expect(run.ms).toBeLessThan(60_000);
    expect(processesMatching(sleeper)).toEqual([]);
    expect([...tempEntries()].filter((n) => !tempBefore.has(n))).toEqual([]);
  });

  it("writes no secret of the machine's environment into any file, log or report", async () => {
    const project = path.join(work, 'envproject');
    mkdirSync(project);
    writeFileSync(
      path.join(project, 'leaky.py'),
      [
        'import os',
        '',
        'def everything():',
        '    return dict(os.environ)',
        '',
        'def parent():',
        '    with open(f"/proc/{os.getppid()}/environ") as fh:',
        '        return fh.read()',
        '',
        'def one(name):',
        '    return os.environ.get(name, "unset")',
        '',
        'def upper(text):',
        '    return text.upper()',
        '',
        '# A key Test Agent was given, read back from a file of the project (as a .env would hold it).',
        'SETTINGS = open(os.path.join(os.path.dirname(__file__), "settings.env")).read()',
        '',
        'def settings():',
        '    return SETTINGS',
        '',
      ].join('\n'),
    );
    const out = path.join(work, 'env-out');
    const secrets = { LLM_API_KEY: `sk-e2e-${process.pid}-secret`, GIGACHAT_AUTH_KEY: `giga-e2e-${process.pid}-key` };
    writeFileSync(path.join(project, 'settings.env'), `LLM_API_KEY=${secrets.LLM_API_KEY}\n`);
    const run = await generate(path.join(project, 'leaky.py'), out, { ...secrets, LOG_LEVEL: 'debug' });
    expect([0, 10]).toContain(run.status);
    const written = Object.keys(snapshot(out)).map((f) => readFileSync(path.join(out, f), 'utf8'));
    for (const value of Object.values(secrets)) {
      for (const text of [...written, run.stdout, run.stderr]) expect(text).not.toContain(value);
    }
  });

  it('without bwrap refuses to run the code (exit 5, naming the package and the flag); --no-sandbox runs it and says unconfined', async () => {
    const bare = path.join(work, 'bare-bin');
    mkdirSync(bare);
    symlinkSync(process.execPath, path.join(bare, 'node'));
    symlinkSync(realpathSync('/usr/bin/python3'), path.join(bare, 'python3'));
    const project = path.join(work, 'plainproject');
    mkdirSync(project);
    writeFileSync(path.join(project, 'plain.py'), 'def double(x):\n    return x * 2\n');
    const out = path.join(work, 'plain-out');
    const refused = await generate(path.join(project, 'plain.py'), out, { PATH: bare });
    expect(refused.status).toBe(5);
    expect(refused.stderr.trim()).toMatch(/^error: .*bwrap was not found on PATH.*install bubblewrap.*--no-sandbox/);
    expect(readdirSync(work)).not.toContain('plain-out');

    // No LOG_LEVEL: the CLI's quiet console still shows the warning, and no info line.
    const unconfined = await generate(path.join(project, 'plain.py'), out, { PATH: bare, LOG_LEVEL: undefined }, [
      '--no-sandbox',
    ]);
    expect(unconfined.status).toBe(0);
    expect(unconfined.stdout).toContain('Unconfined: the sandbox was off');
    expect(unconfined.stderr).toContain('The sandbox is off: the code under test runs unconfined');
    expect(
      unconfined.stderr
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).level),
    ).toEqual(['warn']);
    const report = JSON.parse(readFileSync(path.join(out, 'test-agent-report.json'), 'utf8')) as { sandbox: unknown };
    expect(report.sandbox).toEqual({ confined: false });
    expect(readFileSync(path.join(out, 'test-agent-report.md'), 'utf8')).toContain('**Unconfined:**');
  });
});
