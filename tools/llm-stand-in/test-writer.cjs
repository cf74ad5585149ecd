'use strict';
// Writes pytest tests for the definitions of a read excerpt whose lines are marked: one test per distinct path
// condition of the marked lines and untaken branches, its arguments solved from that condition (test-planner),
// `pytest.raises` when the path ends in a `raise` and the condition was solved, else an assertion on the
// annotated return type (or none when the annotation says nothing).
const py = require('./python-excerpt.cjs');
const { literalValue, pySource, kindOf, solve, BUILTIN_EXCEPTIONS, SCALARS } = require('./test-planner.cjs');

/** What the prompt says about the module: its import alias, classes, constants, skeleton definitions. */
function moduleFacts(read) {
  const rows = read.excerpt.lines;
  const skeletonRows = read.skeleton.split('\n').map((text, i) => ({ no: i - 1e6, text }));
  const classes = new Set();
  for (const { text } of [...rows, ...skeletonRows]) {
    const m = /^\s*class\s+(\w+)/.exec(text);
    if (m) classes.add(m[1]);
  }
  for (const s of read.excerpt.symbols) if (s.includes('.')) classes.add(s.split('.')[0]);
  const topLevel = rows.filter((r) => py.indentOf(r.text) === 0).map((r) => r.text);
  const statement = read.importStatement;
  const alias =
    /^import\s+([\w.]+)(?:\s+as\s+(\w+))?$/.exec(statement) ||
    /^from\s+[\w.]+\s+import\s+(\w+)(?:\s+as\s+(\w+))?$/.exec(statement);
  const classOf = (name) => classOfSymbol(read, name);
  const skeletonDefs = [...py.definitions(rows, classOf), ...py.definitions(skeletonRows, classOf)];
  return {
    fields: py.classFields([...rows, ...skeletonRows]),
    alias: alias ? alias[2] || alias[1] : undefined,
    importStatement: statement,
    classes,
    constants: py.constants([read.skeleton, topLevel.join('\n')]),
    skeletonDefs,
  };
}

/** A method's class when the excerpt starts inside the class: from the subject's `Class.method` symbols. */
function classOfSymbol(read, name) {
  const symbol = read.excerpt.symbols.find((s) => s.endsWith(`.${name}`));
  return symbol ? symbol.split('.').slice(0, -1).join('.') : undefined;
}

const callable = (p) => !p.marker && !p.star;

/** The context the condition solver works in, for the row `row` of definition `def`. */
function solverContext(facts, rows, def, row) {
  const own = def.params.filter(callable);
  const params = new Map((def.className && !isStatic(def) ? own.slice(1) : own).map((p) => [p.name, p]));
  return {
    constants: facts.constants,
    classes: facts.classes,
    params,
    locals: py.localAssignments(rows, def, row),
    paramKind: (name) => paramKind(params.get(name), facts, bodyText(rows, def)),
  };
}

const isStatic = (def) => def.decorators.some((d) => d === '@staticmethod');

const bodyText = (rows, def) =>
  rows
    .slice(def.bodyRow, def.endRow + 1)
    .map((r) => r.text)
    .join('\n');

/** A parameter's kind: its annotation, else its default's type, else how the body uses it. */
function paramKind(param, facts, body = '') {
  if (!param) return { kind: 'unknown' };
  const kind = kindOf(param.annotation, facts);
  if (kind.kind !== 'unknown' || param.annotation) return kind;
  if (param.default === undefined) return usedAs(param.name, body) || kind;
  const v = literalValue(param.default, facts);
  if (!v || v.value === null) return kind;
  if (typeof v.value === 'number') return { kind: v.float ? 'float' : 'int' };
  if (typeof v.value === 'string') return { kind: 'str' };
  if (typeof v.value === 'boolean') return { kind: 'bool' };
  return kind;
}

