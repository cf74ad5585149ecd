'use strict';
// From a read excerpt to test plans: which definitions have marked lines, the conditions on the way to each
// marked line or untaken branch, and argument values solved from those conditions, the signature's annotations
// and defaults, and the literals and constants the code shows. Deliberately simple: what it cannot solve it calls
// with plain values, and what it cannot know about a result it does not assert.
const py = require('./python-excerpt.cjs');

const BUILTIN_EXCEPTIONS = new Set(
  'Exception ValueError TypeError KeyError IndexError LookupError ArithmeticError ZeroDivisionError OverflowError RuntimeError NotImplementedError AttributeError AssertionError OSError FileNotFoundError PermissionError IsADirectoryError NotADirectoryError FileExistsError TimeoutError StopIteration UnicodeError UnicodeDecodeError UnicodeEncodeError RecursionError ImportError ModuleNotFoundError NameError EOFError ConnectionError BufferError MemoryError'.split(
    ' ',
  ),
);
const SCALARS = new Set(['int', 'float', 'str', 'bool', 'list', 'dict', 'tuple', 'set', 'bytes']);
/** typing's abstract containers, built as the concrete one a test can write. */
const CONTAINERS = {
  iterable: 'list',
  sequence: 'list',
  collection: 'list',
  iterator: 'list',
  mutablesequence: 'list',
  abstractset: 'set',
  frozenset: 'set',
  mutableset: 'set',
  mapping: 'dict',
  mutablemapping: 'dict',
};
const FLIP = { '<': '>', '>': '<', '<=': '>=', '>=': '<=', '==': '==', '!=': '!=' };
const NEGATE = {
  '==': '!=',
  '!=': '==',
  '<': '>=',
  '>=': '<',
  '>': '<=',
  '<=': '>',
  is: 'is not',
  'is not': 'is',
  in: 'not in',
  'not in': 'in',
  truthy: 'falsy',
  falsy: 'truthy',
  isinstance: 'not isinstance',
  'not isinstance': 'isinstance',
};
const COMPARISONS = [' not in ', ' is not ', ' in ', ' is ', '==', '!=', '<=', '>=', '<', '>'];

/** A Python literal's value (numbers, strings, None/True/False, Decimal("1")-style numbers, tuples, constants). */
function literalValue(src, ctx, depth = 0) {
  const text = String(src).trim();
  if (depth > 4) return undefined;
  if (/^-?\d+$/.test(text)) return { value: Number(text) };
  if (/^-?\d*\.\d+$|^-?\d+\.\d*$/.test(text)) return { value: Number(text), float: true };
  const str = /^(?:"([^"\\]*)"|'([^'\\]*)')$/.exec(text);
  if (str) return { value: str[1] !== undefined ? str[1] : str[2] };
  if (text === 'None') return { value: null };
  if (text === 'True' || text === 'False') return { value: text === 'True' };
  const numeric = /^(?:[\w.]*\.)?(Decimal|float|int|Fraction)\(\s*(.+?)\s*\)$/.exec(text);
  if (numeric) {
    const inner = literalValue(numeric[2], ctx, depth + 1);
    if (inner && inner.value !== null && !Number.isNaN(Number(inner.value)))
      return { value: Number(inner.value), float: numeric[1] !== 'int' };
  }
  const seq = /^[([{](.*)[)\]}]$/.exec(text);
  if (seq && !text.startsWith('{')) {
    const items = seq[1].trim() === '' ? [] : py.splitTop(seq[1], ',').filter(Boolean);
    const values = items.map((i) => literalValue(i, ctx, depth + 1));
    if (values.every(Boolean)) return { value: values.map((v) => v.value) };
  }
  if (/^[A-Za-z_]\w*$/.test(text) && ctx.constants.has(text))
    return literalValue(ctx.constants.get(text), ctx, depth + 1);
  return undefined;
}

