import type { ChatMessage, CodeChunk, CoverageReport, TokenCounter } from '@test-agent/domain';
import { countMessages, type ChunkPromptRequest } from '../../services/context-builder/context-builder.service';
import type { PromptBuilder } from '../../services/prompt-builder/prompt-builder.service';
import type { PromptFitting } from './run-state';

/** Lines of a failing test's cleaned error that go into its repair turn. */
const REPAIR_ERROR_LINES = 40;

/** A prompt ready to send: its messages, their tokens, and the turn it adds to the dialogue. */
export interface DialoguePrompt {
  readonly messages: ChatMessage[];
  readonly tokens: number;
  /** The new user turn (empty for the opening prompt, whose messages the dialogue rebuilds itself). */
  readonly turn: readonly ChatMessage[];
}

/**
 * The conversation of one chunk across the run: its opening prompt (rebuilt and fitted at each call), then every
 * answer and follow-up (repairs, later rounds' feedback), and what became of the tests it proposed. A prompt keeps
 * as much of the recent history as fits the budget; the oldest turns go first, the last answer never does (a
 * follow-up refers to it).
 */
export class ChunkDialogue {
  private readonly turns: ChatMessage[] = [];
  readonly kept: string[] = [];
  readonly useless: string[] = [];
  readonly failed: string[] = [];

  constructor(
    readonly chunk: CodeChunk,
    /** The opening prompt's request: its marks are the coverage when the dialogue began. */
    readonly opening: ChunkPromptRequest,
  ) {}

  /** The opening prompt alone, or undefined when even its leanest form cannot fit. */
  async open(fitting: PromptFitting): Promise<DialoguePrompt | { readonly overBudget: number }> {
    const fitted = await fitting.context.unitTestPrompt(this.opening);
    return fitted.overBudget
      ? { overBudget: fitted.tokens }
      : { messages: fitted.messages, tokens: fitted.tokens, turn: [] };
  }

  /** The opening prompt, the most recent history that fits, then `turn`; undefined when nothing fits. */
  async followUp(
    fitting: PromptFitting,
    counter: TokenCounter,
    turn: readonly ChatMessage[],
  ): Promise<DialoguePrompt | undefined> {
    const turnTokens = await countMessages(counter, turn);
    // Dropped in pairs (an answer and the follow-up after it), so user and assistant turns keep alternating.
    for (let from = 0; from < this.turns.length; from += 2) {
      const history = this.turns.slice(from);
      const reserve = (await countMessages(counter, history)) + turnTokens;
      const fitted = await fitting.context.unitTestPrompt({ ...this.opening, reserveTokens: reserve });
      if (!fitted.overBudget)
        return { messages: [...fitted.messages, ...history, ...turn], tokens: fitted.tokens + reserve, turn };
    }
    return undefined;
  }

  /** Records a prompt sent and the model's answer to it. */
  answered(prompt: DialoguePrompt, answer: string): void {
    this.turns.push(...prompt.turn, { role: 'assistant', content: answer });
  }

  /** Records what became of tests of this dialogue's answers. */
  note(outcome: {
    readonly kept?: readonly string[];
    readonly useless?: readonly string[];
    readonly failed?: readonly string[];
  }): void {
    this.kept.push(...(outcome.kept ?? []));
    this.useless.push(...(outcome.useless ?? []));
    this.failed.push(...(outcome.failed ?? []));
  }

  /** The repair turn for `failing`: each test's name and cleaned error. */
  repairTurn(
    prompts: PromptBuilder,
    failing: readonly { readonly name: string; readonly error?: string }[],
  ): ChatMessage[] {
    return [
      prompts.repair(
        failing.map((f) => ({
          name: f.name,
          error: truncateLines(f.error ?? 'the test did not run', REPAIR_ERROR_LINES),
        })),
      ),
    ];
  }

  /** The feedback turn of a later round: the earlier tests' fate and the chunk's gaps under `coverage`. */
  feedbackTurn(prompts: PromptBuilder, coverage: CoverageReport, defects: readonly string[]): ChatMessage[] {
    const span = coverage.project(this.chunk.startLine, this.chunk.endLine);
    return [
      prompts.feedback({
        excerpt: {
          code: this.chunk.code.replace(/\n$/, ''),
          startLine: this.chunk.startLine,
          missingLines: span.missingLines,
          missingBranches: span.missingBranches,
        },
        kept: this.kept,
        useless: this.useless,
        failed: this.failed,
        defects,
      }),
    ];
  }
}

function truncateLines(text: string, max: number): string {
  const lines = text.split('\n');
  return lines.length <= max ? text : [...lines.slice(0, max), `... (${lines.length - max} more lines)`].join('\n');
}
