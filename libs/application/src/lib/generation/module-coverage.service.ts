import {
  silentLogger,
  type CoverageReport,
  type Logger,
  type ModuleTarget,
  type TestExecutor,
} from '@test-agent/domain';
import { measureImportCoverage, measureUnimportedCoverage } from '../orchestrators/llm-test-generation.orchestrator';
import type { TestFileAssembler } from '../services/test-file-assembler/test-file-assembler.service';
import { pytestLimits, withExistingCoverage, type GenerateTestsRequest } from './generation-request';
import type { ModuleGenerationReport } from './report/generation-report';
import { errorReason } from './report/report-facts';

/** Errors of modules refused before they were read, or with nothing to count: their totals stay 0/0. */
const UNREAD_MODULE_ERRORS = new Set(['TA_FILE_TOO_LARGE', 'TA_BINARY_FILE', 'TA_EMPTY_MODULE', 'TA_NOT_UTF8']);

/** The coverage a module has besides the generated tests: the project's own tests', its import's, none. */
export class ModuleCoverage {
  constructor(
    private readonly executor: TestExecutor,
    private readonly assembler: TestFileAssembler,
    private readonly logger: Logger = silentLogger,
  ) {}

  /**
   * The coverage the project's own tests (`request.existingTests`) give `target`, run the way pytest runs them in
   * the project (its conftest files and configuration), test files under the output folder left out.
   */
  async ofExistingTests(target: ModuleTarget, request: GenerateTestsRequest): Promise<CoverageReport | undefined> {
    if (!request.existingTests) return undefined;
    const result = await this.executor.run({
      target,
      testPaths: [request.existingTests],
      ignorePaths: [request.outDir],
      ...pytestLimits(request),
    });
    const failed = result.outcomes.filter(
      (o) => o.status === 'failed' || o.status === 'error' || o.status === 'timeout',
    ).length;
    if (failed > 0 || result.collectionErrors.length > 0) {
      this.logger.warn('Some of your existing tests did not pass; the coverage of those that ran is the baseline', {
        module: target.moduleName,
        failed,
        collectionErrors: result.collectionErrors.length,
      });
    }
    return result.coverage;
  }

  /**
   * A module for which no test was kept is still measured by coverage.py: its module-level lines run when it is
   * imported. Modules that could not be imported keep their error.
   */
  async withImportCoverage(
    target: ModuleTarget,
    request: GenerateTestsRequest,
    report: ModuleGenerationReport,
  ): Promise<ModuleGenerationReport> {
    if (report.testFile || report.integrationTestFile) return report;
    if (report.error) return this.withUntestedStatements(target, request, report);
    const imported = await measureImportCoverage(this.executor, this.assembler, target, pytestLimits(request));
    const coverage = withExistingCoverage(request, imported.coverage);
    return { ...report, coverage: coverage.summary(), missingLines: coverage.missingLines };
  }

  /**
   * Honest totals: a module that could not be imported or tested still counts, with every statement and branch
   * uncovered. coverage.py counts them from a run that never imports the module; a file it cannot parse (or one
   * refused unread: binary, oversized) stays at 0/0, its error saying why.
   */
  private async withUntestedStatements(
    target: ModuleTarget,
    request: GenerateTestsRequest,
    report: ModuleGenerationReport,
  ): Promise<ModuleGenerationReport> {
    if (UNREAD_MODULE_ERRORS.has(report.error?.code ?? '')) return report;
    try {
      const coverage = await measureUnimportedCoverage(this.executor, this.assembler, target, pytestLimits(request));
      return { ...report, coverage: coverage.summary(), missingLines: coverage.missingLines };
    } catch (e) {
      this.logger.warn('Could not count the statements of a module that was not tested', {
        module: target.moduleName,
        error: errorReason(e).message,
      });
      return report;
    }
  }
}
