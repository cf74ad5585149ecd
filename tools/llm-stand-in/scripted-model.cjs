'use strict';
// The stand-in's scripted model (script field `reader`): answers computed from what the prompt carries. It reads
// the conversation (prompt-reader), writes tests only for definitions whose lines are marked (test-writer),
// refuses a prompt without readable code, repairs failing tests when their error says what to change, and makes
// the configured mistakes (a wrong assertion, a bad import, an answer cut off) on the configured answers.
const py = require('./python-excerpt.cjs');
const { readConversation } = require('./prompt-reader.cjs');
const {
  moduleFacts,
  classOfSymbol,
  goalsOf,
  argumentsFor,
  constructorCall,
  BUILTIN_EXCEPTIONS,
  SCALARS,
} = require('./test-writer.cjs');
const { kindOf } = require('./test-planner.cjs');

const WRONG = 'stand-in: wrong on purpose';
const MISTAKES = ['wrongAssertion', 'badImport', 'truncated'];

/** Is answer `n` (1-based) one that makes `mistake`? A count n means answers 1..n; a list names the answers. */
function scheduled(option, n) {
  if (option === undefined || option === null || option === false) return false;
  if (Array.isArray(option)) return option.includes(n);
  return n <= Number(option);
}

const refusal = (reason) => ({
  text: `I cannot write tests for this: ${reason}.`,
  finishReason: 'stop',
  log: { refused: reason },
});

class ScriptedModel {
  /** @param {{ mistakes?: object, maxTests?: number }} options see README.md ("Scripted model") */
  constructor(options = {}) {
    this.options = { maxTests: 8, ...options, mistakes: { ...(options.mistakes || {}) } };
    this.testAnswers = 0;
    this.attempts = new Map();
  }

  /** `{ text, finishReason, log }` for a chat's messages. */
  answer(messages) {
    const read = readConversation(messages);
    const base = { kind: read.kind, turns: read.turns };
    const out = this.dispatch(read);
    return { ...out, log: { ...base, ...out.log } };
  }

  dispatch(read) {
    if (read.kind === 'summary') return this.summary(read.code);
    if (read.kind === 'integration') return refusal('no marked lines, only signatures');
    if (!read.excerpt) return refusal('the prompt has no numbered code to test');
    if (!read.importStatement) return refusal('the prompt does not say how to import the module');
    const facts = moduleFacts(read);
    if (!facts.alias) return refusal(`the import statement \`${read.importStatement}\` is not one I can use`);
    if (read.kind === 'repair') return this.repair(read, facts);
    if (!read.marks || read.marks.missing.length + read.marks.branches.length === 0)
      return refusal('no line is marked as uncovered');
    return this.tests(read, facts);
  }

  /** Four short lines at most: each definition's signature (the summariser's format, no code block). */
  summary(code) {
    const rows = String(code)
      .split('\n')
      .map((text, i) => ({ no: i + 1, text }));
    const defs = py.definitions(rows);
    const lines = defs.slice(0, 4).map((d) => {
      const owner = d.className ? `${d.className}.` : '';
      const raises = rows
        .slice(d.bodyRow, d.endRow + 1)
        .map((r) => /^\s*raise\s+(\w+)/.exec(r.text))
        .filter(Boolean);
      return `${owner}${d.name}(${d.params.map((p) => p.name || p.marker).join(', ')})${d.returns ? ` -> ${d.returns}` : ''}${raises.length ? `; raises ${[...new Set(raises.map((m) => m[1]))].join(', ')}` : ''}`;
    });
    return {
      text: lines.join('\n') || 'Module-level code only.',
      finishReason: 'stop',
      log: { summarised: defs.length },
    };
  }

  /** Tests for the marked definitions; the configured mistakes on this answer. */
  tests(read, facts) {
    const rows = read.excerpt.lines;
    const defs = py.definitions(rows, (name) => classOfSymbol(read, name));
    const planned = [];
    const taken = new Set(read.testNames);
    for (const def of defs) {
      for (const goal of goalsOf(rows, def, read.marks)) {
        const test = this.plan(def, goal, facts, rows, taken);
        // Another path to the same call is the same test: it would add nothing.
        if (planned.some((p) => p.call === test.call && p.setup.join() === test.setup.join())) continue;
        taken.add(test.name);
        planned.push(test);
      }
    }
    if (planned.length === 0) return refusal('no marked line is inside a function or method');
    const tests = planned.slice(0, this.options.maxTests);
    this.testAnswers += 1;
    const n = this.testAnswers;
    const made = MISTAKES.filter((m) => scheduled(this.options.mistakes[m], n));
    const mistakes = [];
    if (made.includes('wrongAssertion') && wrongAssertion(tests)) mistakes.push('wrongAssertion');
    if (made.includes('badImport') && badImport(tests, facts, read)) mistakes.push('badImport');
    let text = renderAnswer(
      tests,
      facts,
      `Tests for the marked lines of ${[...new Set(tests.map((t) => t.target))].join(', ')}:`,
    );
    let finishReason = 'stop';
    if (made.includes('truncated')) {
      text = truncate(text, tests[tests.length - 1].name);
      finishReason = 'length';
      mistakes.push('truncated');
    }
    const log = {
      answer: n,
      marks: { lines: [...read.marks.missing], branches: read.marks.branches.map((b) => [...b]) },
      tests: tests.map((t) => ({
        name: t.name,
        target: t.target,
        lines: t.lines,
        branches: t.branches,
        solved: t.solved,
      })),
      mistakes,
    };
    return { text, finishReason, log };
  }

