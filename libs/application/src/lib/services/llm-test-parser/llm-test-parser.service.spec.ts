import { parseLlmTests } from './llm-test-parser.service';

describe('parseLlmTests', () => {
  it('takes python fences, ignores prose and other languages, and splits tests one by one', () => {
    const answer = [
      'Here are the tests you asked for:',
      '',
      '```python',
      'import pytest',
      'from calc import divide, CalculatorError',
      '',
      '@pytest.fixture',
      'def numbers():',
      '    return [1, 2]',
      '',
      'def test_divide_returns_quotient():',
      '    assert divide(6, 3) == 2',
      '',
      '',
      '@pytest.mark.parametrize("b", [0, 0.0])',
      'def test_divide_by_zero_raises(b):',
      '    with pytest.raises(CalculatorError):',
      '        divide(1, b)',
      '```',
      '',
      'Run them with:',
      '```bash',
      'pytest -q',
      '```',
      'These cover the error path too.',
    ].join('\n');
    const parsed = parseLlmTests(answer);
    expect(parsed.imports).toEqual(['import pytest', 'from calc import divide, CalculatorError']);
    expect(parsed.support).toEqual(['@pytest.fixture\ndef numbers():\n    return [1, 2]']);
    expect(parsed.tests.map((t) => t.name)).toEqual(['test_divide_returns_quotient', 'test_divide_by_zero_raises']);
    expect(parsed.tests[1].code).toBe(
      '@pytest.mark.parametrize("b", [0, 0.0])\ndef test_divide_by_zero_raises(b):\n    with pytest.raises(CalculatorError):\n        divide(1, b)',
    );
    expect(parsed.truncated).toBe(false);
  });

  it('drops only the cut-off last test of a truncated answer', () => {
    const answer = '```python\nfrom calc import add\n\ndef test_add_small():\n    assert add(1, 2) == 3\n\ndef test_add_large():\n    assert add(10**6, (1 +';
    const parsed = parseLlmTests(answer);
    expect(parsed.tests.map((t) => t.name)).toEqual(['test_add_small']);
    expect(parsed.truncated).toBe(true);
    expect(parsed.dropped).toEqual(['test_add_large: cut off']);
  });

  it('keeps a complete last test when the answer was cut after it', () => {
    const parsed = parseLlmTests('```python\ndef test_one():\n    assert 1 == 1\n', { truncated: true });
    expect(parsed.tests.map((t) => t.name)).toEqual(['test_one']);
  });

  it('reads unfenced answers from the first code line, and multi-line calls stay in their block', () => {
    const answer = 'Sure! Below:\nimport pytest\nfrom m import f\n\ndef test_f():\n    result = f(\n        1,\n        2,\n)\n    assert result == 3\n';
    const parsed = parseLlmTests(answer);
    expect(parsed.imports).toEqual(['import pytest', 'from m import f']);
    expect(parsed.tests).toHaveLength(1);
    expect(parsed.tests[0].code).toContain('assert result == 3');
  });

  it('splits a test class into one unit per method, each with the shared members', () => {
    const answer = [
      '```py',
      'class TestCart:',
      '    @pytest.fixture',
      '    def cart(self):',
      '        return Cart()',
      '',
      '    def test_empty_total(self, cart):',
      '        assert cart.total() == 0',
      '',
      '    async def test_async(self, cart):',
      '        assert cart',
      '```',
    ].join('\n');
    const parsed = parseLlmTests(answer);
    expect(parsed.tests.map((t) => [t.className, t.name])).toEqual([
      ['TestCart', 'test_empty_total'],
      ['TestCart', 'test_async'],
    ]);
    expect(parsed.tests[0].code).toBe(
      'class TestCart:\n    @pytest.fixture\n    def cart(self):\n        return Cart()\n\n    def test_empty_total(self, cart):\n        assert cart.total() == 0',
    );
    expect(parsed.tests[1].code).not.toContain('test_empty_total');
  });

  it('renames duplicate test names so both can be judged', () => {
    const parsed = parseLlmTests('```python\ndef test_a():\n    assert True\n\ndef test_a():\n    assert 1\n```');
    expect(parsed.tests.map((t) => t.name)).toEqual(['test_a', 'test_a_2']);
    expect(parsed.tests[1].code).toBe('def test_a_2():\n    assert 1');
  });

  it('returns nothing from an answer with no code', () => {
    const parsed = parseLlmTests('I cannot help with that.');
    expect(parsed.tests).toEqual([]);
    expect(parsed.imports).toEqual([]);
  });
});
