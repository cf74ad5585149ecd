import type { ModuleTarget } from '@test-agent/domain';
import type { GenerateTestsRequest, GenerationStrategy } from '../generation-request';
import type { ModuleGenerationReport } from '../report/generation-report';

/**
 * One way of writing a module's tests (offline search, LLM, both). Composition builds one per available strategy
 * and hands them to `GenerateTests`, which picks the one the request names; each ends in the `SuiteFinaliser`.
 */
export interface TestGenerationStrategy {
  readonly name: GenerationStrategy;
  /**
   * Generates, validates, finalises and writes the tests of `target`; `many` when the run has several modules
   * (then a module that cannot be imported or tested is reported as skipped instead of stopping the run). Throws
   * `InvalidInputError` for a module alone that cannot be tested, and whatever stops the run (an LLM outage, a
   * broken environment) after writing what it can.
   */
  generate(target: ModuleTarget, request: GenerateTestsRequest, many: boolean): Promise<ModuleGenerationReport>;
}