/** Python source for a JS value. */
function pySource(value, float = false) {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return float && Number.isInteger(value) ? `${value}.0` : String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => pySource(v)).join(', ')}]`;
  return 'None';
}

/** The annotation as a kind: a scalar name, 'none', `class:Name` (defined in the module), or 'unknown'. */
function kindOf(annotation, ctx, depth = 0) {
  if (!annotation || depth > 3) return { kind: 'unknown' };
  const a = annotation.replace(/^["']|["']$/g, '').trim();
  const generic = /^(?:typing\.)?(\w+)\[(.*)\]$/.exec(a);
  if (generic) {
    const [outer, inner] = [generic[1], generic[2]];
    if (outer === 'Optional') return kindOf(inner, ctx, depth + 1);
    if (outer === 'Union') return kindOf(py.splitTop(inner, ',')[0], ctx, depth + 1);
    const lower = CONTAINERS[outer.toLowerCase()] || outer.toLowerCase();
    if (SCALARS.has(lower)) return { kind: lower, item: kindOf(py.splitTop(inner, ',')[0], ctx, depth + 1) };
  }
  if (a.includes('|'))
    return kindOf(
      py.splitTop(a, '|').find((p) => p !== 'None'),
      ctx,
      depth + 1,
    );
  const plain = CONTAINERS[a.toLowerCase()] || a.toLowerCase();
  if (SCALARS.has(plain)) return { kind: plain };
  if (a === 'None') return { kind: 'none' };
  if (ctx.classes.has(a)) return { kind: `class:${a}` };
  if (ctx.constants.has(a)) return kindOf(ctx.constants.get(a), ctx, depth + 1); // Number = Union[int, float]
  return { kind: 'unknown', name: /^\w+$/.test(a) ? a : undefined };
}

/** What a condition's subject is in terms of a parameter: itself, a number parsed from it, or its length. */
function subjectOf(expr, ctx, depth = 0) {
  const text = expr.trim();
  if (depth > 6) return undefined;
  const len = /^len\((.+)\)$/.exec(text);
  if (len) {
    const inner = subjectOf(len[1], ctx, depth + 1);
    return inner && inner.via === 'same' ? { param: inner.param, via: 'len' } : undefined;
  }
  const conv = /^(?:[\w.]*\.)?(int|float|Decimal|str)\((\w+)\)$/.exec(text);
  if (conv) {
    const inner = subjectOf(conv[2], ctx, depth + 1);
    if (!inner || inner.via !== 'same') return undefined;
    const stringParam = ctx.paramKind(inner.param).kind === 'str';
    return { param: inner.param, via: conv[1] !== 'str' && stringParam ? 'number-from-str' : 'same' };
  }
  const chain = /^(\w+)((?:\.(?:strip|lstrip|rstrip|lower|upper|casefold|replace)\([^()]*\))+)$/.exec(text);
  if (chain) return subjectOf(chain[1], ctx, depth + 1);
  if (!/^[A-Za-z_]\w*$/.test(text)) return undefined;
  if (ctx.params.has(text)) return { param: text, via: 'same' };
  if (ctx.locals.has(text)) return subjectOf(ctx.locals.get(text), ctx, depth + 1);
  return undefined;
}

/** `(a and b)` → `a and b`: only brackets that enclose the whole text. */
function stripParens(text) {
  let t = text.trim();
  while (t.startsWith('(') && t.endsWith(')')) {
    let depth = 0;
    let closes = -1;
    for (let i = 0; i < t.length && closes < 0; i++) {
      if (t[i] === '(') depth++;
      else if (t[i] === ')' && --depth === 0) closes = i;
    }
    if (closes !== t.length - 1) break;
    t = t.slice(1, -1).trim();
  }
  return t;
}

/** Constraints on parameters that make `expr` evaluate to `want`; undefined when that cannot be read. */
function solve(expr, want, ctx) {
  const text = stripParens(expr);
  const ors = py.splitTop(text, ' or ');
  if (ors.length > 1) return want ? anyOf(ors, true, ctx) : allOf(ors, false, ctx);
  const ands = py.splitTop(text, ' and ');
  if (ands.length > 1) return want ? allOf(ands, true, ctx) : anyOf(ands, false, ctx);
  if (/^not\s/.test(text)) return solve(text.slice(4), !want, ctx);
  const atom = readAtom(text, ctx);
  if (!atom) return undefined;
  return [{ ...atom, op: want ? atom.op : NEGATE[atom.op] }];
}

function anyOf(parts, want, ctx) {
  for (const part of parts) {
    const solved = solve(part, want, ctx);
    if (solved) return solved;
  }
  return undefined;
}

function allOf(parts, want, ctx) {
  const out = [];
  for (const part of parts) {
    const solved = solve(part, want, ctx);
    if (!solved) return undefined;
    out.push(...solved);
  }
  return out;
}

/** One comparison, membership, identity, isinstance or truthiness test on a parameter. */
function readAtom(text, ctx) {
  const inst = /^isinstance\((.+?),\s*(.+)\)$/.exec(text);
  if (inst) {
    const subject = subjectOf(inst[1], ctx);
    const types = inst[2]
      .replace(/[()]/g, '')
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    return subject && { subject, op: 'isinstance', value: types };
  }
  for (const op of COMPARISONS) {
    const parts = py.splitTop(text, op);
    if (parts.length === 1) continue;
    if (parts.length !== 2) return undefined;
    const name = op.trim();
    const [left, right] = parts;
    const leftSubject = subjectOf(left, ctx);
    const rightValue = literalValue(right, ctx);
    if (leftSubject && rightValue) return { subject: leftSubject, op: name, ...rightValue };
    const rightSubject = subjectOf(right, ctx);
    const leftValue = literalValue(left, ctx);
    if (rightSubject && leftValue && FLIP[name]) return { subject: rightSubject, op: FLIP[name], ...leftValue };
    return undefined;
  }
  const subject = subjectOf(text, ctx);
  return subject && { subject, op: 'truthy' };
}

module.exports = { literalValue, pySource, kindOf, subjectOf, solve, BUILTIN_EXCEPTIONS, SCALARS };
