import { TokenAccuracyTracker, tokenCountAccuracy } from './token-accuracy.tracker';

describe('token count accuracy', () => {
  it('is 1 - |estimate - actual| / actual, floored at 0', () => {
    expect(tokenCountAccuracy(100, 100)).toBe(1);
    expect(tokenCountAccuracy(90, 100)).toBeCloseTo(0.9, 12);
    expect(tokenCountAccuracy(110, 100)).toBeCloseTo(0.9, 12);
    expect(tokenCountAccuracy(500, 100)).toBe(0);
  });

  it('keeps a running mean per endpoint', () => {
    const tracker = new TokenAccuracyTracker();
    expect(tracker.record('a', 100, 100)).toBe(1);
    expect(tracker.record('a', 80, 100)).toBeCloseTo(0.9, 12);
    tracker.record('b', 50, 100);
    expect(tracker.snapshot()).toEqual([
      { endpoint: 'a', counts: 'local', samples: 2, accuracy: expect.closeTo(0.9, 12) },
      { endpoint: 'b', counts: 'local', samples: 1, accuracy: 0.5 },
    ]);
  });

  it('keeps estimated counts in a series of their own, never mixed into the exact one', () => {
    const tracker = new TokenAccuracyTracker();
    tracker.record('gigachat', 100, 100, 'exact');
    expect(tracker.record('gigachat', 50, 100, 'estimated')).toBe(0.5);
    expect(tracker.record('gigachat', 100, 100, 'exact')).toBe(1);
    expect(tracker.snapshot()).toEqual([
      { endpoint: 'gigachat', counts: 'exact', samples: 2, accuracy: 1 },
      { endpoint: 'gigachat', counts: 'estimated', samples: 1, accuracy: 0.5 },
    ]);
  });
});
