import { appendFileSync, copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CapturingLogger } from '@test-agent/domain/testing';
import { startLlmStandIn, type LlmStandInProcess } from '@test-agent/infrastructure/testing';
import { createTestAgent } from './create-test-agent';

// Hybrid with a working LLM (the default strategy) end to end: the real offline engine first, then the LLM loop
// against the stand-in's scripted model, which computes its answers from the prompt it is sent (the numbered
// code, the marks, the import statement, the error of a failing test) and refuses a prompt without code. Nothing
// in the stand-in names ledger.py: the tests it writes exist only if the prompt carried what they are made of.
const fixtures = path.join(__dirname, '__fixtures__', 'llm-generation');
const SLOW_SETTLE = `

import time


def settle(amount: int) -> str:
    \"\"\"Settles an amount with the bank, which answers slowly.\"\"\"
    time.sleep(1.5)
    if amount > 500:
        return "large"
    return "small"
`;

describe('hybrid generation against the prompt-reading stand-in', () => {
  jest.setTimeout(180_000);
  // Every stand-in a test starts is stopped after it: one left running keeps jest (and so CI) from exiting.
  const started: LlmStandInProcess[] = [];
  const standInWith = async (script: Record<string, unknown>) => {
    const standIn = await startLlmStandIn(script);
    started.push(standIn);
    return standIn;
  };
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.stop()));
  });

  it('adds LLM tests for what the offline engine left, made from the code, marks and errors the prompts carried', async () => {
    const standIn = await standInWith({ model: 'qwen2.5:7b', reader: { mistakes: { badImport: 1 } } });
    const dir = mkdtempSync(path.join(tmpdir(), 'ta-llm-reader-'));
    const module = path.join(dir, 'ledger.py');
    copyFileSync(path.join(fixtures, 'ledger.py'), module);
    // A function the offline engine cannot test: every call runs past its per-call limit (1 s), while a pytest
    // test may take 10 s. What the offline engine reaches of the rest of ledger.py, it reaches whole.
    appendFileSync(module, SLOW_SETTLE);
    const out = path.join(dir, 'out');
    const started = Date.now();
    const report = await createTestAgent(
      {
        llmProvider: 'openai',
        llmUrl: standIn.url,
        llmModel: 'qwen2.5:7b',
        timeBudgetSeconds: 5,
        flakyReruns: 1,
        logLevel: 'debug',
      },
      { logger: new CapturingLogger() },
    ).generate({ path: module, outDir: out, targetCoverage: 100, maxIterations: 2, perturbMachine: false });
    const seconds = (Date.now() - started) / 1000;

    const [m] = report.modules;
    expect(report.strategy).toBe('hybrid');
    expect(m.error).toBeUndefined();
    const llm = m.llm!;
    expect(llm.accepted.offline).toBeGreaterThan(0);
    // The key property: LLM tests were accepted and added coverage to what the offline engine left. A prompt
    // without the code (or the marks, or the import statement) gets a refusal from the stand-in: no test, and
    // this fails; so does a repair turn without the error text (the first answer's first test imports its
    // function from a package that does not exist, and passes only once repaired).
    const [chunk] = llm.chunks;
    expect(llm.accepted.unit).toBeGreaterThanOrEqual(1);
    expect(chunk.after.lines.covered + chunk.after.branches.covered).toBeGreaterThan(
      chunk.before.lines.covered + chunk.before.branches.covered,
    );
    expect(llm.repairs.succeeded).toBeGreaterThanOrEqual(1);

    // What the stand-in read: the module's code, numbered, with exactly the offline engine's gaps marked.
    const { answers, stats } = await standIn.state();
    const logs = answers.map((a) => a.reader!);
    expect(answers.every((a) => a.source === 'reader')).toBe(true);
    const first = logs.find((l) => l.kind === 'unit')!;
    expect(first.refused).toBeUndefined();
    expect(first.marks!.lines).toHaveLength(chunk.before.lines.total - chunk.before.lines.covered);
    expect(first.marks!.branches).toHaveLength(chunk.before.branches.total - chunk.before.branches.covered);
    expect(first.mistakes).toEqual(['badImport']);
    // Each test it wrote for marked lines that was kept now covers them.
    const written = readFileSync(path.join(out, 'test_ledger.py'), 'utf8');
    const accepted = first.tests!.filter((t) => new RegExp(`^def ${t.name}\\(`, 'm').test(written));
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    for (const t of accepted) {
      for (const line of t.lines) {
        expect(first.marks!.lines).toContain(line);
        expect(m.missingLines).not.toContain(line);
      }
    }
    const repairs = logs.filter((l) => l.kind === 'repair');
    // Every failing test the loop sent for repair was named in a repair turn the stand-in read.
    expect(repairs.flatMap((r) => [...(r.repaired ?? []), ...(r.unfixable ?? [])])).toHaveLength(llm.repairs.attempted);
    const badImportTest = first.tests![0].name;
    expect(repairs.some((r) => r.repaired?.includes(badImportTest))).toBe(true);
    expect(accepted.map((t) => t.name)).toContain(badImportTest);

    // Round 2 continued the conversation: its feedback turn listed what was still missing, a subset of the first
    // marks that holds every line the final suite misses, and got tests under new names.
    const feedback = logs.filter((l) => l.kind === 'follow-up');
    expect(feedback.length).toBeGreaterThanOrEqual(1);
    for (const f of feedback) {
      expect(f.refused).toBeUndefined();
      for (const line of f.marks!.lines) expect(first.marks!.lines).toContain(line);
      for (const line of m.missingLines) expect(f.marks!.lines).toContain(line);
      expect(f.tests!.every((t) => !first.tests!.some((e) => e.name === t.name))).toBe(true);
    }

    // The report's token totals are what the stand-in reported with its answers.
    expect(llm.promptTokens).toBe(stats.promptTokens);
    expect(llm.completionTokens).toBe(stats.completionTokens);
    expect(llm.llmCalls + llm.summaryCalls).toBe(answers.length);
    console.log(
      `measured: hybrid on ledger.py in ${seconds.toFixed(1)} s, offline ${llm.accepted.offline} tests, LLM ${llm.accepted.unit} accepted of ${llm.funnel.generated}, ${llm.repairs.succeeded}/${llm.repairs.attempted} repairs, ${stats.promptTokens}+${stats.completionTokens} tokens, coverage ${m.coverage.percent.combined.toFixed(1)} %`,
    );
  });

  it('three rounds with feedback reach more coverage than one: each follow-up lists what is still missing', async () => {
    // A model that writes two tests per answer (a short answer budget, as a small local model has): one round
    // leaves gaps, and only the follow-up turns, which list the lines and branches still missing, tell it where.
    const standIn = await standInWith({ model: 'qwen2.5:7b', reader: { maxTests: 2 } });
    const dir = mkdtempSync(path.join(tmpdir(), 'ta-llm-rounds-'));
    const module = path.join(dir, 'ledger.py');
    copyFileSync(path.join(fixtures, 'ledger.py'), module);
    const agent = createTestAgent(
      { llmProvider: 'openai', llmUrl: standIn.url, llmModel: 'qwen2.5:7b', llmMaxConcurrency: 1, flakyReruns: 1 },
      { logger: new CapturingLogger() },
    );
    const run = async (rounds: number) => {
      await standIn.reset();
      const report = await agent.generate({
        path: module,
        outDir: path.join(dir, `out-${rounds}`),
        strategy: 'llm',
        targetCoverage: 100,
        maxIterations: rounds,
      });
      const [m] = report.modules;
      expect(m.error).toBeUndefined();
      const { answers, stats } = await standIn.state();
      // The report's token totals are what the stand-in counted, in every run.
      expect(m.llm!.promptTokens).toBe(stats.promptTokens);
      expect(m.llm!.completionTokens).toBe(stats.completionTokens);
      return { m, logs: answers.map((a) => a.reader!).filter(Boolean) };
    };
    const one = await run(1);
    const three = await run(3);

    expect(one.logs.filter((l) => l.kind === 'follow-up')).toHaveLength(0);
    const followUps = three.logs.filter((l) => l.kind === 'follow-up');
    expect(followUps.length).toBeGreaterThanOrEqual(2);
    const first = three.logs.find((l) => l.kind === 'unit')!;
    // Each follow-up asked for less than the one before it: the gaps the earlier rounds closed were left out.
    let asked = first.marks!.lines.length + first.marks!.branches.length;
    for (const f of followUps) {
      expect(f.refused).toBeUndefined();
      const now = f.marks!.lines.length + f.marks!.branches.length;
      expect(now).toBeLessThan(asked);
      for (const line of f.marks!.lines) expect(first.marks!.lines).toContain(line);
      asked = now;
    }
    const covered = (r: typeof one) => r.m.coverage.lines.covered + r.m.coverage.branches.covered;
    expect(covered(three)).toBeGreaterThan(covered(one));
    expect(three.m.coverage.percent.combined).toBeGreaterThan(one.m.coverage.percent.combined);
    console.log(
      `measured: ledger.py, LLM only, 2 tests per answer: 1 round ${one.m.coverage.percent.combined.toFixed(1)} % (${one.m.tests} tests), 3 rounds ${three.m.coverage.percent.combined.toFixed(1)} % (${three.m.tests} tests, ${followUps.length} follow-ups)`,
    );
  });
});
