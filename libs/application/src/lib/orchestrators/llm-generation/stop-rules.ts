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

/**
 * Runs `step` on `items` with at most `concurrency` at once, in order; once a step returns a stop reason no further
 * item starts (those running finish). Resolves with the first stop reason, or undefined; a step's error rejects
 * once the running steps settled.
 */
export async function inParallel<T>(
  items: readonly T[],
  concurrency: number,
  step: (item: T) => Promise<LlmStopReason | undefined>,
): Promise<LlmStopReason | undefined> {
  let next = 0;
  let stop: LlmStopReason | undefined;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && stop === undefined && failure === undefined) {
      const item = items[next++];
      try {
        const reason = await step(item);
        stop ??= reason;
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  if (failure) throw failure.error;
  return stop;
}
