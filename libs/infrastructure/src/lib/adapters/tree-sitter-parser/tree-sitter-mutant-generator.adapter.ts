import type Parser from 'tree-sitter';
import type { Mutant, MutantGenerator, MutationOperator } from '@test-agent/domain';
import { pythonParser } from './python-tree-sitter';

type Node = Parser.SyntaxNode;

/** Each comparison operator and the one it becomes: the boundary moved, the test inverted. */
const COMPARISONS: Readonly<Record<string, string>> = {
  '<': '<=',
  '<=': '<',
  '>': '>=',
  '>=': '>',
  '==': '!=',
  '!=': '==',
  is: 'is not',
  'is not': 'is',
  in: 'not in',
  'not in': 'in',
};

/** Each binary arithmetic or bitwise operator and the one it becomes (augmented assignments likewise: `+=` → `-=`). */
const ARITHMETIC: Readonly<Record<string, string>> = {
  '+': '-',
  '-': '+',
  '*': '/',
  '/': '*',
  '//': '/',
  '%': '/',
  '**': '*',
  '&': '|',
  '|': '&',
  '^': '&',
  '<<': '>>',
  '>>': '<<',
};

/** Nodes that stand for a statement's line: a statement in a block or the module, an `elif` clause. */
const STATEMENT_PARENTS = new Set(['block', 'module']);
const DECIMAL_INTEGER = /^(0|[1-9]\d*)$/;
const DECIMAL_FLOAT = /^(\d+\.\d*|\.\d+|\d+(\.\d*)?[eE][+-]?\d+)$/;
const DUNDER = /^__\w+__$/;
const NO_MUTATE = /#\s*pragma:\s*no mutate\b/;

/**
 * `MutantGenerator` on tree-sitter-python: walks the module's syntax tree and makes the mutants of every
 * comparison (each operator of a chain), binary arithmetic or bitwise operator and augmented assignment, decimal
 * number (±1; `0` only +1), non-empty string (emptied, prefix and quotes kept), `True`/`False`, condition of an
 * `if`, `elif`, `while` or conditional expression (negated; `not x` becomes `x`), and `return` of a value other
 * than `None`. Not mutated: docstrings and other bare string statements, type annotations, assignments to dunder
 * names (`__all__`, `__version__`, ...), lines with `# pragma: no mutate`; a module with syntax errors has none.
 */
export class TreeSitterMutantGenerator implements MutantGenerator {
  mutants(source: string): readonly Mutant[] {
    const tree = pythonParser().parse(source);
    if (tree.rootNode.hasError) return [];
    const skipped = new Set<number>();
    source.split('\n').forEach((text, i) => {
      if (NO_MUTATE.test(text)) skipped.add(i + 1);
    });
    const found: Mutant[] = [];
    new MutantCollector(found).visit(tree.rootNode, tree.rootNode.startPosition.row + 1);
    return found
      .filter((m) => !skipped.has(m.line))
      .sort((a, b) => a.start - b.start || a.end - b.end || a.replacement.localeCompare(b.replacement));
  }
}

class MutantCollector {
  constructor(private readonly found: Mutant[]) {}

  /** Collects the mutants of `node` and below; `statementLine` is the line of the statement holding it. */
  visit(node: Node, statementLine: number): void {
    if (skipsSubtree(node)) return;
    const parent = node.parent;
    const line =
      (parent && STATEMENT_PARENTS.has(parent.type)) || node.type === 'elif_clause'
        ? node.startPosition.row + 1
        : statementLine;
    this.mutate(node, line);
    for (let i = 0; i < node.childCount; i++) this.visit(node.child(i) as Node, line);
  }

  private mutate(node: Node, line: number): void {
    switch (node.type) {
      case 'comparison_operator':
        for (const op of node.children.filter((c) => !c.isNamed && COMPARISONS[c.type]))
          this.add('comparison', op, COMPARISONS[op.type], line);
        return;
      case 'binary_operator':
        return this.swapOperator(node.childForFieldName('operator'), line);
      case 'augmented_assignment':
        return this.swapOperator(node.childForFieldName('operator'), line, '=');
      case 'integer':
      case 'float':
        for (const replacement of numberMutations(node)) this.add('constant', node, replacement, line);
        return;
      case 'string':
        return this.emptyString(node, line);
      case 'true':
        return this.add('constant', node, 'False', line);
      case 'false':
        return this.add('constant', node, 'True', line);
      case 'if_statement':
      case 'elif_clause':
      case 'while_statement':
        return this.negate(node.childForFieldName('condition'), line);
      case 'conditional_expression':
        // `a if c else b`: the condition is the second operand.
        return this.negate(node.namedChildren[1], line);
      case 'return_statement': {
        const value = node.namedChildren[0];
        if (value && value.type !== 'none') this.add('return', node, 'return None', line);
        return;
      }
    }
  }

  private swapOperator(operator: Node | null, line: number, suffix = ''): void {
    if (!operator) return;
    const bare = suffix ? operator.type.slice(0, -suffix.length) : operator.type;
    const swapped = ARITHMETIC[bare];
    if (swapped) this.add('arithmetic', operator, swapped + suffix, line);
  }

  /** A non-empty string emptied, its prefix (`b`, `r`, `f`, ...) and quotes kept. */
  private emptyString(node: Node, line: number): void {
    const start = node.children.find((c) => c.type === 'string_start');
    const end = node.children.find((c) => c.type === 'string_end');
    if (!start || !end || end.startIndex === start.endIndex) return;
    this.add('constant', node, start.text + end.text, line);
  }

  private negate(condition: Node | null, line: number): void {
    if (!condition) return;
    const argument = condition.type === 'not_operator' ? condition.childForFieldName('argument') : null;
    this.add('condition', condition, argument ? argument.text : `not (${condition.text})`, line);
  }

  private add(operator: MutationOperator, node: Node, replacement: string, statementLine: number): void {
    this.found.push({
      operator,
      line: node.startPosition.row + 1,
      statementLine,
      start: node.startIndex,
      end: node.endIndex,
      original: node.text,
      replacement,
    });
  }
}

/** Subtrees never mutated: annotations, bare string statements (docstrings), assignments to dunder names. */
function skipsSubtree(node: Node): boolean {
  if (node.type === 'type') return true;
  if (node.type !== 'expression_statement') return false;
  const only = node.namedChildCount === 1 ? node.namedChildren[0] : undefined;
  if (only && (only.type === 'string' || only.type === 'concatenated_string')) return true;
  const left = only?.type === 'assignment' ? only.childForFieldName('left') : null;
  return left?.type === 'identifier' && DUNDER.test(left.text);
}

/** A decimal integer or float ±1 (`0` and `0.0` only +1); other literals (hex, `1_000`, `2j`) are left alone. */
function numberMutations(node: Node): string[] {
  const text = node.text;
  if (node.type === 'integer') {
    if (!DECIMAL_INTEGER.test(text)) return [];
    const n = BigInt(text);
    return n === 0n ? ['1'] : [String(n + 1n), String(n - 1n)];
  }
  if (!DECIMAL_FLOAT.test(text)) return [];
  const value = Number(text);
  const asFloat = (v: number): string => {
    const s = String(v);
    return /[.eE]|Infinity|NaN/.test(s) ? s : `${s}.0`;
  };
  const out = [value + 1, ...(value === 0 ? [] : [value - 1])]
    .filter((v) => Number.isFinite(v) && v !== value)
    .map(asFloat);
  return [...new Set(out)];
}
