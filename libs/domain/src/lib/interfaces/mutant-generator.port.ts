/**
 * What a mutant changes: a comparison operator swapped (`<` ↔ `<=`, `==` ↔ `!=`, `in` ↔ `not in`, ...), an
 * arithmetic or bitwise operator swapped (`+` ↔ `-`, `*` ↔ `/`, `+=` ↔ `-=`, ...), a constant changed (a number
 * ±1, a string emptied, `True` ↔ `False`), a condition negated (`if x` → `if not (x)`), a returned value replaced
 * (`return e` → `return None`).
 */
export type MutationOperator = 'comparison' | 'arithmetic' | 'constant' | 'condition' | 'return';

/** Every operator, in the order reports list them. */
export const MUTATION_OPERATORS: readonly MutationOperator[] = [
  'comparison',
  'arithmetic',
  'constant',
  'condition',
  'return',
];

/** One small change of a module's source: the text `source.slice(start, end)` (`original`) becomes `replacement`. */
export interface Mutant {
  readonly operator: MutationOperator;
  /** 1-based line where the changed text starts. */
  readonly line: number;
  /**
   * 1-based first line of the statement holding the change (of the `elif` clause for its condition): the line
   * coverage.py counts the statement under, so a mutant is on covered code when this line was executed.
   */
  readonly statementLine: number;
  /** Offsets into the source, in UTF-16 code units (as JavaScript strings index), `end` exclusive. */
  readonly start: number;
  readonly end: number;
  readonly original: string;
  readonly replacement: string;
}

/**
 * Makes the mutants of a Python module from its syntax tree. Synchronous and side-effect free; never throws on bad
 * Python (source with syntax errors gives the mutants of the parts that parsed, or none). Docstrings, type
 * annotations and lines marked `# pragma: no mutate` are not mutated.
 */
export interface MutantGenerator {
  /** Every mutant of `source` (the module text, UTF-8 decoded), in source order. */
  mutants(source: string): readonly Mutant[];
}

/** The module's source with `mutant` applied. */
export function applyMutant(source: string, mutant: Mutant): string {
  return source.slice(0, mutant.start) + mutant.replacement + source.slice(mutant.end);
}
