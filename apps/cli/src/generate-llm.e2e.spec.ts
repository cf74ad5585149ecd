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
  const child = spawn(process.execPath, [path.join(root, 'tools/llm-stand-in/main.cjs'), '--port', '0', '--script', path.join(dir, 'script.json')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
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
  // A branch no search can reach: it depends on an environment variable the sandbox never has.
  writeFileSync(path.join(cwd, 'modes.py'), 'import os\n\n\ndef mode(default: str = "slow") -> str:\n    if os.environ.get("TA_EXAMPLE_MODE") == "fast":\n        return "fast"\n    return default\n');
  const run = spawnSync(bin, ['generate', module, '--out', 'tests', '--time-budget', '3', ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, LOG_LEVEL: 'error', LLM_PROVIDER: '', LLM_URL: '', TEST_AGENT_FLAKY_RERUNS: '1', LLM_MAX_RETRIES: '0', ...env },
    timeout: 240_000,
  });
  return { cwd, code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('generate with an LLM', () => {
  jest.setTimeout(240_000);
  let standIn: { url: string; child: ChildProcess } | undefined;
  afterEach(() => standIn?.child.kill());

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
    const { cwd, code, stdout, stderr } = generate(['--strategy', 'llm', '--llm-url', standIn.url, '--model', 'qwen2.5:7b', '--max-iterations', '1']);
    expect(stderr).toMatch(/^\[calculator\] chunk 1\/1 \(.*\), round 1$/m);
    expect(stderr).toMatch(/^\[calculator\] chunk 1: 2 tests accepted, line\+branch \d+\.\d %, \d+ tokens so far$/m);
    expect(code).toBe(10); // two tests cannot reach 80 %
    expect(stdout).toMatch(/tests\/test_calculator\.py: 2 tests/);
    expect(stdout).toMatch(/LLM: 2 calls, \d+ tokens; funnel 2 generated → 2 parse → 2 import → 2 pass → 2 stable → 2 add coverage/);
    expect(readFileSync(path.join(cwd, 'tests', 'test_calculator.py'), 'utf8')).toContain('def test_divide_halves():');
  });

  it('fails with exit 6 naming the endpoint when the LLM is down, and never fabricates tests', () => {
    const { cwd, code, stderr, stdout } = generate(['--strategy', 'llm', '--llm-url', 'http://127.0.0.1:9', '--timeout', '60']);
    expect(code).toBe(6);
    expect(stderr.trim().split('\n').pop()).toMatch(/^error: .*llm-api http:\/\/127\.0\.0\.1:9/);
    expect(stdout).toBe('');
    expect(existsSync(path.join(cwd, 'tests', 'test_calculator.py'))).toBe(false);
  });

  it('under hybrid, writes the offline tests before reporting the LLM outage', () => {
    const { cwd, code, stderr } = generate(['--strategy', 'hybrid', '--target-coverage', '100', '--llm-url', 'http://127.0.0.1:9'], {}, 'modes.py');
    expect(code).toBe(6);
    expect(stderr).toMatch(/the offline engine's \d+ tests were written to .*test_modes\.py; run again with --resume/);
    expect(readFileSync(path.join(cwd, 'tests', 'test_modes.py'), 'utf8')).toContain('def test_mode');
  });
});
