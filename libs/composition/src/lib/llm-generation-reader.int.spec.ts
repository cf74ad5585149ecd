import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CapturingLogger } from '@test-agent/domain/testing';
import { startLlmStandIn, type LlmStandInProcess, type LlmStandInState } from '@test-agent/infrastructure/testing';
import { createTestAgent } from './create-test-agent';

// Hybrid with a working LLM (the default strategy) end to end: the real offline engine first, then the LLM loop
// against the stand-in's scripted model, which computes its answers from the prompt it is sent (the numbered
// code, the marks, the import statement, the error of a failing test) and refuses a prompt without code. Nothing
// in the stand-in names ledger.py: the tests it writes exist only if the prompt carried what they are made of.
const fixtures = path.join(__dirname, '__fixtures__', 'llm-generation');

/** What the scripted model logs per answer (tools/llm-stand-in/README.md, "Scripted model"). */
interface ReaderLog {
  readonly kind: string;
  readonly refused?: string;
  readonly marks?: { readonly lines: number[]; readonly branches: [number, number][] };
  readonly tests?: { readonly name: string; readonly lines: number[]; readonly branches: [number, number][] }[];
  readonly mistakes?: string[];
  readonly repaired?: string[];
  readonly unfixable?: string[];
}
type ReaderState = LlmStandInState & {
  readonly answers: { readonly source: string; readonly reader?: ReaderLog }[];
  readonly stats: LlmStandInState['stats'] & { readonly promptTokens: number; readonly completionTokens: number };
};

describe('hybrid generation against the prompt-reading stand-in', () => {
  jest.setTimeout(180_000);
  let standIn: LlmStandInProcess;
  afterAll(() => standIn?.stop());

  it('adds LLM tests for what the offline engine left, made from the code, marks and errors the prompts carried', async () => {
    standIn = await startLlmStandIn({ model: 'qwen2.5:7b', reader: { mistakes: { badImport: 1 } } });
    const dir = mkdtempSync(path.join(tmpdir(), 'ta-llm-reader-'));
    const module = path.join(dir, 'ledger.py');
    copyFileSync(path.join(fixtures, 'ledger.py'), module);
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
    const { answers, stats } = (await standIn.state()) as ReaderState;
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
});
