import {
  isNodeOf,
  type ChatResult,
  type CoverageReport,
  type ModuleTarget,
  type TestCase,
  type TestExecutor,
} from '@test-agent/domain';
import { caseOutcome, FlakinessChecker } from '../../services/flakiness-checker/flakiness-checker.service';
import type { LlmGenerationRequest } from './llm-generation.types';
import type { RunDeps } from './run-state';
import { parseLlmTests } from '../../services/llm-test-parser/llm-test-parser.service';
import { pruneImports } from '../../services/test-file-assembler/python-imports';
import { namesIn, renameDefinition, uniqueName } from '../../python-text';
import type { TestFileAssembler } from '../../services/test-file-assembler/test-file-assembler.service';
import { perCaseCoverage } from '../../services/test-deduplicator/test-deduplicator.service';

/** How far a candidate got: it parses, its file imports, it runs, it passes. */
export type Stage = 'syntax' | 'import' | 'run' | 'passed';

/** A candidate after one run: the stage it reached, its cleaned error, and what it covered when it passed. */
export interface Judged {
  readonly testCase: TestCase;
  readonly stage: Stage;
  readonly error?: string;
  readonly coverage?: CoverageReport;
}

/** The candidates of one answer, and how many tests the answer held (the cut-off ones included). */
export function candidatesOf(answer: ChatResult): { readonly cases: TestCase[]; readonly generated: number } {
  const parsed = parseLlmTests(answer.text, { truncated: answer.finishReason === 'length' });
  const cases = parsed.tests.map((t) => ({
    name: t.name,
    code: t.code,
    ...(t.className ? { className: t.className } : {}),
    // Each test keeps only the imported names it (or the shared fixtures) uses: one test's bad import
    // never fails the others.
    imports: pruneImports(parsed.imports, new Set([t.code, ...parsed.support].flatMap(namesIn))),
    support: parsed.support,
  }));
  return { cases, generated: parsed.tests.length + parsed.dropped.filter((d) => d.endsWith('cut off')).length };
}

/**
 * The repair answer's tests, each under the name of the failing test it fixes (matched by name; a lone failing
 * test takes the answer's first test whatever its name), with the imports and shared code it needs. A failing
 * test the answer does not fix is absent.
 */
export function repairedCandidates(failing: readonly TestCase[], answer: ChatResult): Map<string, TestCase> {
  const parsed = parseLlmTests(answer.text, { truncated: answer.finishReason === 'length' });
  const fixes = new Map<string, TestCase>();
  for (const test of failing) {
    const fixed =
      parsed.tests.find((t) => t.name === test.name) ?? (failing.length === 1 ? parsed.tests[0] : undefined);
    if (!fixed) continue;
    const code = fixed.name === test.name ? fixed.code : renameDefinition(fixed.code, fixed.name, test.name);
    const support = parsed.support.length > 0 ? parsed.support : (test.support ?? []);
    fixes.set(test.name, {
      name: test.name,
      code,
      ...(fixed.className ? { className: fixed.className } : {}),
      // The answer's imports first; the earlier ones only for names the new code still uses.
      imports: pruneImports(
        [...new Set([...parsed.imports, ...test.imports])],
        new Set([code, ...support].flatMap(namesIn)),
      ),
      support,
    });
  }
  return fixes;
}

/** Where and how candidates run: one executor run, limits per test. */
export interface JudgeContext {
  readonly executor: TestExecutor;
  readonly assembler: TestFileAssembler;
  readonly target: ModuleTarget;
  readonly perTestTimeoutMs?: number;
}

/**
 * Runs each candidate in its own file (one broken file never hides the others) with per-test coverage. A
 * candidate whose file makes pytest collect other tests too (a test class hidden in the shared code) is refused
 * at the `import` stage: those tests would be written unchecked.
 */
export async function judgeCandidates(context: JudgeContext, candidates: readonly TestCase[]): Promise<Judged[]> {
  if (candidates.length === 0) return [];
  const { executor, assembler, target, perTestTimeoutMs } = context;
  const files = candidates.map((c, i) => assembler.assemble(target, [c], { fileName: `test_ta_candidate_${i}.py` }));
  const result = await executor.run({
    target,
    testFiles: files,
    perTestCoverage: true,
    ...(perTestTimeoutMs ? { perTestTimeoutMs } : {}),
  });
  return candidates.map((testCase, i) => {
    const nodeId = files[i].nodeIds.get(files[i].cases[0].name) as string;
    const outcome = caseOutcome(result, nodeId);
    const own = (id: string) => isNodeOf(id, nodeId);
    const collected = result.outcomes.some((o) => own(o.nodeId));
    const stray = result.outcomes.filter((o) => o.nodeId.startsWith(`${files[i].name}::`) && !own(o.nodeId));
    if (stray.length > 0) {
      return {
        testCase,
        stage: 'import',
        error: `its code also defines other tests (${stray.map((o) => o.nodeId.split('::').slice(1).join('::')).join(', ')}); keep one test per function`,
      };
    }
    if (outcome.status === 'passed') {
      return {
        testCase,
        stage: 'passed',
        coverage: perCaseCoverage(result, files[i].nodeIds).get(files[i].cases[0].name),
      };
    }
    if (!collected) {
      const syntax = /SyntaxError|IndentationError|TabError/.test(outcome.error ?? '');
      return { testCase, stage: syntax ? 'syntax' : 'import', error: outcome.error };
    }
    return { testCase, stage: 'run', error: outcome.error };
  });
}

/** The case under a name not used by `others` (`test_x`, `test_x_2`, ...), its definition renamed in the code. */
export function withUniqueName(testCase: TestCase, others: readonly TestCase[]): TestCase {
  const taken = new Set(others.map((o) => o.name));
  const name = uniqueName(testCase.name, (n) => taken.has(n));
  return name === testCase.name
    ? testCase
    : { ...testCase, name, code: renameDefinition(testCase.code, testCase.name, name) };
}

/** Whether each passing candidate passes `flakyRuns` re-runs (and the perturbed machines) too; all pass without re-runs. */
export async function stabilityOf(
  passing: readonly Judged[],
  request: LlmGenerationRequest,
  deps: RunDeps,
): Promise<readonly { readonly passing: boolean; readonly flaky: boolean }[]> {
  if (request.flakyRuns <= 0) return passing.map(() => ({ passing: true, flaky: false }));
  const checker = new FlakinessChecker(deps.executor, deps.assembler, {
    reruns: request.flakyRuns,
    concurrency: deps.concurrency ?? 2,
    ...(request.perturbations ? { perturbations: request.perturbations } : {}),
    ...(deps.perTestTimeoutMs ? { perTestTimeoutMs: deps.perTestTimeoutMs } : {}),
  });
  return checker.check(
    request.target,
    passing.map((j) => j.testCase),
  );
}
