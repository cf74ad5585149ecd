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

  it('shows the cleaned error of a failing test in a repair turn', () => {
    const message = new PromptBuilder().repair([{ name: 'test_sign', error: 'assert -1 == 1' }]);
    expect(message.role).toBe('user');
    expect(message.content).toContain('The test `test_sign` fails:\n```\nassert -1 == 1\n```');
    expect(message.content).toContain('keeping its name');
    expect(message.content).toContain('SUSPECTED BUG');
  });

  it('puts every failing test of an answer with its own error into one repair turn', () => {
    const { content } = new PromptBuilder().repair([
      { name: 'test_sign', error: 'assert -1 == 1' },
      { name: 'test_zero', error: 'E   TypeError: bad operand' },
    ]);
    expect(content).toContain('These 2 tests fail:');
    expect(content).toContain('`test_sign`:\n```\nassert -1 == 1\n```');
    expect(content).toContain('`test_zero`:\n```\nE   TypeError: bad operand\n```');
    expect(content).toContain('keeping their names');
  });

  it('tells a later round what became of the earlier tests and quotes the lines that still never run', () => {
    const { role, content } = new PromptBuilder().feedback({
      excerpt,
      kept: ['test_sign_positive'],
      useless: ['test_sign_again'],
      failed: ['test_sign_str'],
      defects: ['test_sign_zero'],
    });
    expect(role).toBe('user');
    expect(content.split('\n')).toEqual([
      'Kept (they add coverage): `test_sign_positive`.',
      'Passed but added no coverage (do not write such tests again): `test_sign_again`.',
      'Failed and were dropped: `test_sign_str`.',
      'Reported as suspected bugs (do not test that behaviour again): `test_sign_zero`.',
      '',
      'These lines of the code still never run:',
      '```python',
      '11:         return -1',
      '```',
      'Branches still never taken: 10→11.',
      'Write additional tests that make them run, with other inputs than before. Do not repeat earlier tests. One ```python block.',
    ]);
    const none = new PromptBuilder().feedback({ excerpt, kept: [], useless: [], failed: [], defects: [] }).content;
    expect(none).toMatch(/^None of your tests added coverage yet\.\n\nThese lines/);
  });
});
