import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// `generate` with an LLM, as a user runs it: the real CLI against the LLM stand-in process over HTTP.
const root = path.resolve(__dirname, '../../..');
const bin = path.join(root, 'bin', 'test-agent');
const example = path.join(root, 'examples', 'calculator.py');

function startStandIn(script: object): Promise<{ url: string; child: ChildProcess }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ta-standin-'));
  writeFileSync(path.join(dir, 'script.json'), JSON.stringify(script));
  const child = spawn(
    process.execPath,
    [path.join(root, 'tools/llm-stand-in/main.cjs'), '--port', '0', '--script', path.join(dir, 'script.json')],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('\n')) resolve({ url: (JSON.parse(out.split('\n')[0]) as { url: string }).url, child });
    });
    child.once('exit', (code) => reject(new Error(`stand-in exited with ${code}`)));
  });
}

function generate(args: string[], env: Record<string, string> = {}, module = 'calculator.py') {
  const cwd = mkdtempSync(path.join(tmpdir(), 'ta-gen-llm-'));
  copyFileSync(example, path.join(cwd, 'calculator.py'));
  // A branch no search can reach: it needs an environment variable set to the one value whose digest the code
  // compares with (the search sets the variables a module reads, but to values the code spells, not to pre-images).
  const modes = [
    'import hashlib',
    'import os',
    '',
    '_FAST = "115dc3606fbf8691fb69f2aefec86f2ecd302362a0502b3a9648bf2c4dc8290f"',
    '',
    '',
    'def mode(default: str = "slow") -> str:',
    '    value = os.environ.get("TA_EXAMPLE_MODE", "")',
    '    if hashlib.sha256(value.encode()).hexdigest() == _FAST:',
    '        return "FAST"',
    '    return default',
    '',
  ].join('\n');
  writeFileSync(path.join(cwd, 'modes.py'), modes);
  // The calculator with that branch added: the offline engine covers the rest, the LLM must add the branch.
  writeFileSync(path.join(cwd, 'calculator_env.py'), `${readFileSync(example, 'utf8')}\n\n${modes}`);
  const run = spawnSync(bin, ['generate', module, '--out', 'tests', '--time-budget', '3', ...args], {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      LOG_LEVEL: 'error',
      LLM_PROVIDER: '',
      LLM_URL: '',
      TEST_AGENT_FLAKY_RERUNS: '1',
      LLM_MAX_RETRIES: '0',
      ...env,
    },
    timeout: 240_000,
  });
  return { cwd, code: run.status, stdout: run.stdout, stderr: run.stderr };
}

async function standInState(
  url: string,
): Promise<{ stats: { byPath: Record<string, number> }; issuedTokens: string[] }> {
  return (await (await fetch(`${url}/__stand-in/state`)).json()) as {
    stats: { byPath: Record<string, number> };
    issuedTokens: string[];
  };
}

