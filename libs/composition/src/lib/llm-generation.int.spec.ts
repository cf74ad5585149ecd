import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CONTEXT_SAFETY_RATIO, resolveModelProfile } from '@test-agent/domain';
import { CapturingLogger } from '@test-agent/domain/testing';
import { LocalTokenCounterFactory } from '@test-agent/infrastructure';
import { startLlmStandIn, type LlmStandInProcess } from '@test-agent/infrastructure/testing';
import { createTestAgent } from './create-test-agent';

// The LLM generation pipeline end to end: real chunking (tree-sitter, Qwen tokenizer), real HTTP to the LLM
// stand-in replaying realistic answers (wrong tests, a bad import, a truncated answer, a suspected bug), real
// pytest + coverage.py. Nothing in between is faked.
const fixtures = path.join(__dirname, '__fixtures__', 'llm-generation');
const python = path.join(path.resolve(__dirname, '../../../..'), '.venv', 'bin', 'python');
const CONTEXT = 4000;
const RESERVED = 800;
const PROMPT_BUDGET = Math.floor(CONTEXT_SAFETY_RATIO * CONTEXT) - RESERVED;

interface ChatBody {
  messages: { role: string; content: string }[];
}

async function chatBodies(standIn: LlmStandInProcess): Promise<ChatBody[]> {
  return (await standIn.state()).requests
    .filter((r) => r.path.endsWith('/chat/completions'))
    .map((r) => r.body as ChatBody);
}

async function promptTokens(bodies: ChatBody[]): Promise<number[]> {
  const counter = new LocalTokenCounterFactory().forProfile(resolveModelProfile('qwen2.5:7b'));
  return Promise.all(
    bodies.map(async (b) => (await counter.countMany(b.messages.map((m) => m.content))).reduce((a, n) => a + n + 4, 0)),
  );
}

const settings = (url: string) => ({
  llmProvider: 'openai',
  // One chunk at a time: the scripted answers, their order and the figures below depend on it.
  llmMaxConcurrency: 1,
  llmUrl: url,
  llmModel: 'qwen2.5:7b',
  llmContextWindow: CONTEXT,
  reservedCompletionTokens: RESERVED,
  smallModuleTokens: 200,
  flakyReruns: 2,
  logLevel: 'debug',
});

