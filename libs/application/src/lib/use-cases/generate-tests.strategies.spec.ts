import { EnvironmentError, LlmContextOverflowError, LlmNetworkError, type CheckpointStore } from '@test-agent/domain';
import {
  calc,
  llmLoop,
  llmResult,
  offlineEngine,
  oneChunk,
  testCase,
  generationUnits,
  World,
  type Behaviour,
} from '../testing/generation-world';
import type { GenerateTestsReport } from '../generation/report/generation-report';
import type { GenerateTestsRequest } from '../generation/generation-request';
import type { LlmGenerationResult } from '../orchestrators/llm-test-generation.orchestrator';
import { MACHINE_PERTURBATIONS } from '../services/flakiness-checker/machine-perturbations';
import type { ModuleStructure, TestCase } from '@test-agent/domain';
import { GenerateTests } from './generate-tests.use-case';

// Today's behaviour of `GenerateTests` per strategy, over a scripted pytest (no Python runs): what is validated,
// dropped, minimised, written and reported.

const request: GenerateTestsRequest = {
  path: calc.file,
  outDir: '/p/tests',
  timeBudgetSeconds: 10,
  targetCoverage: 80,
  flakyRuns: 3,
};
const checkpoints = {} as CheckpointStore;

interface Setup {
  offline?: readonly TestCase[];
  defects?: Parameters<typeof offlineEngine>[1];
  module?: Parameters<typeof offlineEngine>[2];
  llm?: (LlmGenerationResult | Error)[];
  checkpoints?: boolean;
}

function build(behaviours: Record<string, Behaviour>, setup: Setup = {}) {
  const world = new World(behaviours);
  const offline = offlineEngine(setup.offline ?? [], setup.defects, setup.module);
  const loop = llmLoop(setup.llm ?? [llmResult([])]);
  const chunking = oneChunk();
  let time = 0;
  const now = () => (time += 10);
  const llm = setup.llm
    ? {
        generation: loop.generation,
        chunker: chunking.chunker,
        parser: { parse: () => ({ functions: [], classes: [] }) } as never,
        reader: { read: async () => 'def add(a, b):\n    return a + b\n' } as never,
        maxCompletionTokens: 512,
        ...(setup.checkpoints ? { checkpointsFor: () => checkpoints } : {}),
      }
    : undefined;
  const useCase = new GenerateTests(generationUnits(world, offline.engine, llm, now));
  return { world, useCase, offline, loop, chunking };
}

