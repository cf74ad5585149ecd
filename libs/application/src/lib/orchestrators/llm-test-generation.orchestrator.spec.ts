import {
  CoverageReport,
  InvalidInputError,
  type Branch,
  type CheckpointStore,
  type ChunkSummary,
  type ChatMessage,
  type ChatResult,
  type CodeChunk,
  type CodeSummarizer,
  type LlmClient,
  type LlmHealth,
  type FunctionOutline,
  type ModuleOutline,
  type SummaryRequest,
  type TestCase,
  type TestFile,
  type TestOutcome,
  type TestRunRequest,
  type TestRunResult,
} from '@test-agent/domain';
import {
  CapturingLogger,
  FakeLlmClient,
  FakeTokenCounter,
  ScriptedTestExecutor,
  type FakeLlmStep,
} from '@test-agent/domain/testing';
import { digest } from '../services/test-file-assembler/test-file-assembler.service';
import {
  LlmTestGeneration,
  type LlmGenerationRequest,
  type LlmGenerationResult,
  type LlmProgressEvent,
} from './llm-test-generation.orchestrator';

// The module under test, calc.py: statements 1, 2, 4, 5, 6, 7 and the branches of line 5.
const source = [
  'def add(a, b):', //                                  1
  '    return a + b', //                                2
  '', //                                                3
  'def divide(a, b):', //                               4
  '    if b == 0:', //                                  5
  '        raise ZeroDivisionError("b is zero")', //    6
  '    return a / b', //                                7
].join('\n');
const STATEMENTS = [1, 2, 4, 5, 6, 7];
const BRANCHES: Branch[] = [
  [5, 6],
  [5, 7],
];
/** What importing calc runs: its `def` lines. */
const IMPORT_LINES = [1, 4];
const target = { file: '/p/calc.py', importRoot: '/p', moduleName: 'calc' };
const checkpointKey = `${target.file}#${digest(source)}`;

const fn = (name: string, startLine: number, endLine: number): FunctionOutline => ({
  kind: 'function',
  name,
  qualifiedName: name,
  isAsync: false,
  decorators: [],
  startLine,
  endLine,
  defLine: startLine,
  headerEndLine: startLine,
  references: [],
});
const outline: ModuleOutline = {
  lineCount: 7,
  imports: [],
  moduleNames: ['add', 'divide'],
  errors: [],
  items: [fn('add', 1, 2), fn('divide', 4, 7)],
};
const chunk = (index: number, startLine: number, endLine: number, symbol: string, dependencies: string[] = []) => ({
  file: target.file,
  index,
  kind: 'function' as const,
  symbols: [symbol],
  startLine,
  endLine,
  code: `${source
    .split('\n')
    .slice(startLine - 1, endLine)
    .join('\n')}\n`,
  context: '',
  imports: [],
  dependencies,
  tokens: 12,
  overBudget: false,
});
const CHUNKS: CodeChunk[] = [chunk(0, 1, 3, 'add'), chunk(1, 4, 7, 'divide')];

const coverageOf = (lines: readonly number[], branches: readonly Branch[] = []) =>
  CoverageReport.fromData(target.file, {
    executedLines: STATEMENTS.filter((l) => lines.includes(l)),
    missingLines: STATEMENTS.filter((l) => !lines.includes(l)),
    executedBranches: BRANCHES.filter((b) => branches.some((x) => x[0] === b[0] && x[1] === b[1])),
    missingBranches: BRANCHES.filter((b) => !branches.some((x) => x[0] === b[0] && x[1] === b[1])),
  });

/**
 * pytest and coverage.py, simulated: a test's comments say what it does when it runs —
 * `# covers: 2 5` (module lines), `# takes: 5>6` (branches), `# fails: <assertion>`, `# flaky` (alternates on
 * re-runs), `# fails-with-others` (fails when other candidate files share the process). A file importing `nowhere`
 * does not import; one containing `<<<` is a syntax error. Collects `test*` functions and the `test*` methods of
 * `Test*` classes and `unittest` test case classes, as pytest does.
 */
class SimulatedPytest extends ScriptedTestExecutor {
  private flakyRuns = 0;

  constructor() {
    super((request) => this.simulate(request));
  }

  /** The runs that judged LLM candidates (one file per candidate), with the test names of each file. */
  judgedRuns(): string[][] {
    return this.requests
      .filter((r) => r.testFiles?.[0]?.name.startsWith('test_ta_candidate_'))
      .map((r) => (r.testFiles ?? []).flatMap((f) => collect(f).tests.map((t) => t.nodeId.split('::').pop())))
      .map((names) => names.filter((n): n is string => n !== undefined));
  }