describe('LLM generation against the stand-in', () => {
  jest.setTimeout(300_000);
  let standIn: LlmStandInProcess;

  afterEach(async () => {
    await standIn?.stop();
  });

  it('repairs the wrong tests of an answer together, reports a suspected bug, and reports what coverage.py measures', async () => {
    standIn = await startLlmStandIn(
      JSON.parse(readFileSync(path.join(fixtures, 'script.json'), 'utf8')) as Record<string, unknown>,
    );
    const dir = mkdtempSync(path.join(tmpdir(), 'ta-llm-e2e-'));
    mkdirSync(path.join(dir, 'project'));
    const module = path.join(dir, 'project', 'ledger.py');
    copyFileSync(path.join(fixtures, 'ledger.py'), module);
    const out = path.join(dir, 'out');
    const logger = new CapturingLogger();
    // A prompt overhead of 2,550 tokens leaves 250 tokens per chunk: ledger.py becomes three chunks.
    const agent = createTestAgent({ ...settings(standIn.url), promptOverheadTokens: 2550 }, { logger });

    const report = await agent.generate({
      path: module,
      outDir: out,
      strategy: 'llm',
      targetCoverage: 100,
      maxIterations: 1,
    });

    const [m] = report.modules;
    const llm = m.llm!;
    expect(llm.chunks.map((c) => [c.startLine, c.endLine])).toEqual([
      [1, 38],
      [39, 68],
      [69, 82],
    ]);
    // 6 + 5 (one cut off by the truncated answer) + 3 unit tests, 1 integration test.
    expect(llm.funnel).toEqual({ generated: 15, parsed: 14, imported: 14, passed: 13, stable: 13, addedCoverage: 11 });
    // The bad import and the wrong assertion were repaired in one turn; the suspected bug, flagged after its first
    // repair turn, is not repaired again.
    expect(llm.repairs).toEqual({ attempted: 3, succeeded: 2 });
    expect(llm.chunks.map((c) => c.llmCalls)).toEqual([2, 1, 2]);
    expect(llm.suspectedDefects.map((d) => d.test)).toEqual(['test_report_lists_zero_balances']);
    expect(llm.suspectedDefects[0].symbols).toEqual(['Ledger.balances', 'format_report']);
    expect(llm.suspectedDefects[0].message).toMatch(/^AssertionError: assert 'rent' in 'bank /);
    expect(llm.stoppedBy).toBe('iterations');
    expect(report.files.map((f) => path.basename(f)).sort()).toEqual(
      [
        'conftest.py',
        'test-agent-report.json',
        'test-agent-report.md',
        'test_ledger.py',
        'test_ledger_integration.py',
      ].sort(),
    );
    const unitFile = readFileSync(path.join(out, 'test_ledger.py'), 'utf8');
    expect(unitFile).not.toContain('MAXIMUM');
    expect(unitFile).not.toContain('test_balance_of_unknown_account');
    expect(unitFile).not.toContain('test_report_lists_zero_balances');
    const markdown = readFileSync(report.reports.markdown, 'utf8');
    expect(markdown).toContain('| tests | 15 | 14 | 14 | 13 | 13 | 11 |');
    expect(markdown).toContain('### Suspected defects in the code under test');

    // Every prompt, repairs included, fits floor(0.9 × context) − reserved completion.
    const tokens = await promptTokens(await chatBodies(standIn));
    console.log(
      `measured: ${tokens.length} prompts, largest ${Math.max(...tokens)} tokens (Qwen tokenizer) of a ${PROMPT_BUDGET}-token budget`,
    );
    expect(tokens.length).toBe(llm.llmCalls + llm.summaryCalls);
    expect(llm.summaryCalls).toBe(2);
    expect(Math.max(...tokens)).toBeLessThanOrEqual(PROMPT_BUDGET);

    // The written tests pass under plain pytest, started from elsewhere ...
    const elsewhere = mkdtempSync(path.join(tmpdir(), 'ta-llm-run-'));
    const run = spawnSync(python, ['-m', 'pytest', '-q', '--color=no', '-p', 'no:cacheprovider', out], {
      cwd: elsewhere,
      encoding: 'utf8',
    });
    expect(run.stdout).toMatch(new RegExp(`^${m.tests} passed`, 'm'));
    expect(run.status).toBe(0);
    // ... and the reported coverage is what `coverage run --branch -m pytest` measures.
    execFileSync(
      python,
      [
        '-m',
        'coverage',
        'run',
        '--branch',
        `--source=${path.dirname(module)}`,
        '-m',
        'pytest',
        '-q',
        '-p',
        'no:cacheprovider',
        out,
      ],
      { cwd: elsewhere },
    );
    execFileSync(python, ['-m', 'coverage', 'json', '-o', 'coverage.json'], { cwd: elsewhere });
    const measured = (
      JSON.parse(readFileSync(path.join(elsewhere, 'coverage.json'), 'utf8')) as {
        files: Record<string, { summary: Record<string, number> }>;
      }
    ).files;
    const summary = Object.entries(measured).find(([file]) => file.endsWith('ledger.py'))![1].summary;
    expect(m.coverage.lines).toEqual({ covered: summary.covered_lines, total: summary.num_statements });
    expect(m.coverage.branches).toEqual({ covered: summary.covered_branches, total: summary.num_branches });
    expect(m.coverage.percent.combined).toBeCloseTo(summary.percent_covered, 6);
    expect(existsSync(path.join(out, '.test-agent', 'checkpoints'))).toBe(true);
  });

  it('keeps what was accepted before an LLM outage and continues with --resume', async () => {
    const script = JSON.parse(readFileSync(path.join(fixtures, 'script.json'), 'utf8')) as Record<string, unknown>;
    // The first summary and the first chunk's answer arrive (the chunk with the largest gap, the Ledger class: five
    // tests, one cut off); every later call fails.
    standIn = await startLlmStandIn({ ...script, faults: [{ status: 503, times: 'always', after: 2 }] });
    const dir = mkdtempSync(path.join(tmpdir(), 'ta-llm-resume-'));
    const module = path.join(dir, 'ledger.py');
    copyFileSync(path.join(fixtures, 'ledger.py'), module);
    const out = path.join(dir, 'out');
    const request = { path: module, outDir: out, strategy: 'llm' as const, targetCoverage: 100, maxIterations: 1 };
    const options = { ...settings(standIn.url), promptOverheadTokens: 2550, llmMaxRetries: 0 };

    await expect(createTestAgent(options, { logger: new CapturingLogger() }).generate(request)).rejects.toMatchObject({
      kind: 'external',
    });
    expect(existsSync(path.join(out, 'test_ledger.py'))).toBe(false);

    await standIn.stop();
    standIn = await startLlmStandIn(script);
    const report = await createTestAgent(
      { ...options, llmUrl: standIn.url },
      { logger: new CapturingLogger() },
    ).generate({ ...request, resume: true });
    const llm = report.modules[0].llm!;
    expect(llm.resumed).toBe(true);
    // The first run's answer is carried over from the checkpoint: a fresh run would report 15 generated and 6 calls.
    expect(llm.funnel.generated).toBe(15 + 5);
    expect(llm.llmCalls).toBe(6 + 1);
    expect(llm.funnel.addedCoverage).toBe(11);
  });

  it('keeps every prompt of a 2,000-line module inside a 4,000-token context', async () => {
    // Answers take 50 ms, so chunks prompted at once overlap at the server.
    standIn = await startLlmStandIn({
      model: 'qwen2.5:7b',
      latencyMs: 50,
      default: { text: 'No tests: the functions are trivial.' },
    });
    const dir = mkdtempSync(path.join(tmpdir(), 'ta-llm-big-'));
    const lines = ['"""Generated: many small functions that call each other."""', '', 'LIMIT = 100', ''];
    for (let i = 0; i < 222; i++) {
      lines.push(
        '',
        `def step_${i}(value: int) -> int:`,
        `    """Step ${i}: adds ${i} unless over LIMIT."""`,
        `    if value > LIMIT:`,
        `        return ${i === 0 ? 'value' : `step_${i - 1}(value - ${i})`}`,
        `    total = value + ${i}`,
        `    for _ in range(2):`,
        `        total += 1`,
        `    return total`,
      );
    }
    const module = path.join(dir, 'big_module.py');
    writeFileSync(module, `${lines.join('\n')}\n`);
    expect(lines.length).toBeGreaterThanOrEqual(2000);
    // Three chunks at once (the endpoint's LLM_MAX_CONCURRENCY).
    const agent = createTestAgent(
      { ...settings(standIn.url), llmMaxConcurrency: 3 },
      { logger: new CapturingLogger() },
    );

    const report = await agent.generate({
      path: module,
      outDir: path.join(dir, 'out'),
      strategy: 'llm',
      maxIterations: 1,
    });

    const llm = report.modules[0].llm!;
    expect(llm.chunks.length).toBeGreaterThan(10);
    expect(llm.chunks.filter((c) => c.skipped)).toEqual([]);
    const bodies = await chatBodies(standIn);
    const tokens = await promptTokens(bodies);
    // One prompt per chunk, plus one summary per chunk other chunks depend on.
    expect(bodies.filter((b) => b.messages.some((m) => m.content.includes('Code to test ('))).length).toBe(
      llm.chunks.length,
    );
    console.log(
      `measured: ${lines.length}-line module, ${llm.chunks.length} chunks, ${tokens.length} prompts, largest ${Math.max(...tokens)} tokens of ${PROMPT_BUDGET}`,
    );
    expect(Math.max(...tokens)).toBeLessThanOrEqual(PROMPT_BUDGET);
    expect(report.modules[0].tests).toBe(0);
    // The chunks were prompted three at a time, and no summary was asked for twice.
    const { stats } = await standIn.state();
    expect(stats.maxInFlightChat).toBe(3);
    const summaries = bodies.filter((b) => !b.messages.some((m) => m.content.includes('Code to test (')));
    expect(new Set(summaries.map((b) => JSON.stringify(b.messages))).size).toBe(summaries.length);
  });
});
