import type { CoverageReport, ModuleTarget, TestCase, TestWorkspace } from '@test-agent/domain';
import type { TestFileAssembler } from '../services/test-file-assembler/test-file-assembler.service';
import type { EmitResult, TestFileEmitter } from '../services/test-file-assembler/test-file-emitter.service';
import { testFilesOf } from '../use-cases/test-file-layout';
import type { GenerateTestsRequest } from './generation-request';

/** Writes a module's unit or integration tests at their place in the output tree, never over a user's file. */
export class ModuleTestWriter {
  constructor(
    private readonly assembler: TestFileAssembler,
    private readonly fileEmitter: TestFileEmitter,
    private readonly workspace: TestWorkspace,
  ) {}

  /**
   * Writes `cases` at the module's place in the output tree (`request.testPlaces`; the output folder itself,
   * named as in the executor's runs, without one); the header states `coverage` when given.
   */
  async write(
    target: ModuleTarget,
    request: GenerateTestsRequest,
    cases: readonly TestCase[],
    options: { coverage?: CoverageReport; integration?: boolean } = {},
  ): Promise<EmitResult> {
    const place = request.testPlaces?.get(target.file);
    const files = place
      ? testFilesOf(place)
      : { unit: this.assembler.fileNameFor(target), integration: integrationFileName(this.assembler, target) };
    const relative = options.integration ? files.integration : files.unit;
    const slash = relative.lastIndexOf('/');
    const file = this.assembler.assemble(target, cases, {
      fileName: relative.slice(slash + 1),
      ...(options.coverage ? { coverage: options.coverage } : {}),
    });
    const folder = slash < 0 ? request.outDir : this.workspace.pathIn(request.outDir, relative.slice(0, slash));
    return this.fileEmitter.emit(folder, file, { force: request.force });
  }
}

/** `test_<module>_integration.py`, beside the unit tests' `test_<module>.py`. */
export function integrationFileName(assembler: TestFileAssembler, target: ModuleTarget): string {
  return assembler.fileNameFor(target).replace(/\.py$/, '_integration.py');
}
