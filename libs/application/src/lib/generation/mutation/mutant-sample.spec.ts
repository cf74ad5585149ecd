import type { Mutant, MutationOperator } from '@test-agent/domain';
import { runOrder, sampleMutants } from './mutant-sample';

const mutant = (operator: MutationOperator, line: number): Mutant => ({
  operator,
  line,
  statementLine: line,
  start: line * 100,
  end: line * 100 + 1,
  original: '<',
  replacement: '<=',
});

describe('sampleMutants', () => {
  it('keeps every mutant when there are no more than the cap', () => {
    const all = [mutant('comparison', 1), mutant('return', 2)];
    expect(sampleMutants(all, 2)).toEqual(all);
  });

  it('shares the cap over the operators, spreads each share over its lines, and keeps source order', () => {
    // 40 constants on lines 1-40, 2 returns on lines 41-42, 10 comparisons on lines 43-52.
    const all = [
      ...Array.from({ length: 40 }, (_, i) => mutant('constant', i + 1)),
      mutant('return', 41),
      mutant('return', 42),
      ...Array.from({ length: 10 }, (_, i) => mutant('comparison', 43 + i)),
    ];
    const picked = sampleMutants(all, 12);
    // Shares: return 2 (all it has), then comparison and constant 5 each; evenly spaced within each.
    expect(picked.map((m) => `${m.operator}:${m.line}`)).toEqual([
      'constant:5',
      'constant:13',
      'constant:21',
      'constant:29',
      'constant:37',
      'return:41',
      'return:42',
      'comparison:44',
      'comparison:46',
      'comparison:48',
      'comparison:50',
      'comparison:52',
    ]);
  });

  it('runs the operators in turn and each one top, middle, quarters, so a budget cut leaves a spread sample', () => {
    const all = [
      ...Array.from({ length: 8 }, (_, i) => mutant('constant', i + 1)),
      ...Array.from({ length: 3 }, (_, i) => mutant('return', 20 + i)),
    ];
    expect(runOrder(all).map((m) => `${m.operator}:${m.line}`)).toEqual([
      'constant:1',
      'return:20',
      'constant:5',
      'return:22',
      'constant:3',
      'return:21',
      'constant:7',
      'constant:2',
      'constant:6',
      'constant:4',
      'constant:8',
    ]);
  });
});