  /** One test of `def` for `goal`: its name, the call, and what it expects. */
  plan(def, goal, facts, rows, taken) {
    const key = `${facts.alias}:${def.className || ''}.${def.name}:${JSON.stringify(goal.conditions)}`;
    const attempt = this.attempts.get(key) || 0;
    this.attempts.set(key, attempt + 1);
    const { args, solved } = argumentsFor(def, goal, facts, rows, attempt);
    const target = def.className ? `${def.className}.${def.name}` : def.name;
    const line = Math.min(...goal.lines, ...goal.branches.map((b) => b[0]));
    let name = `test_${snake(def.className ? `${def.className}_${def.name.replace(/^__init__$/, 'init')}` : def.name)}_line_${line}${attempt ? `_try${attempt + 1}` : ''}`;
    const stem = name;
    for (let k = 2; taken.has(name); k++) name = `${stem}_${k}`;
    const raiseRow = goal.rows.map((i) => /^\s*raise\s+([\w.]+)/.exec(rows[i].text)).find(Boolean);
    const body = rows.slice(def.bodyRow, def.endRow + 1).map((r) => r.text);
    return {
      name,
      target,
      lines: goal.lines,
      branches: goal.branches,
      solved,
      setup: setupOf(def, facts, rows),
      call: callOf(def, args, facts, body),
      raises: solved && raiseRow ? exceptionName(raiseRow[1], facts) : undefined,
      check:
        def.name === '__init__'
          ? `assert isinstance(result, ${facts.alias}.${def.className})`
          : returnCheck(def.returns, facts),
      why: goal.conditions
        .map((c) => (c.unsolvable ? `(${c.unsolvable})` : `${c.want ? '' : 'not '}(${c.expr})`))
        .join(' and '),
    };
  }

  /** A repair turn: each failing test it can fix from its error, in one block; a refusal when it can fix none. */
  repair(read, facts) {
    const fixed = [];
    const unfixable = [];
    for (const failing of read.failing) {
      const code = failing.code && fixTest(failing.code, failing.error, facts);
      if (code) fixed.push({ name: failing.name, code });
      else unfixable.push(failing.name);
    }
    const log = { repaired: fixed.map((f) => f.name), unfixable };
    if (fixed.length === 0)
      return { ...refusal('the error does not tell me what to change'), log: { ...log, refused: 'unfixable' } };
    const imports = [...new Set(fixed.flatMap((f) => f.code.imports))];
    const text = [
      'Corrected:',
      '',
      '```python',
      ...imports,
      '',
      '',
      fixed.map((f) => f.code.body).join('\n\n\n'),
      '```',
      '',
    ].join('\n');
    return { text, finishReason: 'stop', log };
  }
}

const snake = (text) =>
  text
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/\W+/g, '_')
    .replace(/_+/g, '_')
    .toLowerCase()
    .replace(/^_|_$/g, '');

function setupOf(def, facts, rows) {
  if (
    !def.className ||
    def.name === '__init__' ||
    def.decorators.some((d) => d === '@staticmethod' || d === '@classmethod')
  )
    return [];
  const excerptDefs = py.definitions(rows, () => def.className);
  return [`obj = ${constructorCall(def.className, facts, 0, excerptDefs)}`];
}

function callOf(def, args, facts, body) {
  const list = args.join(', ');
  let call;
  if (def.name === '__init__') call = `${facts.alias}.${def.className}(${list})`;
  else if (def.className && def.decorators.some((d) => d === '@staticmethod' || d === '@classmethod'))
    call = `${facts.alias}.${def.className}.${def.name}(${list})`;
  else if (def.className && def.decorators.includes('@property')) return 'obj.' + def.name;
  else call = `${def.className ? 'obj' : facts.alias}.${def.name}(${list})`;
  if (def.isAsync) return `asyncio.run(${call})`;
  if (body.some((t) => /\byield\b/.test(t))) return `list(${call})`;
  return call;
}

