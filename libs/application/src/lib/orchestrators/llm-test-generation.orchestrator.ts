import { noopMetrics, silentLogger, type Logger, type Metrics } from '@test-agent/domain';
import { ContextBuilder } from '../services/context-builder/context-builder.service';
import { PromptBuilder } from '../services/prompt-builder/prompt-builder.service';
import { TestFileAssembler } from '../services/test-file-assembler/test-file-assembler.service';
import { LlmGenerationRun } from './llm-generation/llm-generation-run';
import type {
  LlmGenerationRequest,
  LlmGenerationResult,
  LlmTestGenerationDeps,
} from './llm-generation/llm-generation.types';

export * from './llm-generation/llm-generation.types';
export { importStatementFor, measureImportCoverage, measureUnimportedCoverage } from './llm-generation/coverage-probes';
export { failureHeadline } from './llm-generation/suspected-defects';

/**
 * The LLM coverage loop for one module: for each chunk with uncovered lines or branches, a prompt fitted to the
 * budget (chunk with gaps marked, skeleton, dependency summaries) → tolerant parsing → each test judged on its
 * own (parses → imports → passes → passes re-runs → adds coverage) → failing ones repaired in the same
 * conversation with the cleaned error → union of coverage → re-target the gaps, until the target or a budget
 * (iterations, tokens, time) stops it. Integration tests across the public API are asked for once. Every
 * accepted test is checkpointed. LLM failures propagate: nothing is fabricated.
 *
 * Each `generate()` call is one `LlmGenerationRun` (in `llm-generation/`): prompting, candidate judging,
 * checkpoints, stop rules and suspected defects live beside it.
 */
export class LlmTestGeneration {
  private readonly logger: Logger;
  private readonly metrics: Metrics;
  private readonly now: () => number;
  private readonly assembler: TestFileAssembler;
  private readonly prompts = new PromptBuilder();
  private context: ContextBuilder;
  private promptBudgetTokens: number;

  constructor(private readonly deps: LlmTestGenerationDeps) {
    this.logger = (deps.logger ?? silentLogger).child('llm_generation');
    this.metrics = deps.metrics ?? noopMetrics;
    this.now = deps.now ?? (() => Date.now());
    this.assembler = deps.assembler ?? new TestFileAssembler();
    this.promptBudgetTokens = deps.promptBudgetTokens;
    this.context = new ContextBuilder(deps.counter, deps.promptBudgetTokens, this.prompts);
  }

  /**
   * Fits every later prompt to `promptBudgetTokens` (the chain's detected context window, known only once the
   * endpoints were asked). Same value for every module of a run, so concurrent modules agree.
   */
  fitPrompts(promptBudgetTokens: number): void {
    if (promptBudgetTokens === this.promptBudgetTokens) return;
    this.promptBudgetTokens = promptBudgetTokens;
    this.context = new ContextBuilder(this.deps.counter, promptBudgetTokens, this.prompts);
  }

  /**
   * Runs the loop for one module. Throws `InvalidInputError` (`TA_CHECKPOINT_INVALID`) when asked to resume from a
   * checkpoint this version did not write, and whatever the LLM client throws before the deadline.
   */
  async generate(request: LlmGenerationRequest): Promise<LlmGenerationResult> {
    const run = new LlmGenerationRun(request, {
      ...this.deps,
      logger: this.logger,
      metrics: this.metrics,
      now: this.now,
      assembler: this.assembler,
      prompts: this.prompts,
      fitting: () => ({ context: this.context, promptBudgetTokens: this.promptBudgetTokens }),
    });
    return run.execute();
  }
}
