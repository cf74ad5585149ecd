import { compactRanges, formatBranch } from './line-ranges';

describe('line ranges', () => {
  it('compacts sorted lines into ranges', () => {
    expect(compactRanges([1, 2, 3, 7, 9, 10])).toBe('1-3, 7, 9-10');
    expect(compactRanges([])).toBe('');
    expect(compactRanges([5])).toBe('5');
  });

  it('formats branches, exits included', () => {
    expect(formatBranch([12, 14])).toBe('12->14');
    expect(formatBranch([12, -10])).toBe('12->exit');
  });
});
