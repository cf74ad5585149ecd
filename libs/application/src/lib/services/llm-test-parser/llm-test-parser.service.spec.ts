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
    const answer =
      '```python\nfrom calc import add\n\ndef test_add_small():\n    assert add(1, 2) == 3\n\ndef test_add_large():\n    assert add(10**6, (1 +';
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
    const answer =
      'Sure! Below:\nimport pytest\nfrom m import f\n\ndef test_f():\n    result = f(\n        1,\n        2,\n)\n    assert result == 3\n';
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

  it('numbers a duplicate past names the answer already uses, renaming only its def', () => {
    const parsed = parseLlmTests(
      '```python\ndef test_a():\n    assert 1\n\ndef test_a_2():\n    assert 2\n\ndef test_a():\n    assert "def test_a(" != ""\n```',
    );
    expect(parsed.tests.map((t) => t.name)).toEqual(['test_a', 'test_a_2', 'test_a_3']);
    expect(parsed.tests[2].code).toBe('def test_a_3():\n    assert "def test_a(" != ""');
  });

  it('does not count brackets inside strings of a multi-line decorator', () => {
    const answer =
      '```python\n@pytest.mark.parametrize(\n    "text", ["(", "b"],\n)\ndef test_parens(text):\n    assert text\n```';
    const parsed = parseLlmTests(answer);
    expect(parsed.tests.map((t) => t.name)).toEqual(['test_parens']);
    expect(parsed.dropped).toEqual([]);
  });

  it('returns nothing from an answer with no code', () => {
    const parsed = parseLlmTests('I cannot help with that.');
    expect(parsed.tests).toEqual([]);
    expect(parsed.imports).toEqual([]);
  });

  it('keeps black-style multi-line imports whole, one statement each', () => {
    const parsed = parseLlmTests(
      '```python\nfrom decimal import (\n    Decimal,\n)\nfrom calc import (\n    add,\n)\n\ndef test_add():\n    assert add(Decimal(1), 1) == 2\n```',
    );
    expect(parsed.imports).toEqual(['from decimal import (\n    Decimal,\n)', 'from calc import (\n    add,\n)']);
    expect(parsed.tests.map((t) => t.name)).toEqual(['test_add']);
  });

  it('keeps a multi-line decorator with its test, at module level and inside a class', () => {
    const answer = [
      '```python',
      '@pytest.mark.parametrize(',
      '    "n, expected",',
      '    [(1, 1), (2, 4)],',
      ')',
      'def test_square(n, expected):',
      '    assert n * n == expected',
      '',
      'class TestMore:',
      '    @pytest.mark.parametrize(',
      '        "a", [1, 2]',
      '    )',
      '    def test_a(self, a):',
      '        assert a',
      '',
      '    def test_b(self):',
      '        assert True',
      '```',
    ].join('\n');
    const parsed = parseLlmTests(answer);
    expect(parsed.tests.map((t) => t.name)).toEqual(['test_square', 'test_a', 'test_b']);
    expect(parsed.tests[0].code.startsWith('@pytest.mark.parametrize(\n')).toBe(true);
    expect(parsed.tests[2].code).not.toContain('parametrize');
    expect(parsed.support).toEqual([]);
  });

  it('reads fences with an info string after the language, and indented fences', () => {
    expect(
      parseLlmTests('```python title=test_x.py\ndef test_x():\n    assert 1\n```').tests.map((t) => t.name),
    ).toEqual(['test_x']);
    expect(parseLlmTests('1. The test:\n   ```python\n   def test_y():\n       assert 1\n   ```').tests[0].code).toBe(
      'def test_y():\n    assert 1',
    );
  });

  it('treats unittest.TestCase subclasses as tests and drops nested test classes', () => {
    const answer =
      '```python\nimport unittest\n\nclass StackChecks(unittest.TestCase):\n    def test_push(self):\n        self.assertTrue(True)\n\nclass TestOuter:\n    class TestInner:\n        def test_inner(self):\n            assert False\n\n    def test_outer(self):\n        assert True\n```';
    const parsed = parseLlmTests(answer);
    expect(parsed.tests.map((t) => [t.className, t.name])).toEqual([
      ['StackChecks', 'test_push'],
      ['TestOuter', 'test_outer'],
    ]);
    expect(parsed.tests[1].code).not.toContain('TestInner');
    expect(parsed.support).toEqual([]);
    expect(parsed.dropped).toEqual(['TestOuter.TestInner: nested test classes are not supported']);
  });

  it('keeps a fixture named test_* as support, and prose with a colon and "=" is not code', () => {
    const parsed = parseLlmTests(
      '```python\n@pytest.fixture\ndef test_data():\n    return [1]\n\ndef test_len(test_data):\n    assert len(test_data) == 1\n```',
    );
    expect(parsed.tests.map((t) => t.name)).toEqual(['test_len']);
    expect(parsed.support).toEqual(['@pytest.fixture\ndef test_data():\n    return [1]']);
    expect(
      parseLlmTests('Note: the value = 5 is expected.\nimport calc\n\ndef test_v():\n    assert calc.v() == 5\n')
        .support,
    ).toEqual([]);
  });
});