describe('generate with an LLM', () => {
  jest.setTimeout(240_000);
  let standIn: { url: string; child: ChildProcess } | undefined;
  let second: { url: string; child: ChildProcess } | undefined;
  afterEach(() => {
    standIn?.child.kill();
    second?.child.kill();
    second = undefined;
  });

  it("rolls back as the runbook says: GigaChat's counter and chat failing, hybrid writes the offline tests and the llm-api fallback's", async () => {
    const authKey = 'Y2xpZW50OnJvbGxiYWNrLXNlY3JldA==';
    standIn = await startStandIn({
      model: 'GigaChat',
      gigachat: { authKey },
      default: { text: 'never answered' },
      faults: [
        { path: '/api/v1/tokens/count', status: 503, times: 'always' },
        { path: '/api/v1/chat/completions', status: 503, times: 'always' },
      ],
    });
    second = await startStandIn({
      model: 'qwen2.5:7b',
      responses: [
        {
          match: { contains: ['Code to test (', 'def mode('] },
          text: '```python\nfrom calculator_env import mode\n\ndef test_mode_fast(monkeypatch):\n    monkeypatch.setenv("TA_EXAMPLE_MODE", "fast")\n    assert mode() == "FAST"\n```',
        },
      ],
      default: { text: 'Nothing more.' },
    });
    const { cwd, code, stdout, stderr } = generate(
      // The offline engine must reach all but the environment branch, on a loaded machine too: a budget for that.
      ['--strategy', 'hybrid', '--target-coverage', '100', '--time-budget', '10'],
      {
        LOG_LEVEL: 'warn',
        LLM_PROVIDER: 'gigachat',
        LLM_MODEL: 'GigaChat',
        LLM_URL: `${standIn.url}/api/v1`,
        GIGACHAT_OAUTH_URL: `${standIn.url}/api/v2/oauth`,
        GIGACHAT_AUTH_KEY: authKey,
        LLM_FALLBACK_PROVIDER: 'llm-api',
        LLM_FALLBACK_URL: second.url,
        LLM_FALLBACK_MODEL: 'qwen2.5:7b',
      },
      'calculator_env.py',
    );
    expect(code).toBe(0);
    const tests = readFileSync(path.join(cwd, 'tests', 'test_calculator_env.py'), 'utf8');
    // The offline engine's (which call shows the error depends on the search), and the fallback's.
    expect(tests).toMatch(/\n {4}with pytest\.raises\(CalculatorError, match=r"division by zero"\):\n/);
    expect(tests).toContain('def test_mode_fast(monkeypatch):'); // the fallback's
    expect(stdout).toMatch(/line\+branch 100\.0 %/);
    const report = JSON.parse(readFileSync(path.join(cwd, 'tests', 'test-agent-report.json'), 'utf8')) as {
      modules: { llm: { accepted: { offline: number; unit: number }; tokenCounts: string; contextWindow: number } }[];
      llm: { servedBy: string[]; fallbacks: { from: string; to: string; reason: string; calls: number }[] };
    };
    expect(report.modules[0].llm).toMatchObject({
      accepted: { unit: 1 },
      tokenCounts: 'estimated',
      contextWindow: 8192,
    });
    // The report names the endpoint that served the run, the fallback and why; the window is the chain's smallest
    // (GigaChat's 8,192 against Qwen's 32,768).
    expect(report.llm).toMatchObject({
      servedBy: [`llm-api ${second.url}`],
      fallbackUsed: true,
      contextWindow: 8192,
      endpoints: [
        {
          role: 'primary',
          endpoint: `gigachat ${standIn.url}/api/v1`,
          answered: 0,
          countsEstimated: true,
          contextWindow: 8192,
          contextWindowSource: 'model profile',
        },
        {
          role: 'fallback',
          endpoint: `llm-api ${second.url}`,
          answered: 1,
          countsEstimated: false,
          contextWindow: 32_768,
          contextWindowSource: 'model profile',
        },
      ],
    });
    expect(report.llm.fallbacks[0]).toMatchObject({
      from: `gigachat ${standIn.url}/api/v1`,
      to: `llm-api ${second.url}`,
      reason: 'server-error',
      calls: 1,
    });
    expect(readFileSync(path.join(cwd, 'tests', 'test-agent-report.md'), 'utf8')).toContain(
      `- Fallback: 1 call moved from gigachat ${standIn.url}/api/v1 to llm-api ${second.url} (server-error): `,
    );
    expect(report.modules[0].llm.accepted.offline).toBeGreaterThan(10);
    // The switch is logged, naming both endpoints; the counter's failure too.
    expect(stderr).toContain(`"message":"LLM endpoint failed; switching to the next endpoint"`);
    expect(stderr).toContain(`"to":"llm-api ${second.url}"`);
    expect(stderr).toContain('token counts are local estimates from now on');
    const [primary, fallback] = await Promise.all([standInState(standIn.url), standInState(second.url)]);
    expect(primary.stats.byPath['POST /api/v1/tokens/count']).toBeGreaterThanOrEqual(1);
    expect(primary.stats.byPath['POST /api/v1/chat/completions']).toBeGreaterThanOrEqual(1);
    expect(fallback.stats.byPath['POST /chat']).toBe(1);
    // No secret reaches the logs, the report or the tests.
    const written = [
      stderr,
      stdout,
      tests,
      readFileSync(path.join(cwd, 'tests', 'test-agent-report.json'), 'utf8'),
      readFileSync(path.join(cwd, 'tests', 'test-agent-report.md'), 'utf8'),
    ].join('\n');
    for (const secret of [authKey, ...primary.issuedTokens]) expect(written).not.toContain(secret);
  });

  it('runs the llm strategy chunk by chunk with --llm-url, prints progress lines and writes the tests', async () => {
    standIn = await startStandIn({
      model: 'qwen2.5:7b',
      responses: [
        {
          match: { contains: ['Code to test ('] },
          text: '```python\nimport pytest\nfrom calculator import divide, CalculatorError\n\ndef test_divide_by_zero_raises():\n    with pytest.raises(CalculatorError):\n        divide(1, 0)\n\ndef test_divide_halves():\n    assert divide(3, 2) == 1.5\n```',
        },
      ],
      default: { text: 'Nothing more.' },
    });
    const { cwd, code, stdout, stderr } = generate([
      '--strategy',
      'llm',
      '--llm-url',
      standIn.url,
      '--model',
      'qwen2.5:7b',
      '--max-iterations',
      '1',
    ]);
    expect(stderr).toMatch(/^\[calculator\] chunk 1\/1 \(.*\), round 1$/m);
    expect(stderr).toMatch(/^\[calculator\] chunk 1: 2 tests accepted, line\+branch \d+\.\d %, \d+ tokens so far$/m);
    expect(code).toBe(10); // two tests cannot reach 80 %
    expect(stdout).toMatch(/tests\/test_calculator\.py: 2 tests/);
    expect(stdout).toMatch(
      /LLM: 2 calls, \d+ tokens; funnel 2 generated → 2 parse → 2 import → 2 pass → 2 stable → 2 add coverage/,
    );
    expect(readFileSync(path.join(cwd, 'tests', 'test_calculator.py'), 'utf8')).toContain('def test_divide_halves():');
  });

  it('fails with exit 6 naming the endpoint when the LLM is down, and never fabricates tests', () => {
    const { cwd, code, stderr, stdout } = generate([
      '--strategy',
      'llm',
      '--llm-url',
      'http://127.0.0.1:9',
      '--timeout',
      '60',
    ]);
    expect(code).toBe(6);
    expect(stderr.trim().split('\n').pop()).toMatch(/^error: .*llm-api http:\/\/127\.0\.0\.1:9/);
    expect(stdout).toBe('');
    expect(existsSync(path.join(cwd, 'tests', 'test_calculator.py'))).toBe(false);
  });

  it('under hybrid, writes the offline tests before reporting the LLM outage', () => {
    const { cwd, code, stderr } = generate(
      ['--strategy', 'hybrid', '--target-coverage', '100', '--llm-url', 'http://127.0.0.1:9'],
      {},
      'modes.py',
    );
    expect(code).toBe(6);
    expect(stderr).toMatch(
      /the offline engine's \d+ tests were written to .*test_modes\.py; resume the run when the LLM is back \(--resume\)/,
    );
    expect(readFileSync(path.join(cwd, 'tests', 'test_modes.py'), 'utf8')).toContain('def test_mode');
  });
});