function exceptionName(name, facts) {
  const short = name.split('.').pop();
  if (BUILTIN_EXCEPTIONS.has(short)) return short;
  return facts.classes.has(short) ? `${facts.alias}.${short}` : 'Exception';
}

/** A safe assertion on the result from the return annotation; undefined when it says nothing checkable. */
function returnCheck(returns, facts) {
  if (!returns) return undefined;
  const r = returns.trim();
  const union = /^(?:typing\.)?(?:Union|Optional)\[(.*)\]$/.exec(r);
  const members = union
    ? [...py.splitTop(union[1], ','), ...(r.includes('Optional') ? ['None'] : [])]
    : r.includes('|')
      ? py.splitTop(r, '|')
      : [r];
  const types = new Set();
  for (const member of members) {
    const kind = member === 'None' ? { kind: 'none' } : kindOf(member, facts);
    if (kind.kind === 'none') types.add('type(None)');
    else if (SCALARS.has(kind.kind)) types.add(kind.kind === 'float' ? 'int, float' : kind.kind);
    else if (kind.kind.startsWith('class:')) types.add(`${facts.alias}.${kind.kind.slice(6)}`);
    else if (members.length === 1 && kind.name) return `assert type(result).__name__ == ${JSON.stringify(kind.name)}`;
    else return undefined;
  }
  if (types.size === 1 && types.has('type(None)')) return 'assert result is None';
  const list = [...types].join(', ');
  return `assert isinstance(result, ${list.includes(',') ? `(${list})` : list})`;
}

function renderTest(t) {
  const lines = [`def ${t.name}():`, `    # aims at ${describe(t)}${t.why ? `: ${t.why}` : ''}`];
  for (const s of t.setup) lines.push(`    ${s}`);
  if (t.raises) lines.push(`    with pytest.raises(${t.raises}):`, `        ${t.call}`);
  else {
    lines.push(`    result = ${t.call}`);
    lines.push(`    ${t.check || '# the annotations say nothing checkable about the result: the call must not raise'}`);
  }
  return lines.join('\n');
}

const describe = (t) =>
  [
    t.lines.length ? `line${t.lines.length > 1 ? 's' : ''} ${t.lines.join(', ')}` : '',
    ...t.branches.map(([f, to]) => `branch ${f}->${to < 0 ? 'exit' : to}`),
  ]
    .filter(Boolean)
    .join(', ');

