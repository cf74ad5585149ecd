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
 * The LLM coverage loop for one module: rounds over the chunks with uncovered lines or branches, the largest gap
 * first. A chunk's first prompt is fitted to the budget (chunk with gaps marked, skeleton, dependency summaries);
 * its answer is parsed tolerantly and each test judged on its own (parses → imports → passes → passes re-runs →
 * adds coverage); the failing ones of an answer are repaired together in one turn of the same conversation with
 * their cleaned errors; a later round continues the chunk's conversation with feedback (the tests kept, those that
 * added nothing, the suspected defects, the lines and branches still missing), keeping as much of the history as
 * fits the budget. Integration tests across the public API are asked for once. Every accepted test and suspected
 * defect is checkpointed. LLM failures propagate: nothing is fabricated.
 *
 * Each `generate()` call is one `LlmGenerationRun` (in `llm-generation/`): chunk conversations, prompting,
 * candidate judging, checkpoints, stop rules and suspected defects live beside it.
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
