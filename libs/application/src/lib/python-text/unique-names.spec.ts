import { uniqueName } from './unique-names';

describe('uniqueName', () => {
  it('keeps a free name and numbers a taken one from 2, past numbers already taken', () => {
    const taken = new Set(['test_a', 'test_a_2', 'test_b']);
    expect(uniqueName('test_c', (n) => taken.has(n))).toBe('test_c');
    expect(uniqueName('test_b', (n) => taken.has(n))).toBe('test_b_2');
    expect(uniqueName('test_a', (n) => taken.has(n))).toBe('test_a_3');
  });
});
