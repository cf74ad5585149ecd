import { bracketDepth, namesIn } from './names';

describe('namesIn', () => {
  it('gives the names used outside strings, not attributes after a dot', () => {
    expect(namesIn("Cart(items={'a b': Decimal('2.50')}).total(io.StringIO(b'x'), 1e-09, 0x1f)")).toEqual([
      'Cart',
      'items',
      'Decimal',
      'io',
    ]);
  });

  it('skips names in comments and keeps keywords and non-ASCII names', () => {
    expect(namesIn('lambda x: None  # Decimal\nCafé(x)')).toEqual(['lambda', 'x', 'None', 'Café', 'x']);
  });
});

describe('bracketDepth', () => {
  it('counts opening and closing brackets, not those in strings or comments', () => {
    expect(bracketDepth('@pytest.mark.parametrize("s", ["(", ")]"],  # (')).toBe(1);
    expect(bracketDepth(')')).toBe(-1);
    expect(bracketDepth('from x import (a, b)')).toBe(0);
  });
});
