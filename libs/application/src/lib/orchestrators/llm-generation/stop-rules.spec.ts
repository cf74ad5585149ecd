import { stopReason } from './stop-rules';

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
