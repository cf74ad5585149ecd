import { renameDefinition, renameIdentifier } from './renaming';

describe('renameIdentifier', () => {
  it('renames names, parameters and defaults, not attributes, strings, comments or keyword arguments', () => {
    const source = 'def test_x(cart, n=cart):\n    assert cart.cart == "cart"  # cart\n    make(cart=cart)';
    expect(renameIdentifier(source, 'cart', 'cart_2')).toBe(
      'def test_x(cart_2, n=cart_2):\n    assert cart_2.cart == "cart"  # cart\n    make(cart=cart_2)',
    );
  });
});

describe('renameDefinition', () => {
  it('renames the def only, not calls, strings, comments or attributes of the same name', () => {
    const source = '@mark("def test_a(")  # def test_a(\nasync def test_a(x):\n    test_a(1)\n    obj.test_a = 2';
    expect(renameDefinition(source, 'test_a', 'test_a_2')).toBe(
      '@mark("def test_a(")  # def test_a(\nasync def test_a_2(x):\n    test_a(1)\n    obj.test_a = 2',
    );
  });

  it('renames an indented method and leaves code without the definition as it is', () => {
    expect(renameDefinition('class TestX:\n    def test_a(self):\n        pass', 'test_a', 'test_b')).toBe(
      'class TestX:\n    def test_b(self):\n        pass',
    );
    expect(renameDefinition('def test_ab():\n    pass', 'test_a', 'test_b')).toBe('def test_ab():\n    pass');
  });
});
