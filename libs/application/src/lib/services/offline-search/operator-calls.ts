import type { PlanExpr } from '@test-agent/domain';

/**
 * How a call of an operator method reads in Python: `fraction.__add__(2)` as `fraction + 2`, `x.__radd__(2)` as
 * `2 + x`, `x.__abs__()` as `abs(x)`, `x.__getitem__(k)` as `x[k]`. The search calls the method itself; the test
 * reads as the code a user writes. Only where both mean the same: the emitter keeps the method call when the method
 * answered `NotImplemented` (the operator would then try the other operand).
 */
const BINARY: Readonly<Record<string, string>> = {
  __add__: '+',
  __sub__: '-',
  __mul__: '*',
  __matmul__: '@',
  __truediv__: '/',
  __floordiv__: '//',
  __mod__: '%',
  __pow__: '**',
  __lshift__: '<<',
  __rshift__: '>>',
  __and__: '&',
  __or__: '|',
  __xor__: '^',
  __eq__: '==',
  __ne__: '!=',
  __lt__: '<',
  __le__: '<=',
  __gt__: '>',
  __ge__: '>=',
};

/** Calls of the form `f(x)` or `f(x, arg)`: the builtin or `math` function that calls the method. */
const FUNCTIONS: Readonly<Record<string, { readonly fn: string; readonly args: readonly number[] }>> = {
  __abs__: { fn: 'abs', args: [0] },
  __int__: { fn: 'int', args: [0] },
  __float__: { fn: 'float', args: [0] },
  __complex__: { fn: 'complex', args: [0] },
  __bool__: { fn: 'bool', args: [0] },
  __len__: { fn: 'len', args: [0] },
  __str__: { fn: 'str', args: [0] },
  __repr__: { fn: 'repr', args: [0] },
  __round__: { fn: 'round', args: [0, 1] },
  __trunc__: { fn: 'math.trunc', args: [0] },
  __floor__: { fn: 'math.floor', args: [0] },
  __ceil__: { fn: 'math.ceil', args: [0] },
  __format__: { fn: 'format', args: [1] },
  __bytes__: { fn: 'bytes', args: [0] },
  __divmod__: { fn: 'divmod', args: [1] },
};

const UNARY: Readonly<Record<string, string>> = { __neg__: '-', __pos__: '+', __invert__: '~' };

/**
 * The operator form of `call` (`obj.__add__(x)` → `obj + x`), its parts rendered by `render`, or undefined when it is
 * no operator call of that shape. A reflected method (`__radd__`) reads as the operator only with a literal on the
 * other side, whose own method gives way to it (`2 + x`); with another object it stays a method call.
 */
export function operatorForm(
  call: Extract<PlanExpr, { kind: 'call' }>,
  render: (e: PlanExpr) => string,
): { readonly source: string; readonly usesMath: boolean } | undefined {
  if (call.callee.kind !== 'attr' || call.keywords.length > 0) return undefined;
  const { name, target } = call.callee;
  const args = call.args;
  const part = (e: PlanExpr) => grouped(render(e));
  const self = part(target);
  const reflected = /^__r(\w+)__$/.exec(name);
  const one = args.length === 1 ? part(args[0]) : undefined;
  // A number on the left gives way to the object's reflected method; a str, bytes or list would not (`'%s' % x`
  // formats, `'ab' * x` repeats).
  const literalOther = args.length === 1 && args[0].kind === 'lit' && NUMBER.test(args[0].source);
  if (BINARY[name] && one !== undefined) return plain(`${self} ${BINARY[name]} ${one}`);
  const forward = reflected ? BINARY[`__${reflected[1]}__`] : undefined;
  if (forward && literalOther && !['eq', 'ne', 'lt', 'le', 'gt', 'ge'].includes(reflected![1]))
    return plain(`${one} ${forward} ${self}`);
  if (name === '__rdivmod__' && literalOther) return plain(`divmod(${one}, ${self})`);
  if (UNARY[name] && args.length === 0) return plain(`${UNARY[name]}${self}`);
  if (name === '__contains__' && one !== undefined) return plain(`${one} in ${self}`);
  if (name === '__getitem__' && one !== undefined) return plain(`${self}[${one}]`);
  const f = FUNCTIONS[name];
  if (f && f.args.includes(args.length))
    return {
      source: `${f.fn}(${[render(target), ...args.map(render)].join(', ')})`,
      usesMath: f.fn.startsWith('math.'),
    };
  return undefined;
}

/**
 * `source` as an operand: in parentheses unless it is one atom (a name, a number, a string, a call, an attribute or a
 * subscript of one), that is, unless a space, an operator or a leading sign stands outside its brackets and quotes.
 */
export function grouped(source: string): string {
  let depth = 0;
  let quote = '';
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = '';
    } else if (ch === "'" || ch === '"') quote = ch;
    else if ('([{'.includes(ch)) depth++;
    else if (')]}'.includes(ch)) depth--;
    else if (depth === 0 && (/[\s+\-*/%<>=!&|^~@,:]/.test(ch) || (i === 0 && /[+\-~]/.test(ch))))
      return /^-?\d+(\.\d+)?(e-?\d+)?$/.test(source) && !source.startsWith('-') ? source : `(${source})`;
  }
  return source;
}

const plain = (source: string) => ({ source, usesMath: false });

/** A number literal (int, float, complex, signed or parenthesised). */
const NUMBER =
  /^\(?[-+]?(\d[\d_]*\.?[\d_]*|\.\d[\d_]*)([eE][-+]?\d+)?([-+](\d[\d_]*\.?[\d_]*)([eE][-+]?\d+)?)?[jJ]?\)?$/;
