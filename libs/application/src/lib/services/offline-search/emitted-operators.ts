import type { PlanExpr } from '@test-agent/domain';

/** Special methods written as the operator a reader would use: `a.__add__(b)` is `a + b`. */
const BINARY: Readonly<Record<string, string>> = {
  add: '+',
  sub: '-',
  mul: '*',
  truediv: '/',
  floordiv: '//',
  mod: '%',
  pow: '**',
  lshift: '<<',
  rshift: '>>',
  and: '&',
  or: '|',
  xor: '^',
  matmul: '@',
};
const COMPARISONS: Readonly<Record<string, string>> = {
  __eq__: '==',
  __ne__: '!=',
  __lt__: '<',
  __le__: '<=',
  __gt__: '>',
  __ge__: '>=',
};
const UNARY: Readonly<Record<string, string>> = { __neg__: '-', __pos__: '+', __invert__: '~' };
/** Special methods a builtin calls with the object first: `abs(a)`, `round(a, 2)`, `divmod(a, b)`. */
const BUILTINS: Readonly<Record<string, readonly [string, number, number]>> = {
  __abs__: ['abs', 0, 0],
  __int__: ['int', 0, 0],
  __float__: ['float', 0, 0],
  __complex__: ['complex', 0, 0],
  __bool__: ['bool', 0, 0],
  __hash__: ['hash', 0, 0],
  __round__: ['round', 0, 1],
  __divmod__: ['divmod', 1, 1],
  __format__: ['format', 1, 1],
};

/**
 * The call of a special method as its operator or builtin (`a + b`, `b - a` for `a.__rsub__(b)`, `-a`, `x in a`,
 * `abs(a)`), or undefined for any other call. Only for a call whose outcome the operator shares: the caller leaves
 * out a call that returned `NotImplemented` (the operator would try the other operand, or raise `TypeError`).
 */
export function operatorSource(e: PlanExpr, render: (e: PlanExpr) => string): string | undefined {
  if (e.kind !== 'call' || e.callee.kind !== 'attr' || e.keywords.length) return undefined;
  const name = e.callee.name;
  const self = render(e.callee.target);
  const args = e.args.map(render);
  const bare = /^__(\w+)__$/.exec(name)?.[1] ?? '';
  if (args.length === 1 && BINARY[bare]) return `${operand(self)} ${BINARY[bare]} ${operand(args[0])}`;
  if (args.length === 1 && bare.startsWith('r') && BINARY[bare.slice(1)])
    return `${operand(args[0])} ${BINARY[bare.slice(1)]} ${operand(self)}`;
  if (args.length === 1 && COMPARISONS[name]) return `${operand(self)} ${COMPARISONS[name]} ${operand(args[0])}`;
  if (args.length === 1 && name === '__contains__') return `${operand(args[0])} in ${operand(self)}`;
  if (args.length === 1 && name === '__rdivmod__') return `divmod(${args[0]}, ${self})`;
  if (args.length === 0 && UNARY[name]) return `${UNARY[name]}${operand(self)}`;
  const builtin = BUILTINS[name];
  if (builtin && args.length >= builtin[1] && args.length <= builtin[2])
    return `${builtin[0]}(${[self, ...args].join(', ')})`;
  return undefined;
}

/** An operand as written beside an operator: a name, a call or a literal as it is, anything else in parentheses. */
function operand(src: string): string {
  const atom =
    /^[A-Za-z_][\w.]*$/.test(src) ||
    /^\d[\w.]*$/.test(src) ||
    /^[A-Za-z_][\w.]*\([^()]*\)$/.test(src) ||
    /^b?(['"])(?:\\.|(?!\1).)*\1$/.test(src);
  return atom ? src : `(${src})`;
}