function written(world: World, file: string): string[] {
  const content = world.store.files.get(file);
  return content ? [...content.matchAll(/^def (test_\w+)\(/gm)].map((m) => m[1]) : [];
}

function jsonReport(world: World): GenerateTestsReport {
  return JSON.parse(world.writes.get('/p/tests/test-agent-report.json') ?? 'null') as GenerateTestsReport;
}

// calc as the sandbox describes it:  1 import sys / 2 def add(a, b): / 3 total = a + b / 4 if total > 10: /
// 5 total = 10 / 6 return total / 7 def stop(): / 8 sys.exit(1) / 9 print("after") / 10 if __name__ == ...
const CALC_STRUCTURE: ModuleStructure = {
  statements: [
    { line: 1, scope: '' },
    { line: 2, scope: '', previous: 1 },
    { line: 3, scope: 'add' },
    { line: 4, scope: 'add', previous: 3 },
    { line: 5, scope: 'add', guard: [4, 'true'] },
    { line: 6, scope: 'add', previous: 4 },
    { line: 7, scope: '', previous: 2 },
    { line: 8, scope: 'stop' },
    { line: 9, scope: 'stop', previous: 8, deadAfter: 8 },
    { line: 10, scope: '', previous: 7 },
  ],
  scopes: [
    { qualname: 'add', kind: 'function', line: 2, body: 3 },
    { qualname: 'stop', kind: 'function', line: 7, body: 8 },
  ],
  headers: [
    { line: 4, kind: 'if', text: 'total > 10' },
    { line: 10, kind: 'main', text: '__name__ == "__main__"' },
  ],
  leaving: [{ line: 8, text: 'sys.exit(1)' }],
  arcs: [
    [4, 5, 'true'],
    [4, 6, 'false'],
  ],
};

describe('GenerateTests, offline strategy', () => {
  const cases = ['test_a', 'test_b', 'test_c', 'test_d', 'test_e'].map((n) => testCase(n));
  const behaviours: Record<string, Behaviour> = {
    test_a: { lines: [3, 4] },
    test_b: { lines: [5], fails: true },
    test_c: { lines: [6], flaky: true },
    test_d: { lines: [7], machine: true },
    test_e: { lines: [3] },
  };

  it('drops failing, flaky and machine-dependent tests, minimises the suite and writes what is left', async () => {
    const { world, useCase } = build(behaviours, { offline: cases });
    const report = await useCase.execute({ ...request, strategy: 'offline' });
    expect(report.strategy).toBe('offline');
    const module = report.modules[0];
    expect(module).toMatchObject({
      module: 'calc',
      testFile: '/p/tests/test_calc.py',
      writeAction: 'created',
      tests: 1,
      coverage: { lines: { covered: 2, total: 10 } },
      missingLines: [1, 2, 5, 6, 7, 8, 9, 10],
      dropped: { failing: 1, flaky: 1, unstable: 1, machine: 1 },
      machinePerturbations: MACHINE_PERTURBATIONS.map((m) => m.name),
      executions: 40,
      stoppedBy: 'plateau',
    });
    // test_e covers nothing test_a does not: minimised away.
    expect(written(world, '/p/tests/test_calc.py')).toEqual(['test_a']);
    expect(world.runs.map((r) => r.tests.map((t) => t.split('::')[1]).join(' '))).toEqual([
      // first run; then (test_b gone) the first run, two reruns and a run on each perturbed machine; again
      // without the flaky and the machine-dependent test
      'test_a test_b test_c test_d test_e',
      'test_a test_c test_d test_e',
      'test_a test_c test_d test_e',
      'test_a test_c test_d test_e',
      'test_a test_c test_d test_e',
      'test_a test_c test_d test_e',
      'test_a test_e',
      'test_a test_e',
      'test_a test_e',
      'test_a test_e',
      'test_a test_e',
      // the minimised suite's re-run (the round's passing first run is the final suite's first run)
      'test_a',
    ]);
    // Only each round's first run measures coverage, with each test's (for the minimisation): the reruns and the
    // perturbed runs decide pass or fail.
    const firstOfRound = [true, true, ...[false, false, false, false], true, ...[false, false, false, false], true];
    expect(world.runs.map((r) => r.perTestCoverage)).toEqual(firstOfRound);
    expect(world.runs.map((r) => r.coverage)).toEqual(firstOfRound);
    expect(world.runs.filter((r) => r.perturbed)).toHaveLength(4);
    expect(report.files).toEqual([
      '/p/tests/test_calc.py',
      '/p/tests/conftest.py',
      '/p/tests/test-agent-report.json',
      '/p/tests/test-agent-report.md',
    ]);
    expect(world.writes.get('/p/tests/conftest.py')).toContain('for _root in [".."]:');
    expect(report.targetMet).toBe(false);
    expect(report.targetMissedBecause).toEqual(['line+branch coverage 20.0 % is below the 80 % target']);
    expect(jsonReport(world)).toEqual(JSON.parse(JSON.stringify(report)));
    const markdown = world.writes.get('/p/tests/test-agent-report.md') ?? '';
    expect(markdown).toContain('| calc | 1 | 20.0 | 100.0 | 20.0 | 1 / 1 / 1 / 1 | plateau | /p/tests/test_calc.py |');
    expect(markdown).toContain('- calc: lines 1-2, 5-10');
  });

  it('gives the search the budget left after the validation runs it will need', async () => {
    const { useCase, offline } = build(behaviours, { offline: cases });
    await useCase.execute({ ...request, strategy: 'offline', seed: 7, callTimeoutMs: 500 });
    // 10 s: pytest runs estimated at 1.5 s, 1 + ceil((2 reruns + 2 machines) / 2) + 1 of them; 15 % to simplify.
    const { reserveMs, ...options } = offline.options[0];
    expect(options).toEqual({
      timeBudgetMs: 5000,
      simplifyBudgetMs: 1500,
      importTimeoutMs: 10_000,
      seed: 7,
      callTimeoutMs: 500,
      pinDefects: undefined,
      focusLines: undefined,
      coveredBefore: undefined,
    });
    // A large suite makes each of those 4 runs longer: 10 ms a test beyond the first 80, before any was measured.
    expect([reserveMs!(80), reserveMs!(180)]).toEqual([0, 4 * 100 * 10]);
  });

  it('drops what fails only when each test’s coverage is measured, and counts it as failing', async () => {
    const { world, useCase } = build(
      { test_a: { lines: [3] }, test_p: { lines: [6], failsInFinalSuite: true } },
      { offline: [testCase('test_a'), testCase('test_p')] },
    );
    const report = await useCase.execute({ ...request, strategy: 'offline', perturbMachine: false });
    expect(report.modules[0]).toMatchObject({ tests: 1, dropped: { failing: 1, flaky: 0, machine: 0 } });
    expect(report.modules[0].machinePerturbations).toBeUndefined();
    expect(written(world, '/p/tests/test_calc.py')).toEqual(['test_a']);
  });

  it('skips a module whose final suite fails in a folder, and fails a module alone', async () => {
    // test_c needs test_b, which the minimisation removes (test_a covers its line): the minimised suite fails.
    const world = new World({
      test_a: { lines: [3, 4] },
      test_b: { lines: [4] },
      test_c: { lines: [5], failsWithout: 'test_b' },
    });
    const offline = offlineEngine(['test_a', 'test_b', 'test_c'].map((n) => testCase(n)));
    const [strategy] = generationUnits(world, offline.engine).strategies;
    const run = { ...request, perturbMachine: false };
    const inFolder = await strategy.generate(calc, run, true);
    expect(inFolder).toMatchObject({ module: 'calc', tests: 0, error: { code: 'TA_MINIMISED_SUITE_FAILED' } });
    expect(world.logger.lines).toContainEqual(
      expect.objectContaining({ level: 'error', message: 'The final suite failed; skipping the module' }),
    );
    await expect(strategy.generate(calc, run, false)).rejects.toMatchObject({ code: 'TA_MINIMISED_SUITE_FAILED' });
  });

  it('reports suspected defects, pinned ones as strict xfail tests, and the coverage without doctests', async () => {
    const defect = testCase('test_div_by_zero', { expectedFailure: true });
    const { world, useCase } = build(
      {
        test_a: { lines: [3] },
        test_doc: { lines: [4, 5] },
        test_div_by_zero: { lines: [8], xfail: true },
      },
      {
        offline: [testCase('test_a'), testCase('test_doc', { doctest: true }), defect],
        defects: [{ name: 'test_div_by_zero', subject: 'div', error: 'ZeroDivisionError', line: 8, source: 'def t' }],
      },
    );
    const report = await useCase.execute({ ...request, strategy: 'offline', pinDefects: true, perturbMachine: false });
    expect(report.pinnedDefects).toBe(true);
    expect(report.modules[0]).toMatchObject({
      tests: 3,
      coverage: { lines: { covered: 4, total: 10 } },
      withoutDoctests: { lines: { covered: 2, total: 10 } },
      suspectedDefects: [{ subject: 'div', error: 'ZeroDivisionError', line: 8, test: 'def t' }],
    });
    expect(written(world, '/p/tests/test_calc.py')).toEqual(['test_a', 'test_doc', 'test_div_by_zero']);
    const markdown = world.writes.get('/p/tests/test-agent-report.md') ?? '';
    expect(markdown).toContain('- calc.div: `ZeroDivisionError` on line 8');
    expect(markdown).toContain('Written into the test files as strict xfail tests.');
  });

  it('says why each uncovered line is not covered, in the JSON report and the Markdown one', async () => {
    // test_a runs the import (lines 1, 2, 7, 10) and add's first two lines.
    const { world, useCase } = build(
      { test_a: { lines: [1, 2, 3, 4, 7, 10] } },
      { offline: [testCase('test_a')], module: { structure: CALC_STRUCTURE } },
    );
    const report = await useCase.execute({ ...request, strategy: 'offline', perturbMachine: false });
    expect(report.modules[0].uncovered).toEqual([
      { lines: [5], branches: [], kind: 'condition-never-true', detail: 'never true: total > 10' },
      { lines: [6], branches: [], kind: 'condition-never-false', detail: 'never false: total > 10' },
      { lines: [8], branches: [], kind: 'never-called', detail: 'no test calls stop' },
      { lines: [9], branches: [], kind: 'after-exit', detail: 'after line 8 (sys.exit(1)), which always leaves' },
    ]);
    expect(jsonReport(world).modules[0].uncovered).toEqual(report.modules[0].uncovered);
    const markdown = world.writes.get('/p/tests/test-agent-report.md') ?? '';
    expect(markdown).toContain(
      [
        '## Why not covered',
        '',
        'The most likely reason for each uncovered line and branch: what a test written by hand has to do.',
        '',
        '| module | lines | branches | reason | detail |',
        '|---|---|---|---|---|',
        '| calc | 5 | — | condition-never-true | never true: total > 10 |',
        '| calc | 6 | — | condition-never-false | never false: total > 10 |',
        '| calc | 8 | — | never-called | no test calls stop |',
        '| calc | 9 | — | after-exit | after line 8 (sys.exit(1)), which always leaves |',
        '',
      ].join('\n'),
    );
    // The reasons stand for the list of uncovered lines.
    expect(markdown).not.toContain('## Not covered');
  });

  it('measures what importing covers when no test is kept', async () => {
    const { world, useCase } = build({ test_b: { lines: [5], fails: true } }, { offline: [testCase('test_b')] });
    const report = await useCase.execute({ ...request, strategy: 'offline', perturbMachine: false });
    expect(report.modules[0]).toMatchObject({ tests: 0, coverage: { lines: { covered: 2, total: 10 } } });
    expect(report.modules[0].testFile).toBeUndefined();
    expect(report.targetMissedBecause).toContain('no test was kept');
    expect(report.files).toEqual(['/p/tests/test-agent-report.json', '/p/tests/test-agent-report.md']);
    expect(world.writes.has('/p/tests/conftest.py')).toBe(false);
  });

  it('starts from the coverage of the project’s own tests', async () => {
    const { useCase, offline } = build({ test_a: { lines: [4] } }, { offline: [testCase('test_a')] });
    const report = await useCase.execute({
      ...request,
      strategy: 'offline',
      perturbMachine: false,
      existingTests: '/p/existing_tests',
    });
    expect(offline.options[0]).toMatchObject({ coveredBefore: { lines: [3], branches: [] } });
    expect(report.modules[0]).toMatchObject({
      coverage: { lines: { covered: 2 } },
      existingTests: { lines: { covered: 1 } },
    });
    expect(report.existingTests).toMatchObject({ path: '/p/existing_tests', coverage: { lines: { covered: 1 } } });
  });

  it("gives the coverage without doctests on the same footing as the module's: the project's own tests included", async () => {
    const { useCase } = build(
      { test_a: { lines: [4] }, test_doc: { lines: [5] } },
      { offline: [testCase('test_a'), testCase('test_doc', { doctest: true })] },
    );
    const report = await useCase.execute({
      ...request,
      strategy: 'offline',
      perturbMachine: false,
      existingTests: '/p/existing_tests',
    });
    expect(report.modules[0]).toMatchObject({
      coverage: { lines: { covered: 3 } },
      withoutDoctests: { lines: { covered: 2 } },
    });
  });
});

describe('GenerateTests, strategy choice and request checks', () => {
  it('defaults to hybrid with an LLM and to offline without', () => {
    expect(build({}).useCase.defaultStrategy).toBe('offline');
    expect(build({}, { llm: [llmResult([])] }).useCase.defaultStrategy).toBe('hybrid');
  });

  it('refuses an LLM strategy without an LLM, and a time budget that is not positive', async () => {
    const { useCase } = build({});
    await expect(useCase.execute({ ...request, strategy: 'llm' })).rejects.toMatchObject({
      code: 'TA_STRATEGY_UNAVAILABLE',
      kind: 'invalid-input',
      message: 'strategy "llm" needs an LLM: configure an LLM endpoint, or use the offline strategy',
      option: 'llmEndpoint',
    });
    await expect(useCase.execute({ ...request, timeBudgetSeconds: 0 })).rejects.toMatchObject({
      code: 'TA_BAD_TIME_BUDGET',
      kind: 'invalid-input',
      message: 'The time budget must be a positive number of seconds, got 0',
      option: 'timeBudget',
    });
  });
});

describe('GenerateTests, llm strategy', () => {
  const unit = [testCase('test_u1'), testCase('test_u2'), testCase('test_u3')];
  const behaviours: Record<string, Behaviour> = {
    test_u1: { lines: [3, 4] },
    test_u2: { lines: [4] },
    test_u3: { lines: [9], failsWith: 'test_i' },
    test_i: { lines: [7] },
  };

  it('runs the loop on the chunks, then the unit and integration files together, minimised', async () => {
    const { world, useCase, loop } = build(behaviours, { llm: [llmResult(unit, [testCase('test_i')])] });
    const report = await useCase.execute({ ...request, strategy: 'llm' });
    expect(loop.requests).toHaveLength(1);
    expect(loop.requests[0]).toMatchObject({
      target: calc,
      source: 'def add(a, b):\n    return a + b\n',
      baseline: { cases: [] },
      targetCoverage: 80,
      maxIterations: 3,
      maxTokens: 200_000,
      repairAttempts: 3,
      flakyRuns: 3,
      perturbations: MACHINE_PERTURBATIONS,
      maxCompletionTokens: 512,
      resume: false,
    });
    expect(loop.requests[0].chunks).toHaveLength(1);
    // The import probe, the suite together (test_u3 fails beside test_i), again, then minimised (test_u2 goes).
    expect(world.runs.map((r) => r.tests.map((t) => t.split('::')[1]).join(' '))).toEqual([
      'test_module_imports',
      'test_u1 test_u2 test_u3 test_i',
      'test_u1 test_u2 test_i',
      'test_u1 test_i',
    ]);
    expect(written(world, '/p/tests/test_calc.py')).toEqual(['test_u1']);
    expect(written(world, '/p/tests/test_calc_integration.py')).toEqual(['test_i']);
    const module = report.modules[0];
    expect(module).toMatchObject({
      testFile: '/p/tests/test_calc.py',
      integrationTestFile: '/p/tests/test_calc_integration.py',
      tests: 2,
      coverage: { lines: { covered: 3, total: 10 } },
      stoppedBy: 'complete',
      llm: {
        accepted: { offline: 0, unit: 3, integration: 1 },
        minimised: 1,
        polluted: 1,
        contextWindow: 8192,
        reservedCompletionTokens: 1024,
        chunkBudgetTokens: 2000,
        tokenCounts: 'exact',
        chunks: [{ after: { lines: { covered: 3, total: 10 } } }],
      },
    });
    expect(module.llm?.refitsAfterTruncation).toBeUndefined();
    const markdown = world.writes.get('/p/tests/test-agent-report.md') ?? '';
    expect(markdown).toContain('## LLM generation: calc');
    expect(markdown).toContain('Accepted: 0 offline, 3 LLM unit, 1 integration; 1 removed by minimisation');
  });

  it('gives a module that cannot be imported no LLM call', async () => {
    const { useCase, loop } = build(
      { test_module_imports: { lines: [], fails: true, error: "E   ModuleNotFoundError: No module named 'numpy'" } },
      { llm: [llmResult([])] },
    );
    await expect(useCase.execute({ ...request, strategy: 'llm' })).rejects.toMatchObject({
      code: 'TA_IMPORT_FAILED',
      message: "Cannot import calc from /p/calc.py: ModuleNotFoundError: No module named 'numpy'",
    });
    expect(loop.requests).toHaveLength(0);
  });

  it('chunks smaller and runs the loop again when the server truncated a prompt silently', async () => {
    const truncated = new LlmContextOverflowError('http://llm', 'prompt truncated', {
      estimatedTokens: 1000,
      reportedTokens: 250,
    });
    const { useCase, loop, chunking } = build(behaviours, {
      llm: [truncated, llmResult([testCase('test_u1')])],
      checkpoints: true,
    });
    const report = await useCase.execute({ ...request, strategy: 'llm' });
    // A fifth of the prompt got through: 0.8 × 250 / 1000 of the largest chunk (1000 tokens).
    expect(chunking.requests).toEqual([{ path: calc.file }, { path: calc.file, maxTokens: 200 }]);
    expect(loop.requests.map((r) => r.resume)).toEqual([false, true]);
    expect(loop.requests[1].checkpoints).toBe(checkpoints);
    expect(report.modules[0].llm?.refitsAfterTruncation).toBe(1);
  });

  it('says the accepted tests are checkpointed when the LLM fails', async () => {
    const { world, useCase } = build(behaviours, {
      llm: [new LlmNetworkError('http://llm', 'connection refused')],
      checkpoints: true,
    });
    const error = await useCase.execute({ ...request, strategy: 'llm' }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'TA_LLM_NETWORK',
      kind: 'external',
      message: 'connection refused — the tests accepted so far are checkpointed; resume the run when the LLM is back',
      option: 'resume',
    });
    // Nothing was written before the failure: no report either.
    expect(world.writes.size).toBe(0);
  });
});