/** What the body does with an unannotated parameter: iterates it (a list), reads its items (a dict), ... */
function usedAs(name, body) {
  const n = name.replace(/\W/g, '');
  if (new RegExp(`\\b${n}\\.(?:items|keys|values|get)\\(`).test(body)) return { kind: 'dict' };
  if (new RegExp(`\\b${n}\\.(?:strip|split|lower|upper|startswith|endswith|replace|format)\\(`).test(body))
    return { kind: 'str' };
  if (new RegExp(`\\bfor\\s+[\\w, ]+\\s+in\\s+(?:enumerate\\(|sorted\\()?${n}\\b|\\blen\\(${n}\\)`).test(body))
    return { kind: 'list' };
  return undefined;
}

/** Conditions on the way to row `i` of `def`: `{ expr, want }`, or `{ unsolvable }` for an `except` body. */
function pathConditions(rows, def, i) {
  const out = [];
  for (const block of py.enclosingBlocks(rows, i, def)) {
    if (block.keyword === 'if' || block.keyword === 'while') out.push({ expr: block.condition, want: true });
    if (block.keyword === 'elif') out.push({ expr: block.condition, want: true });
    if (block.keyword === 'elif' || block.keyword === 'else')
      for (const prior of py.previousInChain(rows, block.row, def.row))
        out.push({ expr: prior.condition, want: false });
    if (block.keyword === 'except') out.push({ unsolvable: 'an exception handler' });
    if (block.keyword === 'for') {
      const loop = /^\s*for\s+.+?\s+in\s+(.+?)\s*:\s*(#.*)?$/.exec(rows[block.row].text);
      out.push(loop ? { expr: loop[1], want: true } : { unsolvable: 'the loop' });
    }
  }
  return out;
}

/** Goals of one definition: marked lines and untaken branches grouped by the conditions that lead there. */
function goalsOf(rows, def, marks) {
  const rowOf = new Map(rows.map((r, i) => [r.no, i]));
  const goals = new Map();
  const add = (conditions, no, kind) => {
    const key = JSON.stringify(conditions);
    if (!goals.has(key)) goals.set(key, { conditions, lines: [], branches: [], rows: [] });
    const goal = goals.get(key);
    if (kind === 'line') goal.lines.push(no);
    else goal.branches.push(no);
    goal.rows.push(rowOf.get(kind === 'line' ? no : no[0]));
  };
  const inside = (i) => i !== undefined && i >= def.bodyRow && i <= def.endRow;
  for (const no of marks.missing) {
    const i = rowOf.get(no);
    if (inside(i) && py.isCode(rows[i].text)) add(pathConditions(rows, def, i), no, 'line');
  }
  for (const [from, to] of marks.branches) {
    const h = rowOf.get(from);
    if (!inside(h)) continue;
    const header = blockHeaderOf(rows[h].text);
    const conditions = pathConditions(rows, def, h);
    const t = rowOf.get(to);
    const intoBody = t !== undefined && t > h && t <= py.blockEnd(rows, h);
    const loop = /^\s*for\s+.+?\s+in\s+(.+?)\s*:\s*(#.*)?$/.exec(rows[h].text);
    if (header.condition !== undefined) conditions.push({ expr: header.condition, want: intoBody });
    else if (loop && intoBody) conditions.push({ expr: loop[1], want: true });
    else if (!loop) conditions.push({ unsolvable: `the ${header.keyword || 'line'} branch` });
    add(conditions, [from, to], 'branch');
  }
  return [...goals.values()].sort((a, b) => firstLine(a) - firstLine(b));
}

const blockHeaderOf = (text) => {
  const m = /^\s*(if|elif|while)\s+(.+?)\s*:\s*(#.*)?$/.exec(text);
  return m ? { keyword: m[1], condition: m[2] } : { keyword: (/^\s*(\w+)/.exec(text) || [])[1] };
};
const firstLine = (goal) => Math.min(...goal.lines, ...goal.branches.map((b) => b[0]));

/** Plain values a parameter of `kind` can take, in the order attempts use them. */
function candidates(kind, facts, body, depth = 0) {
  const strings = body.strings.filter((s) => s.length > 0 && s.length <= 40);
  const ints = body.numbers.filter((n) => Number.isInteger(n) && n !== 1);
  switch (kind.kind) {
    case 'int':
      return ['1', ...ints.map(String), '0', '2'];
    case 'float':
      return ['1.5', ...body.numbers.map((n) => pySource(n, true)), '0.0'];
    case 'str':
      return [...strings.map((s) => pySource(s)), '"a"', '""'];
    case 'bool':
      return ['True', 'False'];
    case 'bytes':
      return ['b"a"', 'b""'];
    case 'list':
    case 'set':
    case 'tuple': {
      const item = kind.item ? candidates(kind.item, facts, body, depth + 1)[0] : '1';
      const wrap = {
        list: (x) => `[${x}]`,
        set: (x) => (x ? `{${x}}` : 'set()'),
        tuple: (x) => `(${x}${x ? ',' : ''})`,
      }[kind.kind];
      return [wrap(''), wrap(item)];
    }
    case 'dict':
      return ['{}'];
    default:
      if (kind.kind.startsWith('class:') && depth < 2) return [constructorCall(kind.kind.slice(6), facts, depth + 1)];
      if (kind.name === 'Decimal') return ['Decimal("1.00")', 'Decimal("0")'];
      return ['1', ...strings.map((s) => pySource(s)), 'None'];
  }
}

/** `ledger.Ledger([])`: the class built with the first plain value of each required `__init__` parameter. */
function constructorCall(className, facts, depth = 0, rows = []) {
  const init = [...rows, ...facts.skeletonDefs].find((d) => d.name === '__init__' && d.className === className);
  // No __init__: a dataclass's fields are its constructor's parameters.
  const params = init ? init.params.filter(callable).slice(1) : facts.fields.get(className) || [];
  const args = params
    .filter((p) => p.default === undefined)
    .map((p) => candidates(paramKind(p, facts), facts, { strings: [], numbers: [] }, depth)[0]);
  return `${facts.alias}.${className}(${args.join(', ')})`;
}

/** The Python source of a parameter's value that satisfies `constraints` (all on that parameter). */
function solvedValue(constraints, kind, facts) {
  const via = constraints[0].subject.via;
  const item = kind.item ? candidates(kind.item, facts, { strings: [], numbers: [] }, 1)[0] : '1';
  if (via === 'len') {
    const n = numberFrom(constraints, 1, false);
    const k = Math.max(0, Math.round(n));
    return kind.kind === 'str' ? pySource('a'.repeat(k)) : `[${Array(k).fill(item).join(', ')}]`;
  }
  const exact = constraints.find((c) => c.op === '==' || c.op === 'is' || c.op === 'in');
  if (exact) {
    const value = exact.op === 'in' && Array.isArray(exact.value) ? exact.value[0] : exact.value;
    return via === 'number-from-str' ? pySource(String(value)) : pySource(value, exact.float || kind.kind === 'float');
  }
  const type = constraints.find((c) => c.op === 'isinstance' || c.op === 'not isinstance');
  if (type) return typedValue(type, kind);
  const truth = constraints.find((c) => c.op === 'truthy' || c.op === 'falsy' || c.op === 'is not');
  const numeric = constraints.some((c) => ['<', '>', '<=', '>=', '!='].includes(c.op) && typeof c.value === 'number');
  if (numeric || (via === 'number-from-str' && !truth)) {
    const n = numberFrom(constraints, kind.kind === 'float' ? 1.5 : 1, kind.kind === 'float');
    return via === 'number-from-str' ? pySource(String(n)) : pySource(n, kind.kind === 'float');
  }
  const excluded = new Set(
    constraints.filter((c) => c.op === '!=' || c.op === 'not in').flatMap((c) => [].concat(c.value)),
  );
  if (truth && truth.op === 'falsy')
    return { int: '0', float: '0.0', str: '""', list: '[]', dict: '{}', bool: 'False' }[kind.kind] || 'None';
  const plain = { int: [1, 2, 3], float: [1.5, 2.5], str: ['a', 'b', 'zz'], bool: [true] }[kind.kind] || [
    'a',
    'b',
    'zz',
  ];
  if (kind.kind === 'list' || kind.kind === 'dict') return kind.kind === 'list' ? `[${item}]` : '{"a": 1}';
  return pySource(
    plain.find((v) => !excluded.has(v)),
    kind.kind === 'float',
  );
}

function typedValue(constraint, kind) {
  const byType = {
    int: '1',
    float: '1.5',
    str: '"a"',
    bool: 'True',
    list: '[]',
    dict: '{}',
    tuple: '()',
    bytes: 'b"a"',
  };
  const types = constraint.value.filter((t) => byType[t]);
  if (constraint.op === 'isinstance') return byType[types[0]] || byType[kind.kind] || '1';
  const other = ['str', 'int', 'list'].find(
    (t) => !constraint.value.includes(t) && !(t === 'int' && constraint.value.includes('float')),
  );
  return byType[other] || 'None';
}

/** A number inside every bound of `constraints` (integers step by 1), avoiding the excluded values. */
function numberFrom(constraints, base, float) {
  let lo = -Infinity;
  let hi = Infinity;
  const excluded = new Set();
  const step = float ? 0.5 : 1;
  for (const c of constraints) {
    const v = Number(c.value);
    if (c.op === '>') lo = Math.max(lo, v + step);
    if (c.op === '>=') lo = Math.max(lo, v);
    if (c.op === '<') hi = Math.min(hi, v - step);
    if (c.op === '<=') hi = Math.min(hi, v);
    if (c.op === '!=') excluded.add(v);
    if (c.op === 'truthy') lo = Math.max(lo, 1);
    if (c.op === 'falsy') hi = Math.min(hi, 0);
    if (c.op === '==') return v;
  }
  let n = lo > -Infinity ? lo : hi < Infinity ? hi : base;
  while (excluded.has(n)) n += 1;
  return n;
}

/** Arguments for `def`'s call: solved ones from the goal, the rest plain values (attempt k takes the k-th). */
function argumentsFor(def, goal, facts, rows, attempt) {
  const ctx = solverContext(facts, rows, def, Math.min(...goal.rows));
  const constraints = [];
  let solved = true;
  for (const c of goal.conditions) {
    const got = c.unsolvable ? undefined : solve(c.expr, c.want, ctx);
    if (!got) solved = false;
    else constraints.push(...got);
  }
  const body = py.literals(rows.slice(def.bodyRow, def.endRow + 1));
  const args = [];
  let keywordsOnly = false;
  for (const p of def.params.slice(def.className && !isStatic(def) ? 1 : 0)) {
    if (p.marker === '*' || p.star === '*') keywordsOnly = true;
    if (!callable(p)) continue;
    const own = constraints.filter((c) => c.subject.param === p.name);
    const kind = paramKind(p, facts, bodyText(rows, def));
    let value;
    if (own.length > 0) value = solvedValue(own, kind, facts);
    else if (p.default !== undefined && attempt === 0) value = undefined;
    else {
      const options = candidates(kind, facts, body);
      value = options[attempt % options.length];
    }
    if (value === undefined) keywordsOnly = true;
    else args.push(keywordsOnly ? `${p.name}=${value}` : value);
  }
  return { args, solved, constraints };
}

module.exports = {
  moduleFacts,
  classOfSymbol,
  goalsOf,
  argumentsFor,
  constructorCall,
  paramKind,
  BUILTIN_EXCEPTIONS,
  SCALARS,
};
