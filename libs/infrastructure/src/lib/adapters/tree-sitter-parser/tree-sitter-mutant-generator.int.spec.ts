import { readFileSync } from 'node:fs';
import path from 'node:path';
import { applyMutant } from '@test-agent/domain';
import { TreeSitterMutantGenerator } from './tree-sitter-mutant-generator.adapter';
import { TreeSitterCodeParser } from './tree-sitter-code-parser.adapter';

const source = readFileSync(path.join(__dirname, '__fixtures__', 'mutation_sample.py'), 'utf8');
const generator = new TreeSitterMutantGenerator();

describe('TreeSitterMutantGenerator on mutation_sample.py', () => {
  const mutants = generator.mutants(source);

  it('makes one mutant per site and operator, in source order, each with its statement line', () => {
    expect(mutants.map((m) => [m.line, m.statementLine, m.operator, m.original, m.replacement])).toEqual([
      // The docstring, __all__ and the annotation `int` are never mutated.
      [4, 4, 'constant', '10', '11'],
      [4, 4, 'constant', '10', '9'],
      [7, 7, 'constant', '0', '1'],
      [7, 7, 'constant', '2.5', '1.5'],
      [7, 7, 'constant', '2.5', '3.5'],
      [8, 8, 'condition', 'value < low', 'not (value < low)'],
      [8, 8, 'comparison', '<', '<='],
      [9, 9, 'return', 'return low', 'return None'],
      // `elif not x` is negated by dropping the `not`; the clause has its own line.
      [10, 10, 'condition', 'not value <= high', 'value <= high'],
      [10, 10, 'comparison', '<=', '<'],
      [11, 11, 'return', 'return high', 'return None'],
      [12, 12, 'return', 'return value', 'return None'],
      [15, 15, 'constant', 'True', 'False'],
      [16, 16, 'constant', '0', '1'],
      [17, 17, 'condition', 'total is not None and total in items', 'not (total is not None and total in items)'],
      [17, 17, 'comparison', 'is not', 'is'],
      [17, 17, 'comparison', 'in', 'not in'],
      [18, 18, 'arithmetic', '+=', '-='],
      [18, 18, 'constant', '1', '0'],
      [18, 18, 'constant', '1', '2'],
      [19, 19, 'constant', '"many"', '""'],
      [19, 19, 'condition', 'len(items) > 1', 'not (len(items) > 1)'],
      [19, 19, 'comparison', '>', '>='],
      [19, 19, 'constant', '1', '0'],
      [19, 19, 'constant', '1', '2'],
      // Line 20 says `# pragma: no mutate`; the empty b'' has nothing to empty.
    ]);
  });

  it('gives offsets that apply: every mutant parses and differs from the module only at its site', () => {
    const parser = new TreeSitterCodeParser();
    for (const m of mutants) {
      expect(source.slice(m.start, m.end)).toBe(m.original);
      const mutated = applyMutant(source, m);
      expect(parser.parse(mutated).errors).toEqual([]);
      expect(mutated.split('\n').filter((l, i) => l !== source.split('\n')[i])).toHaveLength(1);
    }
  });

  it('counts the statement line of a change inside a statement over several lines', () => {
    const multi = generator.mutants('def f(a, b):\n    return (a +\n            b - 1)\n');
    expect(multi.map((m) => [m.line, m.statementLine, m.original, m.replacement])).toEqual([
      [2, 2, 'return (a +\n            b - 1)', 'return None'],
      [2, 2, '+', '-'],
      [3, 2, '-', '+'],
      [3, 2, '1', '0'],
      [3, 2, '1', '2'],
    ]);
  });

  it('swaps every arithmetic operator, keeps string prefixes and quotes, and leaves other literals alone', () => {
    const swaps = generator.mutants(
      'x = a / b // c % d ** e & f | g ^ h << i >> j\ns = rb"\\x00" + f"{x}"\nn = 0x1F + 1_000 + 2j\n',
    );
    expect(swaps.map((m) => `${m.original}→${m.replacement}`)).toEqual([
      '/→*',
      '//→/',
      '%→/',
      '**→*',
      '&→|',
      '|→&',
      '^→&',
      '<<→>>',
      '>>→<<',
      'rb"\\x00"→rb""',
      '+→-',
      'f"{x}"→f""',
      '+→-',
      '+→-',
    ]);
  });

  it('gives no mutant of a module with a syntax error', () => {
    expect(generator.mutants('def f(:\n    return 1 + 2\n')).toEqual([]);
  });
});
