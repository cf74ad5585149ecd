import type { LlmGenerationRequest, LlmStopReason } from './llm-generation.types';

/** A budget (tokens, time) or the target ended the run: not a failure, a reason returned up to the loop. */
export interface Stopped {
  readonly stop: LlmStopReason;
}

export const isStopped = (value: object): value is Stopped => 'stop' in value;

/** Where a run stands against its limits. */
export interface RunPosition {
  /** Line+branch coverage of the module so far, percent. */
  readonly combinedPercent: number;
  /** Tokens spent so far (prompt + completion, summaries included). */
  readonly spentTokens: number;
  /** Epoch ms. */
  readonly now: number;
}

/**
 * Why no further call may start, in this order: the target is reached, the tokens are spent (or the prompt about
 * to be sent, `nextPromptTokens`, plus the completion reserved for its answer would pass `maxTokens`), the
 * deadline has passed. Undefined when the run may go on.
 */
export function stopReason(
  limits: Pick<LlmGenerationRequest, 'targetCoverage' | 'maxTokens' | 'maxCompletionTokens' | 'deadline'>,
  position: RunPosition,
  nextPromptTokens = 0,
): LlmStopReason | undefined {
  if (position.combinedPercent >= limits.targetCoverage) return 'target';
  const next = nextPromptTokens > 0 ? nextPromptTokens + limits.maxCompletionTokens : 0;
  const spent = position.spentTokens;
  if (spent >= limits.maxTokens || spent + next > limits.maxTokens) return 'token-budget';
  if (position.now >= limits.deadline) return 'time-budget';
  return undefined;
}
