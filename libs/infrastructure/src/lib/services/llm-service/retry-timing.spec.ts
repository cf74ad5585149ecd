import { retryDelayMs } from './retry-timing';

describe('retryDelayMs', () => {
  const options = { baseDelayMs: 500, maxDelayMs: 4000 };

  it('honours Retry-After exactly', () => {
    expect(retryDelayMs(1, 2000, options, () => 0)).toBe(2000);
    expect(retryDelayMs(5, 0, options, () => 0.9)).toBe(0);
  });

  it('doubles the ceiling per attempt up to the maximum, with jitter in [ceiling/2, ceiling]', () => {
    expect([1, 2, 3, 4, 5].map((a) => retryDelayMs(a, undefined, options, () => 0))).toEqual([
      250, 500, 1000, 2000, 2000,
    ]);
    expect([1, 2, 3, 4, 5].map((a) => retryDelayMs(a, undefined, options, () => 1))).toEqual([
      500, 1000, 2000, 4000, 4000,
    ]);
    expect(retryDelayMs(2, undefined, options, () => 0.5)).toBe(750);
  });
});