describe('GenerateTests, hybrid strategy', () => {
  const behaviours: Record<string, Behaviour> = { test_a: { lines: [3] }, test_u: { lines: [5, 6] } };

  it('runs the offline engine first and gives its tests to the loop as the baseline', async () => {
    const { world, useCase, loop } = build(behaviours, {
      offline: [testCase('test_a')],
      llm: [llmResult([testCase('test_u')])],
    });
    const report = await useCase.execute({ ...request, perturbMachine: false });
    expect(report.strategy).toBe('hybrid');
    expect(loop.requests[0].baseline?.cases.map((c) => c.name)).toEqual(['test_a']);
    expect(loop.requests[0].baseline?.coverage?.coveredLines).toEqual([3]);
    expect(written(world, '/p/tests/test_calc.py')).toEqual(['test_a', 'test_u']);
    expect(report.modules[0]).toMatchObject({
      tests: 2,
      executions: 40,
      dropped: { failing: 0, flaky: 0, unstable: 1, machine: 0 },
      coverage: { lines: { covered: 3 } },
      llm: { accepted: { offline: 1, unit: 1, integration: 0 }, minimised: 0, polluted: 0 },
    });
  });

  it('says why what the offline and the LLM tests leave is not covered', async () => {
    const { useCase } = build(
      { test_a: { lines: [1, 2, 3, 4, 7, 10] }, test_u: { lines: [5] } },
      { offline: [testCase('test_a')], llm: [llmResult([testCase('test_u')])], module: { structure: CALC_STRUCTURE } },
    );
    const report = await useCase.execute({ ...request, perturbMachine: false });
    expect(report.modules[0].uncovered).toEqual([
      { lines: [6], branches: [], kind: 'condition-never-false', detail: 'never false: total > 10' },
      { lines: [8], branches: [], kind: 'never-called', detail: 'no test calls stop' },
      { lines: [9], branches: [], kind: 'after-exit', detail: 'after line 8 (sys.exit(1)), which always leaves' },
    ]);
  });

  it('writes the offline tests before failing when the LLM fails, and says so', async () => {
    const { world, useCase } = build(behaviours, {
      offline: [testCase('test_a')],
      llm: [new LlmNetworkError('http://llm', 'connection refused')],
    });
    const error = await useCase.execute({ ...request, perturbMachine: false }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'TA_LLM_GENERATION_FAILED',
      kind: 'external',
      message:
        "connection refused — the offline engine's 1 tests were written to /p/tests/test_calc.py; resume the run when the LLM is back",
      option: 'resume',
      details: { written: '/p/tests/test_calc.py', endpoint: 'http://llm' },
    });
    expect(written(world, '/p/tests/test_calc.py')).toEqual(['test_a']);
    const report = jsonReport(world);
    expect(report.error).toEqual({ code: 'TA_LLM_GENERATION_FAILED', message: (error as Error).message });
    expect(report.modules[0]).toMatchObject({
      testFile: '/p/tests/test_calc.py',
      error: { code: 'TA_LLM_GENERATION_FAILED' },
    });
    expect(report.targetMissedBecause?.[0]).toMatch(/^the run stopped early: connection refused/);
    expect(world.writes.get('/p/tests/conftest.py')).toContain('sys.path');
  });

  it('keeps the code of a failure that is not the LLM’s, and does not suggest resuming', async () => {
    const { useCase } = build(behaviours, {
      offline: [testCase('test_a')],
      llm: [new EnvironmentError('TA_PYTEST_MISSING', 'pytest is missing')],
    });
    await expect(useCase.execute({ ...request, perturbMachine: false })).rejects.toMatchObject({
      code: 'TA_PYTEST_MISSING',
      kind: 'environment',
      message: "pytest is missing — the offline engine's 1 tests were written to /p/tests/test_calc.py",
    });
    await expect(useCase.execute({ ...request, perturbMachine: false })).rejects.not.toHaveProperty('option', 'resume');
  });
});
