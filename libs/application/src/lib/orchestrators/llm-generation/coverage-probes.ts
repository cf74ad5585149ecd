import { CoverageReport, type Logger, type ModuleTarget, type TestCase, type TestExecutor } from '@test-agent/domain';
import { caseOutcome } from '../../services/flakiness-checker/flakiness-checker.service';
import type { TestFileAssembler } from '../../services/test-file-assembler/test-file-assembler.service';

/**
 * What coverage.py measures when a test only imports the module: its module-level lines (definitions,
 * constants). `error` is the cleaned failure when the import itself fails (coverage then shows nothing run).
 */
export async function measureImportCoverage(
  executor: TestExecutor,
  assembler: TestFileAssembler,
  target: ModuleTarget,
  limits: ProbeLimits = {},
): Promise<{ coverage: CoverageReport; error?: string }> {
  return probeCoverage(executor, assembler, target, limits, true);
}

/** The import coverage, the start of a run when nothing was accepted yet; a failing import is logged as a warning. */
export async function importCoverage(
  deps: { readonly executor: TestExecutor; readonly assembler: TestFileAssembler; readonly logger: Logger },
  target: ModuleTarget,
): Promise<CoverageReport> {
  const { coverage, error } = await measureImportCoverage(deps.executor, deps.assembler, target);
  if (error) deps.logger.warn('The module under test does not import cleanly', { module: target.moduleName, error });
  return coverage;
}

/**
 * coverage.py's statements and branches of `target` from a test that never imports it: all uncovered, even for
 * a module that cannot be imported (its file is still parsed).
 */
export async function measureUnimportedCoverage(
  executor: TestExecutor,
  assembler: TestFileAssembler,
  target: ModuleTarget,
  limits: ProbeLimits = {},
): Promise<CoverageReport> {
  return (await probeCoverage(executor, assembler, target, limits, false)).coverage;
}

type ProbeLimits = { perTestTimeoutMs?: number; overallTimeoutMs?: number };

/** One empty test under coverage.py, importing `target` first or not; `error` when that test did not pass. */
async function probeCoverage(
  executor: TestExecutor,
  assembler: TestFileAssembler,
  target: ModuleTarget,
  limits: ProbeLimits,
  importing: boolean,
): Promise<{ coverage: CoverageReport; error?: string }> {
  const name = importing ? 'test_module_imports' : 'test_statements_only';
  const probe: TestCase = {
    name,
    code: `def ${name}():\n    pass`,
    imports: importing ? [importStatementFor(target)] : [],
  };
  const file = assembler.assemble(target, [probe], {
    fileName: importing ? 'test_ta_import_probe.py' : 'test_ta_statements_probe.py',
  });
  const result = await executor.run({ target, testFiles: [file], ...limits });
  const outcome = caseOutcome(result, file.nodeIds.get(file.cases[0].name) as string);
  return {
    coverage: result.coverage,
    ...(outcome.status === 'passed' ? {} : { error: outcome.error ?? outcome.status }),
  };
}

/** `import calc` for a top-level module, `from shop import cart` for `shop.cart`. */
export function importStatementFor(target: ModuleTarget): string {
  const dot = target.moduleName.lastIndexOf('.');
  return dot < 0
    ? `import ${target.moduleName}`
    : `from ${target.moduleName.slice(0, dot)} import ${target.moduleName.slice(dot + 1)}`;
}