  private simulate(request: TestRunRequest): TestRunResult {
    const outcomes: TestOutcome[] = [];
    const perTest = new Map<string, CoverageReport>();
    let coverage = coverageOf([]);
    const shared = (request.testFiles?.length ?? 0) > 1;
    for (const file of request.testFiles ?? []) {
      const { tests, error } = collect(file);
      if (/^import calc$/m.test(file.content)) coverage = coverage.union(coverageOf(IMPORT_LINES));
      if (error) {
        outcomes.push({ nodeId: file.name, status: 'error', error, durationMs: 1 });
        continue;
      }
      for (const test of tests) {
        if (request.select && !request.select.some((s) => test.nodeId === s || test.nodeId.startsWith(`${s}::`)))
          continue;
        const covers = [...(/# covers: ([\d ]+)/.exec(test.body)?.[1].trim().split(/\s+/).map(Number) ?? [])];
        const takes = (/# takes: ([\d> ]+)/.exec(test.body)?.[1].trim().split(/\s+/) ?? []).map(
          (b) => b.split('>').map(Number) as unknown as Branch,
        );
        const own = coverageOf(covers, takes);
        coverage = coverage.union(own);
        if (request.perTestCoverage) perTest.set(test.nodeId, own);
        const failure =
          /# fails: (.*)/.exec(test.body)?.[1] ??
          (shared && /# fails-with-others/.test(test.body) ? 'AssertionError: calc.add was patched' : undefined) ??
          (request.select && /# flaky/.test(test.body) && this.flakyRuns++ % 2 === 1 ? 'assert 0.1 == 0.2' : undefined);
        outcomes.push(
          failure === undefined
            ? { nodeId: test.nodeId, status: 'passed', durationMs: 1 }
            : { nodeId: test.nodeId, status: 'failed', error: `>       ${failure}\nE       ${failure}`, durationMs: 1 },
        );
      }
    }
    return {
      outcomes,
      coverage,
      ...(request.perTestCoverage ? { perTest } : {}),
      collectionErrors: outcomes.filter((o) => !o.nodeId.includes('::')).map((o) => o.error as string),
      timedOut: false,
      durationMs: 5,
    };
  }
}

/** The tests pytest would collect from a file, each with its body, or why the file cannot be collected. */
function collect(file: TestFile): { tests: { nodeId: string; body: string }[]; error?: string } {
  if (file.content.includes('<<<')) return { tests: [], error: 'E     SyntaxError: invalid syntax' };
  if (/^(import nowhere|from nowhere import)/m.test(file.content)) {
    return {
      tests: [],
      error: "ImportError while importing test module\nE   ModuleNotFoundError: No module named 'nowhere'",
    };
  }
  const lines = file.content.split('\n');
  const tests: { nodeId: string; body: string }[] = [];
  const bodyFrom = (start: number, indent: number) => {
    const end = lines.findIndex(
      (l, i) =>
        i > start && l.trim() !== '' && (/^\s*/.exec(l)?.[0].length ?? 0) <= indent && !l.trim().startsWith('#'),
    );
    return lines.slice(start, end < 0 ? lines.length : end).join('\n');
  };
  let testClass: string | undefined;
  lines.forEach((line, i) => {
    const top = /^(?:async )?def (test\w*)\(/.exec(line);
    const cls = /^class (\w+)(?:\((.*)\))?:/.exec(line);
    const method = /^(\s+)(?:async )?def (test\w*)\(/.exec(line);
    if (/^\S/.test(line) && !line.startsWith('#') && !line.startsWith('@')) testClass = undefined;
    if (top) tests.push({ nodeId: `${file.name}::${top[1]}`, body: bodyFrom(i, 0) });
    if (cls && (cls[1].startsWith('Test') || /TestCase/.test(cls[2] ?? ''))) testClass = cls[1];
    if (method && testClass) {
      tests.push({ nodeId: `${file.name}::${testClass}::${method[2]}`, body: bodyFrom(i, method[1].length) });
    }
  });
  return { tests };
}

/** A test function whose comments tell the simulated pytest what it does. */
const pyTest = (name: string, behaviour: string, assertion = `assert calc.add(1, 2) == 3`) =>
  `def ${name}():\n${behaviour
    .split('\n')
    .map((l) => `    # ${l}\n`)
    .join('')}    ${assertion}`;
/** An answer as models write them: prose, then one python block with the import and the tests. */
const answer = (...blocks: string[]): FakeLlmStep => ({
  text: `Here are the tests.\n\n\`\`\`python\nimport calc\n\n${blocks.join('\n\n')}\n\`\`\`\n`,
});
const TEST_ADD = pyTest('test_add_two_numbers', 'covers: 2');
const TEST_DIVIDE = pyTest('test_divide_two_numbers', 'covers: 5 7\ntakes: 5>7', 'assert calc.divide(6, 3) == 2');
const TEST_DIVIDE_BY_ZERO = pyTest(
  'test_divide_by_zero_raises',
  'covers: 5 6\ntakes: 5>6',
  'with pytest.raises(ZeroDivisionError):\n        calc.divide(1, 0)',
);
const NOTHING_NEW = pyTest('test_add_again', 'covers: 2', 'assert calc.add(2, 2) == 4');
const DIVIDE_AGAIN = pyTest('test_divide_again', 'covers: 5 7\ntakes: 5>7', 'assert calc.divide(8, 4) == 2');

class InMemoryCheckpointStore implements CheckpointStore {
  readonly values = new Map<string, unknown>();
  readonly saves: { key: string; value: Record<string, unknown> }[] = [];
  async load(key: string): Promise<unknown> {
    const value = this.values.get(key);
    return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
  }
  async save(key: string, value: unknown): Promise<void> {
    const copy = JSON.parse(JSON.stringify(value));
    this.values.set(key, copy);
    this.saves.push({ key, value: copy });
  }
}

class FakeCodeSummarizer implements CodeSummarizer {
  readonly requests: SummaryRequest[] = [];
  constructor(private readonly usage?: ChunkSummary['usage']) {}
  async summarize(request: SummaryRequest): Promise<ChunkSummary> {
    this.requests.push(request);
    return {
      text: `${request.chunk.symbols.join(', ')} adds two numbers`,
      kind: 'llm',
      cached: false,
      ...(this.usage ? { usage: this.usage } : {}),
    };
  }
}

/** The world of one run: the fakes, a clock moved by hand, and the generation under test. */
function world(
  steps: FakeLlmStep[] = [],
  options: { promptBudgetTokens?: number; summarizer?: FakeCodeSummarizer } = {},
) {
  const clock = { ms: 0 };
  const llm = new FakeLlmClient('fake http://llm.invalid', steps);
  const executor = new SimulatedPytest();
  const logger = new CapturingLogger();
  const summarizer = options.summarizer ?? new FakeCodeSummarizer();
  const generation = new LlmTestGeneration({
    llm,
    executor,
    counter: new FakeTokenCounter(),
    promptBudgetTokens: options.promptBudgetTokens ?? 4000,
    summarizer,
    logger,
    now: () => clock.ms,
    perTestTimeoutMs: 5000,
  });
  const events: LlmProgressEvent[] = [];
  const run = (overrides: Partial<LlmGenerationRequest> = {}): Promise<LlmGenerationResult> =>
    generation.generate({
      target,
      source,
      outline,
      chunks: CHUNKS,
      targetCoverage: 100,
      maxIterations: 3,
      maxTokens: 1_000_000,
      deadline: 600_000,
      repairAttempts: 2,
      flakyRuns: 0,
      maxCompletionTokens: 100,
      onProgress: (e) => events.push(e),
      ...overrides,
    });
  return { clock, llm, executor, logger, summarizer, generation, events, run };
}

/** The last user message of an LLM call. */
const asked = (call: { messages: readonly { role: string; content: string }[] }) =>
  call.messages.filter((m) => m.role === 'user').pop()?.content ?? '';
const names = (cases: readonly TestCase[]) => cases.map((c) => c.name);

describe('LlmTestGeneration.generate', () => {
  it('asks for each chunk with gaps, the largest gap first, judges each test alone and keeps the ones that add coverage, until the target', async () => {
    const w = world([answer(TEST_DIVIDE_BY_ZERO, TEST_DIVIDE, DIVIDE_AGAIN), answer(TEST_ADD)]);
    const result = await w.run();

    expect(names(result.unit)).toEqual([
      'test_divide_by_zero_raises',
      'test_divide_two_numbers',
      'test_add_two_numbers',
    ]);
    expect(result.unit[2]).toEqual({
      name: 'test_add_two_numbers',
      code: TEST_ADD,
      imports: ['import calc'],
      support: [],
    });
    expect(result.integration).toEqual([]);
    expect(result.stoppedBy).toBe('target');
    expect(result.coverage.combinedPercent).toBe(100);
    expect(result.funnel).toEqual({ generated: 4, parsed: 4, imported: 4, passed: 4, stable: 4, addedCoverage: 3 });
    expect(result.repairs).toEqual({ attempted: 0, succeeded: 0 });
    expect(result.suspectedDefects).toEqual([]);
    expect(result.resumed).toBe(false);
    expect(result.llmCalls).toBe(2);
    expect(result.summaryCalls).toBe(0);
    // Without usage from the server, the prompt is the fitted count and the answer is counted locally.
    const completion = FakeTokenCounter.words((answer(TEST_ADD) as { text: string }).text);
    expect(result.chunks[0]).toMatchObject({
      index: 0,
      symbols: ['add'],
      llmCalls: 1,
      accepted: 1,
      completionTokens: completion,
    });
    expect(result.chunks[0].before.percent.combined).toBe(50);
    expect(result.chunks[0].after.percent.combined).toBe(100);
    expect(result.chunks[1]).toMatchObject({ index: 1, llmCalls: 1, accepted: 2 });
    expect(result.promptTokens).toBe(result.chunks[0].promptTokens + result.chunks[1].promptTokens);
    expect(result.completionTokens).toBe(result.chunks[0].completionTokens + result.chunks[1].completionTokens);

    // `divide` misses 3 lines and 2 branches, `add` 1 line: `divide` is asked for first, then `add`.
    expect(asked(w.llm.calls[0])).toContain('Code to test (divide), with module line numbers.');
    expect(asked(w.llm.calls[0])).toContain('>>5:     if b == 0:  # branch not taken: line 6, line 7');
    expect(asked(w.llm.calls[1])).toContain('Code to test (add), with module line numbers.');
    expect(asked(w.llm.calls[1])).toContain('>>2:     return a + b');
    expect(w.llm.calls[0].options).toMatchObject({ maxTokens: 100, temperature: 0.2 });
    // The import probe, then one run per answer with each candidate in its own file, per-test coverage, limits.
    expect(w.executor.requests[0].testFiles?.[0].name).toBe('test_ta_import_probe.py');
    expect(w.executor.judgedRuns()).toEqual([
      ['test_divide_by_zero_raises', 'test_divide_two_numbers', 'test_divide_again'],
      ['test_add_two_numbers'],
    ]);
    expect(w.executor.requests[2]).toMatchObject({ perTestCoverage: true, perTestTimeoutMs: 5000 });
    expect(w.events).toEqual([
      { type: 'chunk-start', chunk: 1, of: 2, symbols: ['divide'], iteration: 1 },
      { type: 'chunk-done', chunk: 1, accepted: 2, combinedPercent: 87.5, tokens: expect.any(Number) },
      { type: 'chunk-start', chunk: 0, of: 2, symbols: ['add'], iteration: 1 },
      {
        type: 'chunk-done',
        chunk: 0,
        accepted: 1,
        combinedPercent: 100,
        tokens: result.promptTokens + result.completionTokens,
      },
      { type: 'stopped', reason: 'target', combinedPercent: 100 },
    ]);
  });

  it('makes no call when the baseline already reaches the target, and never re-measures a given baseline', async () => {
    const w = world();
    const result = await w.run({ targetCoverage: 25 });
    expect(result).toMatchObject({ stoppedBy: 'target', llmCalls: 0, unit: [] });
    expect(result.coverage.combinedPercent).toBe(25); // lines 1 and 4 of 6 statements + 2 branches
    expect(w.llm.calls).toEqual([]);

    const baseline = world([answer(TEST_ADD), answer()]);
    const fromBaseline = await baseline.run({
      baseline: { cases: [], coverage: coverageOf([1, 2, 4]) },
      chunks: [CHUNKS[1]],
      maxIterations: 1,
    });
    expect(baseline.executor.requests.some((r) => r.testFiles?.[0].name === 'test_ta_import_probe.py')).toBe(false);
    expect(fromBaseline.chunks[0].before.percent.combined).toBeCloseTo(100 / 6);
    expect(fromBaseline.unit).toEqual([]); // test_add covers nothing the baseline does not
  });

  it('names an accepted test apart from the baseline and earlier tests (test_x_2), renaming its definition', async () => {
    const w = world([
      answer(TEST_DIVIDE_BY_ZERO.replace('test_divide_by_zero_raises', 'test_add_two_numbers')),
      answer(),
    ]);
    const baselineCase: TestCase = { name: 'test_add_two_numbers', code: TEST_ADD, imports: ['import calc'] };
    const result = await w.run({
      baseline: { cases: [baselineCase], coverage: coverageOf([1, 2, 4]) },
      chunks: [CHUNKS[1]],
      maxIterations: 1,
    });
    expect(names(result.unit)).toEqual(['test_add_two_numbers_2']);
    expect(result.unit[0].code).toContain('def test_add_two_numbers_2():');
  });

  describe('stop reasons', () => {
    it('iterations: rounds over the chunks with gaps end after maxIterations; integration tests are asked once', async () => {
      const useless = answer(NOTHING_NEW);
      const w = world([useless, useless, useless, useless, useless]);
      const result = await w.run({
        maxIterations: 2,
        chunks: CHUNKS,
        baseline: { cases: [], coverage: coverageOf([1, 2, 4]) },
      });
      expect(result.stoppedBy).toBe('iterations');
      // Round 1: add has no gap left (line 2 is covered), divide; then the integration prompt; round 2: divide again,
      // in its conversation: the answer, then what became of it and the lines still missing.
      expect(w.llm.calls.map((c) => /Code to test \((\w+)\)|Write integration tests/.exec(asked(c))?.[0])).toEqual([
        'Code to test (divide)',
        'Write integration tests',
        undefined,
      ]);
      expect(asked(w.llm.calls[1])).toContain('public API together (add, divide)');
      const followUp = w.llm.calls[2].messages;
      expect(followUp.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
      expect(followUp[1].content).toBe(w.llm.calls[0].messages[1].content);
      expect(followUp[2].content).toBe((useless as { text: string }).text);
      expect(followUp[3].content).toContain(
        'Passed but added no coverage (do not write such tests again): `test_add_again`.',
      );
      expect(followUp[3].content).toContain(
        'These lines of the code still never run:\n```python\n5:     if b == 0:\n6:         raise ZeroDivisionError("b is zero")\n7:     return a / b\n```',
      );
      expect(followUp[3].content).toContain('Branches still never taken: 5→6, 5→7.');
      expect(result.funnel).toMatchObject({ generated: 3, passed: 3, stable: 3, addedCoverage: 0 });
      expect(w.events.at(-1)).toEqual({ type: 'stopped', reason: 'iterations', combinedPercent: 37.5 });
    });

    it('complete: every chunk is covered though the module is below the target (lines outside the chunks)', async () => {
      const w = world([answer(TEST_ADD), answer(NOTHING_NEW)]);
      const result = await w.run({ chunks: [CHUNKS[0]] });
      expect(result.stoppedBy).toBe('complete');
      expect(names(result.unit)).toEqual(['test_add_two_numbers']);
      expect(w.llm.calls).toHaveLength(2); // the chunk, then the integration prompt (answered by nothing new)
    });

    it('token-budget: spent tokens reach maxTokens before the next chunk', async () => {
      const w = world([
        { ...(answer(TEST_ADD) as object), usage: { promptTokens: 900, completionTokens: 100 } } as FakeLlmStep,
      ]);
      const result = await w.run({ maxTokens: 1000 });
      expect(result).toMatchObject({
        stoppedBy: 'token-budget',
        llmCalls: 1,
        promptTokens: 900,
        completionTokens: 100,
      });
      expect(names(result.unit)).toEqual(['test_add_two_numbers']);
      expect(result.chunks[1]).toMatchObject({ llmCalls: 1, accepted: 1 });
      expect(result.chunks[0]).toMatchObject({ llmCalls: 0, accepted: 0 });
      expect(w.events.at(-1)).toEqual({ type: 'stopped', reason: 'token-budget', combinedPercent: 37.5 });
    });

    it('token-budget: a call whose prompt plus the reserved answer would pass maxTokens is not sent', async () => {
      const w = world([
        { ...(answer(TEST_ADD) as object), usage: { promptTokens: 400, completionTokens: 100 } } as FakeLlmStep,
      ]);
      // 500 spent; the next prompt (over 100 words) plus 100 reserved for its answer cannot fit 700.
      const result = await w.run({ maxTokens: 700 });
      expect(result).toMatchObject({ stoppedBy: 'token-budget', llmCalls: 1 });
      expect(w.llm.calls).toHaveLength(1);
      expect(w.events.filter((e) => e.type === 'chunk-start')).toHaveLength(2);
    });

    it('token-budget: a summary whose chunk would pass maxTokens is not asked for', async () => {
      const summarizer = new FakeCodeSummarizer({ promptTokens: 30, completionTokens: 10 });
      // divide (the larger gap) is asked for first; add, asked next, depends on it.
      const chunks = [chunk(0, 1, 3, 'add', ['divide']), CHUNKS[1]];
      const w = world(
        [{ ...(answer(TEST_ADD) as object), usage: { promptTokens: 880, completionTokens: 100 } } as FakeLlmStep],
        {
          summarizer,
        },
      );
      const result = await w.run({ chunks, maxTokens: 1000 });
      expect(result.stoppedBy).toBe('token-budget');
      expect(summarizer.requests).toEqual([]);
    });

    it('time-budget: no call starts after the deadline', async () => {
      const w = world([
        (): FakeLlmStep => {
          w.clock.ms = 600_000;
          return answer(TEST_ADD);
        },
      ]);
      const result = await w.run();
      expect(result).toMatchObject({ stoppedBy: 'time-budget', llmCalls: 1 });
      expect(names(result.unit)).toEqual(['test_add_two_numbers']);
      expect(w.llm.calls[0].options.signal).toBeInstanceOf(AbortSignal);
    });

    it('time-budget: a call that fails at the deadline stops the run as out of time, keeping what was accepted', async () => {
      const w = world([
        answer(TEST_ADD),
        (): FakeLlmStep => {
          w.clock.ms = 600_001;
          return { error: new Error('This operation was aborted') };
        },
      ]);
      const result = await w.run();
      expect(result).toMatchObject({ stoppedBy: 'time-budget', llmCalls: 1 });
      expect(names(result.unit)).toEqual(['test_add_two_numbers']);
      expect(w.events.at(-1)).toEqual({ type: 'stopped', reason: 'time-budget', combinedPercent: 37.5 });
    });

    it('an LLM failure before the deadline propagates (nothing is fabricated)', async () => {
      const failure = new Error('connection refused');
      const w = world([answer(TEST_ADD), { error: failure }]);
      await expect(w.run()).rejects.toBe(failure);
      expect(w.events.some((e) => e.type === 'stopped')).toBe(false);
    });

    it('target: reached in the middle of an answer, it stops before the integration prompt and the next round', async () => {
      const w = world([answer(TEST_ADD, TEST_DIVIDE, TEST_DIVIDE_BY_ZERO)]);
      const result = await w.run();
      expect(result).toMatchObject({ stoppedBy: 'target', llmCalls: 1 });
      expect(result.coverage.combinedPercent).toBe(100);
    });
  });

  describe('prompts', () => {
    it('skips a chunk whose prompt cannot fit the budget, and fits later prompts to fitPrompts()', async () => {
      const w = world([answer(TEST_ADD)], { promptBudgetTokens: 50 });
      const skipped = await w.run({ maxIterations: 1, chunks: [CHUNKS[0]] });
      expect(skipped.chunks[0].skipped).toMatch(/^prompt of \d+ tokens cannot fit the budget of 50$/);
      expect(skipped).toMatchObject({ stoppedBy: 'iterations', llmCalls: 0 });
      expect(w.logger.lines.map((l) => l.message)).toContain('Chunk skipped: its prompt cannot fit the budget');
      expect(w.logger.lines.map((l) => l.message)).toContain(
        'Integration prompt skipped: the public API skeleton cannot fit the budget',
      );

      w.llm.enqueue(answer());
      w.generation.fitPrompts(4000);
      const fitted = await w.run({ maxIterations: 1, chunks: [CHUNKS[0]] });
      expect(fitted.chunks[0].skipped).toBeUndefined();
      expect(names(fitted.unit)).toEqual(['test_add_two_numbers']);
    });

    it("summarises the chunks a chunk depends on once, counting the summaries' tokens apart from the calls", async () => {
      const summarizer = new FakeCodeSummarizer({ promptTokens: 30, completionTokens: 10 });
      const chunks = [chunk(0, 1, 3, 'add'), chunk(1, 4, 7, 'divide', ['add'])];
      const usage = { promptTokens: 100, completionTokens: 10 };
      const steps = [answer(TEST_DIVIDE), answer(), answer(TEST_DIVIDE_BY_ZERO)].map((s) => ({
        ...(s as object),
        usage,
      }));
      const w = world(steps as FakeLlmStep[], { summarizer });
      const result = await w.run({ chunks, baseline: { cases: [], coverage: coverageOf([1, 2, 4]) } });
      // Round 1: divide (its dependency summarised), the integration prompt; round 2: divide (summary reused).
      expect(summarizer.requests.map((r) => r.chunk.index)).toEqual([0]);
      expect(result).toMatchObject({ stoppedBy: 'target', llmCalls: 3, summaryCalls: 1 });
      expect(result).toMatchObject({ promptTokens: 330, completionTokens: 40 });
      expect(result.chunks[1]).toMatchObject({ llmCalls: 2, promptTokens: 200, completionTokens: 20 });
      expect(asked(w.llm.calls[0])).toContain('- add adds two numbers');
    });
  });

  describe('checkpoints', () => {
    it('saves every accepted test with what the accepted tests cover on their own (not the baseline)', async () => {
      const store = new InMemoryCheckpointStore();
      const w = world([answer(TEST_ADD), answer(TEST_DIVIDE_BY_ZERO, TEST_DIVIDE)]);
      await w.run({ checkpoints: store });
      expect(store.saves.map((s) => s.key)).toEqual([checkpointKey, checkpointKey, checkpointKey]);
      expect(store.saves.map((s) => (s.value.unit as TestCase[]).map((c) => c.name))).toEqual([
        ['test_add_two_numbers'],
        ['test_add_two_numbers', 'test_divide_by_zero_raises'],
        ['test_add_two_numbers', 'test_divide_by_zero_raises', 'test_divide_two_numbers'],
      ]);
      expect(store.saves[0].value).toMatchObject({
        version: 1,
        key: checkpointKey,
        integration: [],
        coverage: { executedLines: [2], missingLines: [1, 4, 5, 6, 7], executedBranches: [] },
        funnel: { generated: 1, addedCoverage: 1 },
        suspectedDefects: [],
        llmCalls: 1,
      });
    });

    it('resumes from the checkpoint of an interrupted run: its tests, counts and coverage, asking only for the gaps', async () => {
      const store = new InMemoryCheckpointStore();
      const first = world([answer(TEST_ADD), { error: new Error('connection reset') }]);
      await expect(first.run({ checkpoints: store })).rejects.toThrow('connection reset');

      const w = world([answer(TEST_DIVIDE_BY_ZERO, TEST_DIVIDE)]);
      const result = await w.run({ checkpoints: store, resume: true });
      expect(result.resumed).toBe(true);
      expect(names(result.unit)).toEqual([
        'test_add_two_numbers',
        'test_divide_by_zero_raises',
        'test_divide_two_numbers',
      ]);
      expect(result.llmCalls).toBe(2);
      expect(result.funnel).toMatchObject({ generated: 3, addedCoverage: 3 });
      expect(w.llm.calls.map((c) => /Code to test \((\w+)\)/.exec(asked(c))?.[1])).toEqual(['divide']);
      expect(result.chunks[0].before.percent.combined).toBe(100);
      expect(w.logger.lines.map((l) => l.message)).toContain('Resuming from checkpoint');
    });

    it('starts afresh with a warning when there is nothing to resume, and ignores a checkpoint unless resuming', async () => {
      const store = new InMemoryCheckpointStore();
      const w = world([
        answer(TEST_ADD, TEST_DIVIDE, TEST_DIVIDE_BY_ZERO),
        answer(TEST_ADD, TEST_DIVIDE, TEST_DIVIDE_BY_ZERO),
      ]);
      const fresh = await w.run({ checkpoints: store, resume: true });
      expect(fresh.resumed).toBe(false);
      expect(w.logger.lines.find((l) => l.level === 'warn')?.message).toBe(
        'Nothing to resume: no checkpoint for this module content in this output folder; starting afresh',
      );
      const again = await w.run({ checkpoints: store });
      expect(again.resumed).toBe(false);
      expect(again.llmCalls).toBe(1);
    });

    it.each([
      ['another version', (c: Record<string, unknown>) => ({ ...c, version: 2 })],
      ['another module content', (c: Record<string, unknown>) => ({ ...c, key: '/p/calc.py#0000' })],
      ['a test without code', (c: Record<string, unknown>) => ({ ...c, unit: [{ name: 'test_x', imports: [] }] })],
      [
        'coverage without branches',
        (c: Record<string, unknown>) => ({ ...c, coverage: { executedLines: [], missingLines: [] } }),
      ],
      ['a count that is not a number', (c: Record<string, unknown>) => ({ ...c, llmCalls: '1' })],
      ['not an object', () => 'checkpoint'],
    ])('refuses a checkpoint with %s before any call', async (_what, spoil) => {
      const store = new InMemoryCheckpointStore();
      await world([answer(TEST_ADD), { error: new Error('stop') }])
        .run({ checkpoints: store })
        .catch(() => undefined);
      store.values.set(checkpointKey, spoil(store.values.get(checkpointKey) as Record<string, unknown>));
      const w = world();
      const error = await w.run({ checkpoints: store, resume: true }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidInputError);
      expect(error).toMatchObject({
        code: 'TA_CHECKPOINT_INVALID',
        message:
          'The checkpoint of calc is not one this version wrote; delete <out>/.test-agent/checkpoints or do not resume',
        option: 'resume',
      });
      expect(w.llm.calls).toEqual([]);
    });
  });

  describe('repair', () => {
    const FAILING = pyTest('test_add_negative', 'covers: 2\nfails: assert -1 == 1', 'assert calc.add(-2, 1) == 1');
    const FIXED = pyTest('test_add_negative', 'covers: 2', 'assert calc.add(-2, 1) == -1');

    it('sends a failing test back in its chunk conversation with the cleaned error, and accepts the fix', async () => {
      const w = world([
        answer(TEST_DIVIDE, TEST_DIVIDE_BY_ZERO),
        answer(FAILING),
        answer(FIXED.replace('test_add_negative', 'test_add_negative_fixed')),
      ]);
      const result = await w.run();
      expect(result.repairs).toEqual({ attempted: 1, succeeded: 1 });
      // The fix keeps the failing test's name though the model renamed it.
      expect(result.unit[2]).toMatchObject({ name: 'test_add_negative', imports: ['import calc'] });
      expect(result.unit[2].code).toContain('def test_add_negative():');
      expect(result.unit[2].code).toContain('== -1');
      // The conversation: the chunk's prompt, the model's answer as it gave it, the failure.
      const repairCall = w.llm.calls[2].messages;
      expect(repairCall.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
      expect(repairCall[1].content).toBe(w.llm.calls[1].messages[1].content);
      expect(repairCall[2].content).toBe((answer(FAILING) as { text: string }).text);
      expect(repairCall[3].content).toContain(
        'The test `test_add_negative` fails:\n```\n>       assert -1 == 1\nE       assert -1 == 1\n```',
      );
      expect(result.chunks[0]).toMatchObject({ llmCalls: 2, accepted: 1 });
      // Judged once, then its repair; the funnel counts the repaired test as passed once.
      expect(result.funnel).toEqual({ generated: 3, parsed: 3, imported: 3, passed: 3, stable: 3, addedCoverage: 3 });
    });

    it('gives up after repairAttempts turns; without the suspected-bug comment nothing is reported', async () => {
      const w = world([
        answer(TEST_DIVIDE, TEST_DIVIDE_BY_ZERO),
        answer(FAILING),
        answer(FAILING),
        answer(FAILING),
        answer(),
      ]);
      const result = await w.run({ maxIterations: 1 });
      expect(result.repairs).toEqual({ attempted: 2, succeeded: 0 });
      expect(result.suspectedDefects).toEqual([]);
      expect(names(result.unit)).toEqual(['test_divide_two_numbers', 'test_divide_by_zero_raises']);
      expect(result.funnel).toMatchObject({ generated: 3, parsed: 3, imported: 3, passed: 2 });
    });

    it('makes no repair turn when repairAttempts is 0, nor for integration tests (they have no conversation)', async () => {
      const w = world([answer(FAILING), answer(), answer(FAILING.replace('test_add_negative', 'test_workflow'))]);
      const result = await w.run({ repairAttempts: 0, maxIterations: 1 });
      expect(result.repairs).toEqual({ attempted: 0, succeeded: 0 });
      expect(w.llm.calls).toHaveLength(3);
      expect(asked(w.llm.calls[2])).toContain('Write integration tests');
    });

    it('makes no repair turn once the budget is spent', async () => {
      const spent = { ...(answer(FAILING) as object), usage: { promptTokens: 990, completionTokens: 10 } };
      const w = world([spent as FakeLlmStep]);
      const result = await w.run({ maxTokens: 1000 });
      expect(result).toMatchObject({ stoppedBy: 'token-budget', llmCalls: 1, repairs: { attempted: 0, succeeded: 0 } });
    });

    it('repairs every failing test of an answer in one turn, keeping what it fixed though the budget then stops the run', async () => {
      const other = pyTest('test_add_zero', 'covers: 2\nfails: assert 1 == 0', 'assert calc.add(1, 0) == 0');
      const withUsage = (step: FakeLlmStep, promptTokens: number) =>
        ({ ...(step as object), usage: { promptTokens, completionTokens: 100 } }) as FakeLlmStep;
      // 600 + 1100 spent: a second repair turn's prompt plus its reserved answer cannot fit 2000.
      const w = world([withUsage(answer(FAILING, other), 500), withUsage(answer(FIXED), 1000)]);
      const result = await w.run({ maxTokens: 2000 });
      expect(result).toMatchObject({ stoppedBy: 'token-budget', llmCalls: 2, repairs: { attempted: 2, succeeded: 1 } });
      expect(asked(w.llm.calls[1])).toContain(
        'These 2 tests fail:\n\n`test_add_negative`:\n```\n>       assert -1 == 1',
      );
      expect(asked(w.llm.calls[1])).toContain('`test_add_zero`:\n```\n>       assert 1 == 0');
      expect(names(result.unit)).toEqual(['test_add_negative']);
      expect(result.funnel).toMatchObject({ generated: 2, passed: 1, addedCoverage: 1 });
    });

    it('sends no repair turn whose conversation cannot fit the prompt budget', async () => {
      const measured = world([answer(FAILING), answer(FIXED), answer(TEST_DIVIDE, TEST_DIVIDE_BY_ZERO)]);
      await measured.run({ chunks: [CHUNKS[0]] });
      const firstPrompt = measured.llm.calls[0].messages.reduce((n, m) => n + FakeTokenCounter.words(m.content) + 4, 0);
      // The first prompt fits; with the failing test and the repair request on top, even its leanest form does not.
      const w = world([answer(FAILING), answer(), answer()], { promptBudgetTokens: firstPrompt + 5 });
      const result = await w.run({ maxIterations: 1 });
      expect(result.repairs).toEqual({ attempted: 0, succeeded: 0 });
      expect(w.llm.calls.map((c) => c.messages.length)).toEqual([2, 2, 2]);
      expect(result.funnel).toMatchObject({ generated: 1, parsed: 1, imported: 1, passed: 0 });
    });

    it('judges alone a test that failed only beside the other candidates, and keeps it without a repair', async () => {
      const polluted = pyTest('test_add_patched', 'covers: 2\nfails-with-others');
      const w = world([
        answer(polluted, TEST_ADD.replace('covers: 2', 'covers: 4')),
        answer(TEST_DIVIDE, TEST_DIVIDE_BY_ZERO),
      ]);
      const result = await w.run();
      expect(w.executor.judgedRuns().slice(0, 2)).toEqual([
        ['test_add_patched', 'test_add_two_numbers'],
        ['test_add_patched'],
      ]);
      expect(names(result.unit)).toContain('test_add_patched');
      expect(result.repairs.attempted).toBe(0);
    });
  });

  describe('feedback', () => {
    it("continues a chunk's conversation in the next round: the tests kept, and the lines still missing, quoted", async () => {
      const w = world([answer(TEST_DIVIDE), answer(), answer(TEST_DIVIDE_BY_ZERO)]);
      const result = await w.run({ chunks: [CHUNKS[1]], maxIterations: 2 });
      expect(result).toMatchObject({ stoppedBy: 'iterations', llmCalls: 3 });
      expect(names(result.unit)).toEqual(['test_divide_two_numbers', 'test_divide_by_zero_raises']);
      const [, feedback] = w.llm.calls[2].messages.slice(-2);
      expect(feedback.content).toBe(
        [
          'Kept (they add coverage): `test_divide_two_numbers`.',
          '',
          'These lines of the code still never run:',
          '```python',
          '6:         raise ZeroDivisionError("b is zero")',
          '```',
          'Branches still never taken: 5→6.',
          'Write additional tests that make them run, with other inputs than before. Do not repeat earlier tests. One ```python block.',
        ].join('\n'),
      );
      expect(w.events.filter((e) => e.type === 'chunk-start').map((e) => e.iteration)).toEqual([1, 2]);
    });

    it('keeps the latest turns of a conversation that no longer fits the prompt budget, always the last answer', async () => {
      const again = pyTest('test_add_once_more', 'covers: 2', 'assert calc.add(3, 3) == 6');
      const steps = () => [answer(NOTHING_NEW), answer(), answer(again), answer(NOTHING_NEW)];
      const run = (w: ReturnType<typeof world>) =>
        w.run({ chunks: [CHUNKS[1]], maxIterations: 3, baseline: { cases: [], coverage: coverageOf([1, 2, 4]) } });
      const measured = world(steps());
      await run(measured);
      const size = (call: (typeof measured.llm.calls)[number]) =>
        call.messages.reduce((n, m) => n + FakeTokenCounter.words(m.content) + 4, 0);
      // Round 3 holds the whole conversation: prompt, answer, feedback, answer, feedback.
      expect(measured.llm.calls[3].messages.map((m) => m.role)).toEqual([
        'system',
        'user',
        'assistant',
        'user',
        'assistant',
        'user',
      ]);
      // A budget that round 2's conversation fits and round 3's does not: the oldest answer and its feedback go.
      const budget = size(measured.llm.calls[2]) + 5;
      const w = world(steps(), { promptBudgetTokens: budget });
      await run(w);
      expect(w.llm.calls.map((c) => size(c) <= budget)).toEqual([true, true, true, true]);
      expect(w.llm.calls[3].messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
      expect(w.llm.calls[3].messages[2].content).toBe((answer(again) as { text: string }).text);
      expect(w.llm.calls[3].messages[3].content).toContain('`test_add_again`, `test_add_once_more`');
    });
  });

  describe('concurrency', () => {
    /** An LLM that holds each answer until `gate` calls are in flight (or 200 ms passed), counting the most. */
    class GatedLlm implements LlmClient {
      readonly endpoint = 'gated http://llm.invalid';
      readonly calls: (readonly ChatMessage[])[] = [];
      private inFlight = 0;
      maxInFlight = 0;
      private readonly waiting: (() => void)[] = [];
      constructor(
        private readonly answers: string[],
        private readonly gate: number,
      ) {}
      async chat(messages: readonly ChatMessage[]): Promise<ChatResult> {
        this.calls.push(messages);
        const text = this.answers.shift() ?? 'Nothing more.';
        this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
        if (this.inFlight >= this.gate) this.waiting.splice(0).forEach((release) => release());
        else await new Promise<void>((resolve) => (this.waiting.push(resolve), setTimeout(resolve, 200)));
        this.inFlight--;
        return { text, model: 'gated', finishReason: 'stop', latencyMs: 0, endpoint: this.endpoint };
      }
      async health(): Promise<LlmHealth> {
        return { endpoint: this.endpoint, ok: true, latencyMs: 0, detail: 'gated' };
      }
    }
    const generationWith = (llm: LlmClient) =>
      new LlmTestGeneration({
        llm,
        executor: new SimulatedPytest(),
        counter: new FakeTokenCounter(),
        promptBudgetTokens: 4000,
        summarizer: new FakeCodeSummarizer(),
        perTestTimeoutMs: 5000,
      });
    const request = (overrides: Partial<LlmGenerationRequest>): LlmGenerationRequest => ({
      target,
      source,
      outline,
      chunks: CHUNKS,
      targetCoverage: 100,
      maxIterations: 1,
      maxTokens: 1_000_000,
      deadline: Date.now() + 60_000,
      repairAttempts: 0,
      flakyRuns: 0,
      maxCompletionTokens: 100,
      ...overrides,
    });
    const text = (step: FakeLlmStep) => (step as { text: string }).text;

    it("prompts up to `concurrency` chunks of a round at once and keeps every answer's tests", async () => {
      const llm = new GatedLlm([text(answer(TEST_DIVIDE, TEST_DIVIDE_BY_ZERO)), text(answer(TEST_ADD))], 2);
      const result = await generationWith(llm).generate(request({ concurrency: 2 }));
      expect(llm.maxInFlight).toBe(2);
      expect(result.stoppedBy).toBe('target');
      expect(names(result.unit).sort()).toEqual([
        'test_add_two_numbers',
        'test_divide_by_zero_raises',
        'test_divide_two_numbers',
      ]);
    });

    it('counts the tokens of calls in flight against maxTokens before starting another', async () => {
      const answers = () => [text(answer(TEST_DIVIDE, TEST_DIVIDE_BY_ZERO)), text(answer(TEST_ADD))];
      const measured = await generationWith(new GatedLlm(answers(), 1)).generate(request({}));
      const [add, divide] = measured.chunks;
      // Room for divide's call and its reserved answer, not for add's beside it; add's alone fits after it.
      const maxTokens = divide.promptTokens + 100 + Math.max(add.promptTokens, divide.completionTokens) + 50;
      expect(maxTokens).toBeLessThan(divide.promptTokens + add.promptTokens + 200);
      const llm = new GatedLlm(answers(), 2);
      const result = await generationWith(llm).generate(request({ concurrency: 2, maxTokens }));
      expect(llm.maxInFlight).toBe(1);
      expect(llm.calls).toHaveLength(2);
      expect(result.promptTokens + result.completionTokens).toBeLessThanOrEqual(maxTokens);
    });
  });

  describe('suspected defects', () => {
    const ASSERTS_BUG = pyTest(
      'test_divide_by_zero_returns_inf',
      'covers: 5 6\ntakes: 5>6\nfails: assert inf == ZeroDivisionError',
      'assert calc.divide(1, 0) == float("inf")',
    );
    const FLAGGED = pyTest(
      'test_divide_by_zero_returns_inf',
      'covers: 5 6\ntakes: 5>6\nfails: assert inf == ZeroDivisionError\nSUSPECTED BUG: dividing by zero should give inf',
      'assert calc.divide(1, 0) == float("inf")',
    );

    it('reports a test the model flags as a bug after a repair turn and that still fails on an assertion', async () => {
      const w = world([answer(ASSERTS_BUG, TEST_DIVIDE), answer(FLAGGED), answer(TEST_ADD), answer()]);
      const result = await w.run({ maxIterations: 1 });
      expect(result.suspectedDefects).toEqual([
        {
          test: 'test_divide_by_zero_returns_inf',
          symbols: ['divide'],
          code: FLAGGED,
          error: '>       assert inf == ZeroDivisionError\nE       assert inf == ZeroDivisionError',
          message: 'assert inf == ZeroDivisionError',
        },
      ]);
      // The flag ends the repair: one turn of the two allowed, and the test is never accepted.
      expect(result.repairs).toEqual({ attempted: 1, succeeded: 0 });
      expect(names(result.unit)).toEqual(['test_divide_two_numbers', 'test_add_two_numbers']);
    });

    it('is checkpointed as soon as it is reported, and restored on resume', async () => {
      const store = new InMemoryCheckpointStore();
      const w = world([
        answer(TEST_DIVIDE, ASSERTS_BUG),
        answer(FLAGGED),
        answer(TEST_ADD),
        answer(TEST_DIVIDE_BY_ZERO),
      ]);
      const first = await w.run({ checkpoints: store, repairAttempts: 1 });
      expect(first.integration.map((c) => c.name)).toEqual(['test_divide_by_zero_raises']);
      expect(store.saves.map((s) => (s.value.suspectedDefects as unknown[]).length)).toEqual([0, 1, 1, 1]);

      const resumed = await world().run({ checkpoints: store, resume: true });
      expect(resumed).toMatchObject({ resumed: true, stoppedBy: 'target', llmCalls: 4 });
      expect(resumed.suspectedDefects).toEqual(first.suspectedDefects);
      expect(resumed.integration).toEqual(first.integration);
    });

    it('is not repaired again when a later round proposes the same test, and the feedback names it', async () => {
      const w = world([answer(ASSERTS_BUG, TEST_DIVIDE), answer(FLAGGED), answer(), answer(ASSERTS_BUG), answer()]);
      const result = await w.run({ chunks: [CHUNKS[1]], maxIterations: 3, repairAttempts: 1 });
      expect(result.suspectedDefects.map((d) => d.test)).toEqual(['test_divide_by_zero_returns_inf']);
      expect(result.repairs).toEqual({ attempted: 1, succeeded: 0 });
      // Round 2 re-proposes it: no repair turn follows; round 3 asks again.
      expect(asked(w.llm.calls[3])).toContain(
        'Reported as suspected bugs (do not test that behaviour again): `test_divide_by_zero_returns_inf`.',
      );
      expect(asked(w.llm.calls[4])).toMatch(/^Kept \(they add coverage\)/);
      expect(result.funnel).toMatchObject({ generated: 3, passed: 1 });
    });

    const notReported: [string, Partial<LlmGenerationRequest>, FakeLlmStep[]][] = [
      [
        'the test is flagged but no repair turn was made',
        { repairAttempts: 0 },
        [answer(FLAGGED, TEST_DIVIDE), answer()],
      ],
      [
        'the failure is not an assertion',
        { repairAttempts: 1 },
        [
          answer(ASSERTS_BUG, TEST_DIVIDE),
          answer(FLAGGED.replace('fails: assert inf == ZeroDivisionError', 'fails: TypeError: bad operand')),
          answer(),
        ],
      ],
    ];
    it.each(notReported)('is not reported when %s', async (_when, overrides, steps) => {
      const w = world(steps);
      const result = await w.run({ maxIterations: 1, chunks: [CHUNKS[1]], ...overrides });
      expect(result.suspectedDefects).toEqual([]);
      expect(names(result.unit)).toEqual(['test_divide_two_numbers']);
    });
  });

  describe('refused tests', () => {
    it('refuses every test of an answer whose shared code pytest also collects as tests, saying which', async () => {
      const stray = [
        'class Checks(unittest.IsolatedAsyncioTestCase):',
        '    async def test_hidden(self):',
        '        # covers: 5 7',
        '        assert calc.divide(4, 2) == 2',
      ].join('\n');
      const w = world([
        { text: `\`\`\`python\nimport unittest\nimport calc\n\n${stray}\n\n${TEST_ADD}\n\`\`\`` },
        answer(TEST_ADD),
        answer(TEST_DIVIDE, TEST_DIVIDE_BY_ZERO),
        answer(),
      ]);
      const result = await w.run({ repairAttempts: 1, maxIterations: 1 });
      expect(result.funnel).toMatchObject({ generated: 3, parsed: 3, imported: 2 });
      // The refusal is the error of its repair turn; the repaired answer has no shared code, so the old one is kept.
      expect(asked(w.llm.calls[1])).toContain(
        'its code also defines other tests (Checks::test_hidden); keep one test per function',
      );
      expect(result.repairs).toEqual({ attempted: 1, succeeded: 0 });
      expect(names(result.unit)).toEqual(['test_divide_two_numbers', 'test_divide_by_zero_raises']);
      expect(result.unit.every((c) => !(c.support ?? []).some((s) => s.includes('Checks')))).toBe(true);
    });

    it('counts what the parser and pytest refuse in the funnel: cut off, syntax errors, bad imports, flaky', async () => {
      const cut = `\`\`\`python\nimport calc\n\n${TEST_ADD}\n\ndef test_add_cut():\n    assert calc.add(1,`;
      const broken = pyTest('test_divide_broken', 'covers: 5 7', 'assert calc.divide(4, 2) <<< 3');
      const badImport = pyTest('test_divide_helper', 'covers: 5 7', 'assert helper(calc.divide(4, 2))');
      const flaky = pyTest('test_divide_timing', 'covers: 5 7\ntakes: 5>7\nflaky', 'assert calc.divide(6, 3) == 2');
      const w = world([
        { text: cut, finishReason: 'length' },
        {
          text: `\`\`\`python\nfrom nowhere import helper\nimport calc\n\n${broken}\n\n${badImport}\n\n${flaky}\n\`\`\``,
        },
        answer(),
      ]);
      const result = await w.run({ repairAttempts: 0, maxIterations: 1, flakyRuns: 2 });
      // generated: 2 + 3 (the cut-off test counts); parsed: neither the cut-off test nor the syntax error;
      // imported: not the one importing `nowhere`; stable: the flaky one fails one of its 2 re-runs.
      expect(result.funnel).toEqual({ generated: 5, parsed: 3, imported: 2, passed: 2, stable: 1, addedCoverage: 1 });
      expect(names(result.unit)).toEqual(['test_add_two_numbers']);
      const rerun = w.executor.requests.filter((r) => r.select !== undefined);
      expect(rerun.map((r) => r.select)).toEqual([
        ['test_calc.py::test_add_two_numbers'],
        ['test_calc.py::test_add_two_numbers'],
        ['test_calc.py::test_divide_timing'],
        ['test_calc.py::test_divide_timing'],
      ]);
    });
  });
});