function renderAnswer(tests, facts, intro) {
  const code = tests.map((t) => t.rendered || renderTest(t)).join('\n\n\n');
  const imports = [
    ...(/\bpytest\./.test(code) ? ['import pytest'] : []),
    ...(/\basyncio\./.test(code) ? ['import asyncio'] : []),
    ...(/(?<![\w.])Decimal\(/.test(code) ? ['from decimal import Decimal'] : []),
    ...(tests.some((t) => !t.badImport) ? [facts.importStatement] : []),
    ...tests.filter((t) => t.badImport).map((t) => t.badImport),
  ];
  return [intro, '', '```python', ...imports, '', '', code, '```', ''].join('\n');
}

/** The first test asserting on a result gets an assertion that cannot hold. */
function wrongAssertion(tests) {
  const t = tests.find((x) => !x.raises && x.solved) || tests.find((x) => !x.raises);
  if (!t) return false;
  t.check = `assert result == ${JSON.stringify(WRONG)}`;
  return true;
}

/** The first module-level function's test imports it from a package that does not exist. */
function badImport(tests, facts, read) {
  const t = tests.find((x) => !x.target.includes('.')) || tests[0];
  if (!t) return false;
  const name = t.target.split('.')[0];
  t.badImport = `from src.${read.moduleName || facts.alias} import ${name}`;
  const qualified = new RegExp(`\\b${facts.alias.replace(/\./g, '\\.')}\\.${name}\\b`, 'g');
  t.rendered = renderTest(t).replace(qualified, name);
  return true;
}

/** The answer cut in the middle of its last test, without the closing fence (a model out of tokens). */
function truncate(text, lastName) {
  const at = text.lastIndexOf(`def ${lastName}(`);
  const end = text.lastIndexOf('```');
  return text.slice(0, at + Math.max(8, Math.floor((end - at) / 2)));
}

/**
 * The failing test fixed from what its error says, as `{ imports, body }`; undefined when the error says
 * nothing this model can act on. Reads the error only: the test's code is changed as the error tells.
 */
function fixTest(code, error, facts) {
  const lines = code.split('\n');
  const imports = lines.filter((l) => /^(import|from)\s/.test(l));
  let body = lines
    .filter((l) => !/^(import|from)\s/.test(l))
    .join('\n')
    .trim();
  const keep = imports.filter((l) => !/^import\s+pytest$/.test(l));
  const missing = /No module named '([\w.]+)'|cannot import name '(\w+)'/.exec(error);
  if (missing) {
    const bad = keep.filter((l) => l.includes(missing[1] || missing[2]) && l !== facts.importStatement);
    if (bad.length === 0) return undefined;
    for (const line of bad) {
      const names = (/import\s+(.+)$/.exec(line)[1] || '').split(',').map((n) =>
        n
          .trim()
          .split(/\s+as\s+/)
          .pop(),
      );
      for (const n of names) body = body.replace(new RegExp(`(?<![\\w.])${n}\\b`, 'g'), `${facts.alias}.${n}`);
    }
    return finish(body, [...keep.filter((l) => !bad.includes(l)), facts.importStatement]);
  }
  if (/DID NOT RAISE/.test(error)) {
    const unwrapped = body.replace(/^(\s*)with pytest\.raises\([^)]*\):\n\s*(.+)$/m, '$1result = $2');
    return unwrapped === body ? undefined : finish(unwrapped, keep);
  }
  const assertion = /^E\s+AssertionError: assert (.+?) == (.+)$/m.exec(error);
  if (assertion && /^\s*assert result == /m.test(body))
    return finish(body.replace(/^(\s*)assert result == .+$/m, `$1${pin(assertion[1])}`), keep);
  const typeCheck = /where False = isinstance\((.+), [\w.(), ]+\)$/m.exec(error);
  if (typeCheck && /^\s*assert isinstance\(result, /m.test(body))
    return finish(body.replace(/^(\s*)assert isinstance\(result, .+$/m, `$1${pin(typeCheck[1])}`), keep);
  const raised = [...error.matchAll(/^E\s+([A-Za-z_][\w.]*)(?::\s|$)/gm)]
    .map((m) => m[1])
    .find((n) => !['AssertionError', 'Failed', 'assert'].includes(n));
  if (raised && !/pytest\.raises/.test(body)) {
    const call = /^(\s*)result = (.+)$/m.exec(body);
    if (!call) return undefined;
    const kind = exceptionFromError(raised, facts);
    const wrapped = body
      .replace(call[0], `${call[1]}with pytest.raises(${kind}):\n${call[1]}    ${call[2]}`)
      .replace(/^\s*assert .*result.*$\n?/gm, '')
      .replace(/^\s*# the annotations say .*$\n?/gm, '');
    return finish(wrapped.trimEnd(), keep);
  }
  return undefined;
}

function exceptionFromError(raised, facts) {
  const short = raised.split('.').pop();
  if (!raised.includes('.') && BUILTIN_EXCEPTIONS.has(short)) return short;
  return facts.classes.has(short) ? `${facts.alias}.${short}` : 'Exception';
}

/**
 * An assertion pinning the value pytest printed: `==` a literal, `repr(result) ==` a repr without an address
 * (e.g. `Decimal('12.00')`), else the type's name; pytest's shortened reprs (with `...`) pin only the type.
 */
function pin(repr) {
  const text = repr.trim();
  if (text === 'None') return 'assert result is None';
  if (/^(-?\d+(\.\d+)?(e-?\d+)?|'[^'\\]*'|"[^"\\]*"|True|False)$/.test(text)) return `assert result == ${text}`;
  const ctor = /^([A-Za-z_]\w*)\(/.exec(text) || /^<([\w.]+) object at /.exec(text);
  if (!text.includes('...') && !/ at 0x[0-9a-f]+/.test(text)) return `assert repr(result) == ${JSON.stringify(text)}`;
  if (ctor) return `assert type(result).__name__ == ${JSON.stringify(ctor[1].split('.').pop())}`;
  return 'assert result is not None';
}

/** The fixed test with the imports its body uses (the names each import binds, used outside attributes). */
function finish(body, imports) {
  const needs = /\bpytest\./.test(body) ? ['import pytest'] : [];
  const used = (line) => {
    const bound = /^from\s+\S+\s+import\s+(.+)$/.exec(line) || /^import\s+(.+)$/.exec(line);
    const names = bound[1].split(',').map(
      (n) =>
        n
          .trim()
          .split(/\s+as\s+/)
          .pop()
          .split('.')[0],
    );
    return names.some((n) => new RegExp(`(?<![\\w.])${n}\\b`).test(body));
  };
  return { imports: [...new Set([...needs, ...imports])].filter(used), body };
}

module.exports = { ScriptedModel, fixTest, WRONG };
