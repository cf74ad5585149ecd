import { inParallel, stopReason } from './stop-rules';

const limits = { targetCoverage: 90, maxTokens: 1000, maxCompletionTokens: 100, deadline: 5000 };
const position = { combinedPercent: 50, spentTokens: 0, now: 0 };

describe('stopReason', () => {
  it('lets the run go on under every limit', () => {
    expect(stopReason(limits, position)).toBeUndefined();
    expect(stopReason(limits, position, 900)).toBeUndefined(); // 900 + 100 reserved = exactly maxTokens
  });

  it('stops at the target first, then the tokens, then the time', () => {
    const everything = { combinedPercent: 90, spentTokens: 1000, now: 5000 };
    expect(stopReason(limits, everything)).toBe('target');
    expect(stopReason(limits, { ...everything, combinedPercent: 89.9 })).toBe('token-budget');
    expect(stopReason(limits, { ...everything, combinedPercent: 89.9, spentTokens: 999 })).toBe('time-budget');
  });

  it('stops for tokens when the next prompt and the answer reserved for it would pass maxTokens', () => {
    expect(stopReason(limits, { ...position, spentTokens: 500 }, 401)).toBe('token-budget');
    expect(stopReason(limits, { ...position, spentTokens: 500 }, 400)).toBeUndefined();
    // Without a prompt about to be sent, only what was spent counts.
    expect(stopReason(limits, { ...position, spentTokens: 999 })).toBeUndefined();
  });
});

describe('inParallel', () => {
  const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('runs at most `concurrency` steps at once, every item once, in order of start', async () => {
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const stop = await inParallel([1, 2, 3, 4, 5], 2, async (n) => {
      started.push(n);
      most = Math.max(most, ++running);
      await delay(5);
      running--;
      return undefined;
    });
    expect(stop).toBeUndefined();
    expect(started).toEqual([1, 2, 3, 4, 5]);
    expect(most).toBe(2);
  });

  it('starts nothing after a stop reason and resolves with the first one', async () => {
    const started: number[] = [];
    const stop = await inParallel([1, 2, 3, 4], 2, async (n) => {
      started.push(n);
      await delay(n === 1 ? 1 : 10);
      return n === 1 ? 'token-budget' : n === 2 ? 'time-budget' : undefined;
    });
    expect(stop).toBe('token-budget');
    expect(started).toEqual([1, 2]);
  });

  it('rejects with the first error once the running steps settled', async () => {
    const settled: number[] = [];
    const failure = new Error('LLM down');
    await expect(
      inParallel([1, 2, 3], 2, async (n) => {
        if (n === 1) throw failure;
        await delay(5);
        settled.push(n);
        return undefined;
      }),
    ).rejects.toBe(failure);
    expect(settled).toEqual([2]);
  });
});
