import { listGaps, markExcerpt, PromptBuilder } from './prompt-builder.service';

const excerpt = {
  code: 'def sign(x):\n    if x < 0:\n        return -1\n    return 1',
  startLine: 9,
  missingLines: [11],
  missingBranches: [[10, 11]] as [number, number][],
};

describe('PromptBuilder', () => {
  it('marks uncovered lines and untaken branches with module line numbers', () => {
    expect(markExcerpt(excerpt)).toBe(
      [
        '   9: def sign(x):',
        '~>10:     if x < 0:  # branch not taken: line 11',
        '>>11:         return -1',
        '  12:     return 1',
      ].join('\n'),
    );
  });

  it('pads line numbers to the widest one', () => {
    const text = markExcerpt({ code: 'a = 1\nb = 2', startLine: 99, missingLines: [], missingBranches: [[100, -1]] });
    expect(text.split('\n')).toEqual(['   99: a = 1', '~>100: b = 2  # branch not taken: exit']);
  });

  it('puts the import statement, skeleton, summaries and the marked excerpt into the unit-test prompt', () => {
    const [system, user] = new PromptBuilder().unitTests({
      moduleName: 'shop.cart',
      importStatement: 'from shop import cart',
      skeleton: 'class Cart:\n    def total(self) -> Decimal: ...',
      summaries: ['Product: frozen dataclass with sku, name, price'],
      excerpt,
      symbols: ['sign'],
    });
    expect(system.role).toBe('system');
    expect(system.content).toContain('tmp_path');
    expect(system.content).toContain('monkeypatch');
    expect(system.content).toMatch(/never touch the network/);
    expect(user.content).toContain('`from shop import cart`');
    expect(user.content).toContain('class Cart:');
    expect(user.content).toContain('- Product: frozen dataclass with sku, name, price');
    expect(user.content).toContain('>>11:         return -1');
  });

  it('lists the gaps after plain code in the compact form', () => {
    expect(listGaps({ ...excerpt, missingLines: [11, 12, 14] })).toBe(
      [
        'The code below is lines 9-12 of the module.',
        '```python',
        excerpt.code,
        '```',
        'Lines that never run yet: 11-12, 14.',
        'Branches never taken: 10→11.',
      ].join('\n'),
    );
  });

  it('shows the cleaned error and the failing test in a repair prompt', () => {
    const message = new PromptBuilder().repair(
      'test_sign',
      'def test_sign():\n    assert sign(-2) == 1',
      'assert -1 == 1',
    );
    expect(message.role).toBe('user');
    expect(message.content).toContain('`test_sign` fails');
    expect(message.content).toContain('assert -1 == 1');
    expect(message.content).toContain('SUSPECTED BUG');
  });
});
