'use strict';
// Reads Test Agent's prompts the way a model would have to: the code excerpt with its uncovered-line marks, the
// import statement, the subject's symbols and the skeleton from the FIRST user message; what is asked now (a
// follow-up with new marks, a repair of failing tests, integration tests, a summary) from the LAST user message.
// Strict on purpose: an excerpt whose lines are not numbered consecutively, or a prompt without the import
// statement, reads as "no code", so a prompt builder that loses or garbles them gets a refusal.
// The formats are PromptBuilder's (libs/application/src/lib/services/prompt-builder/prompt-builder.service.ts).

const FENCE = /```([\w-]*)[ \t]*\n([\s\S]*?)\n?```/g;
const MARKED_LINE = /^(>>|~>| {2}) *(\d+): ?(.*)$/;
const BRANCH_NOTE = / {2}# branch not taken: ((?:line \d+|exit)(?:, (?:line \d+|exit))*)$/;
/** A covered body left out of the excerpt: one `...` line at the body's indentation naming the lines. */
const ELIDED = /^(\s*)\.\.\. {2}# lines (\d+)-(\d+) left out: covered already$/;

/** The row standing for an elided range: `...` (valid Python) numbered `from`, running to `to`. */
const elidedRow = (m) => ({ no: Number(m[2]), to: Number(m[3]), text: `${m[1]}...`, elided: true });
/** The next module line after a row (an elided row spans its range). */
const nextLine = (row) => (row.to !== undefined ? row.to : row.no) + 1;

/** Fenced blocks of `text`, in order: `{ lang, body, start, end }` (offsets of the whole fence). */
function fences(text) {
  const out = [];
  for (const m of String(text).matchAll(FENCE))
    out.push({ lang: m[1], body: m[2], start: m.index, end: m.index + m[0].length });
  return out;
}

/** "3-5, 9" or "3–5, 9" → [3, 4, 5, 9]; undefined when the text holds something else. */
function parseRanges(text) {
  const out = [];
  for (const part of String(text).split(',')) {
    const m = /^\s*(\d+)\s*(?:[-–]\s*(\d+))?\s*$/.exec(part);
    if (!m) return undefined;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    for (let n = from; n <= to; n++) out.push(n);
  }
  return out;
}

/** "18→19, 24→exit" (or with "->") → [[18, 19], [24, -1]]. */
function parseBranches(text) {
  return [...String(text).matchAll(/(\d+)\s*(?:→|->)\s*(\d+|exit)/g)].map((m) => [
    Number(m[1]),
    m[2] === 'exit' ? -1 : Number(m[2]),
  ]);
}

/**
 * A block of `>>`/`~>`-marked, numbered lines (markExcerpt's format) → `{ lines, missing, branches }`; undefined
 * unless every line has the format and the numbers run on by one, or jump forward to the start of a definition
 * (a block that lost lines or numbers is no code).
 */
function readMarkedBlock(body) {
  const rows = body.split('\n');
  const lines = [];
  const missing = [];
  const branches = [];
  let prefix = 0; // width of the mark and number column: `>>12: ` is 6
  for (const row of rows) {
    const previous = lines.length > 0 ? nextLine(lines[lines.length - 1]) : undefined;
    // An elided body: blank mark and number columns, `...  # lines A-B left out: covered already`; A must follow
    // on from the line before.
    const elided = prefix > 0 && row.startsWith(' '.repeat(prefix)) ? ELIDED.exec(row.slice(prefix)) : undefined;
    if (elided) {
      if (Number(elided[2]) !== previous) return undefined;
      lines.push(elidedRow(elided));
      continue;
    }
    const m = MARKED_LINE.exec(row);
    if (!m) return undefined;
    prefix = row.indexOf(':') + 2;
    const no = Number(m[2]);
    // Numbers run on by one; they may jump forward only where a definition starts (an excerpt of the functions
    // with gaps), never inside one: a block that lost a line of code is not trusted.
    const startsDefinition = /^\s*(?:async\s+def|def|class)\s|^\s*@/.test(m[3]);
    if (previous !== undefined && no !== previous && !(no > previous && startsDefinition)) return undefined;
    let text = m[3];
    if (m[1] === '>>') missing.push(no);
    // A `~>` line always carries the note of its untaken branches; a `>>` line carries one when it has some.
    const note = m[1] === '  ' ? undefined : BRANCH_NOTE.exec(text);
    if (m[1] === '~>' && !note) return undefined;
    if (note) {
      text = text.slice(0, note.index);
      for (const target of note[1].split(', '))
        branches.push([no, target === 'exit' ? -1 : Number(target.slice('line '.length))]);
    }
    lines.push({ no, text });
  }
  return lines.length > 0 ? { lines, missing, branches } : undefined;
}

/** listGaps's format: "The code below is lines A-B of the module." + plain code + the lists of gaps. */
function readCompactExcerpt(text) {
  const head = /The code below is lines (\d+)-(\d+) of the module\.\n```python\n/.exec(text);
  if (!head) return undefined;
  const block = fences(text.slice(head.index)).find((f) => f.lang === 'python');
  if (!block) return undefined;
  // Plain code: lines number on from A, an elided body's `...` line standing for its range; they must end at B.
  const rows = [];
  let no = Number(head[1]);
  for (const text of block.body.split('\n')) {
    const elided = ELIDED.exec(text);
    if (elided && Number(elided[2]) !== no) return undefined;
    rows.push(elided ? elidedRow(elided) : { no, text });
    no = nextLine(rows[rows.length - 1]);
  }
  if (no !== Number(head[2]) + 1) return undefined;
  const after = text.slice(head.index + block.end);
  const linesMatch = /Lines that never run yet: ([\d,\s–-]+)\./.exec(after);
  const branchesMatch = /Branches never taken: ([^\n]*)\./.exec(after);
  const missing = linesMatch ? parseRanges(linesMatch[1]) : [];
  if (!missing) return undefined;
  return {
    lines: rows,
    missing,
    branches: branchesMatch ? parseBranches(branchesMatch[1]) : [],
  };
}

/** The excerpt of a unit-test prompt: `{ symbols, lines, missing, branches }`, or undefined (no readable code). */
function readExcerpt(text) {
  const subject = /^Code to test \(([^)\n]*)\)(, with module line numbers)?\./m.exec(text);
  if (!subject) return undefined;
  const symbols = subject[1] === 'module-level code' ? [] : subject[1].split(', ').filter(Boolean);
  const rest = text.slice(subject.index);
  let excerpt;
  if (subject[2]) {
    const block = fences(rest).find((f) => f.lang === 'python');
    excerpt = block && readMarkedBlock(block.body);
  } else excerpt = readCompactExcerpt(rest);
  return excerpt && { symbols, ...excerpt };
}

/** Marks a follow-up turn gives: a marked block, else lists of lines ("lines 3-5, 9") and branches ("4→6"). */
function readFollowUpMarks(text) {
  const quoted = readQuotedGaps(text);
  if (quoted) return quoted;
  for (const block of fences(text)) {
    const marked = readMarkedBlock(block.body);
    if (marked && marked.missing.length + marked.branches.length > 0)
      return { missing: marked.missing, branches: marked.branches };
  }
  const missing = [];
  const prose = fences(text).reduce((t, f) => t.replace(text.slice(f.start, f.end), ''), text);
  const lists =
    /\blines?\b[^\d\n→]{0,60}?((?:\d+(?:\s*[-–]\s*\d+)?)(?:\s*,\s*\d+(?:\s*[-–]\s*\d+)?)*)(?!\s*(?:→|->|\d))/gi;
  for (const m of prose.matchAll(lists)) {
    missing.push(...(parseRanges(m[1]) || []));
  }
  const branches = parseBranches(prose);
  return missing.length + branches.length > 0 ? { missing: [...new Set(missing)], branches } : undefined;
}

/**
 * PromptBuilder.feedback's gaps: after "... still never run:", a python block quoting each uncovered line as
 * `N: code` (and `... and K more: ranges`), then "Branches still never taken: a→b, ...".
 */
function readQuotedGaps(text) {
  const heading = /still never run:\n/.exec(text);
  if (!heading) return undefined;
  const block = fences(text.slice(heading.index)).find((f) => f.lang === 'python');
  if (!block) return undefined;
  const missing = [];
  for (const row of block.body.split('\n')) {
    const line = /^ *(\d+): /.exec(row);
    const more = /^\.\.\. and \d+ more: ([\d,\s–-]+)$/.exec(row);
    if (line) missing.push(Number(line[1]));
    else if (more) missing.push(...(parseRanges(more[1]) || []));
    else return undefined;
  }
  const branches = /Branches still never taken: ([^\n]*)\./.exec(text);
  return { missing: [...new Set(missing)], branches: branches ? parseBranches(branches[1]) : [] };
}

/**
 * Failing tests a repair turn names: `{ name, error, code }` for each test named in backticks before an error
 * block. The test's code comes from a python block of the same turn defining it, else from the latest earlier
 * answer that does. Works for one failing test per turn (PromptBuilder.repair) and for several in one turn.
 */
function readRepair(messages, last) {
  const text = last.content;
  const blocks = fences(text);
  const failing = [];
  let proseStart = 0;
  for (const block of blocks) {
    // The test an error belongs to is the last one named in the prose just before it (not inside an earlier
    // fence: tracebacks name their own test).
    const prose = text.slice(proseStart, block.start);
    proseStart = block.end;
    if (block.lang === 'python') continue;
    const named = [...prose.matchAll(/`(test_\w+)`/g)].pop() || [...prose.matchAll(/\b(test_\w+)\b/g)].pop();
    if (!named || failing.some((f) => f.name === named[1])) continue;
    failing.push({ name: named[1], error: block.body });
  }
  if (failing.length === 0 || !/\bfail/i.test(text)) return undefined;
  const defines = (name) => (b) =>
    b.lang === 'python' && new RegExp(`^\\s*(?:async\\s+)?def ${name}\\(`, 'm').test(b.body);
  const answers = [...messages]
    .reverse()
    .filter((m) => m.role === 'assistant')
    .map((m) => fences(m.content));
  const answerImports = answers
    .flat()
    .filter((b) => b.lang === 'python')
    .flatMap((b) => b.body.split('\n').filter((l) => /^(import|from)\s/.test(l)));
  for (const f of failing) {
    // The answer that held the test carries its imports; the repair turn may show the function alone.
    const earlier = answers.map((bs) => bs.find(defines(f.name))).find(Boolean);
    const here = blocks.find(defines(f.name));
    const block = earlier || here;
    f.code = block && [...new Set(answerImports), '', testFunction(block.body, f.name)].join('\n');
  }
  return failing;
}

/** The top-level function `name` of a block of Python: its decorators, header and indented body. */
function testFunction(body, name) {
  const rows = body.split('\n');
  const start = rows.findIndex((r) => new RegExp(`^(?:async\\s+)?def ${name}\\(`).test(r));
  let end = start + 1;
  while (end < rows.length && (rows[end].trim() === '' || /^\s/.test(rows[end]))) end++;
  return rows.slice(start, end).join('\n').trimEnd();
}

/**
 * What a chat asks, read from its messages:
 * `{ kind: 'unit' | 'follow-up' | 'repair' | 'integration' | 'summary' | 'unknown', importStatement, moduleName,
 *    excerpt, marks: { missing, branches }, skeleton, failing, testNames }`.
 */
function readConversation(messages) {
  const users = messages.filter((m) => m.role === 'user');
  const system = messages
    .filter((m) => m.role === 'system')
    .map((m) => m.content)
    .join('\n');
  const first = users[0] ? users[0].content : '';
  const last = users[users.length - 1];
  const importMatch = /\(import it (?:in tests )?with: `([^`\n]+)`\)/.exec(first);
  const moduleMatch = /^Module `([\w.]+)`/m.exec(first);
  const skeletonAt = first.indexOf('Module skeleton (signatures only):');
  const skeletonBlock = skeletonAt >= 0 ? fences(first.slice(skeletonAt)).find((f) => f.lang === 'python') : undefined;
  const all = messages.map((m) => m.content).join('\n');
  const facts = {
    importStatement: importMatch ? importMatch[1].trim() : undefined,
    moduleName: moduleMatch ? moduleMatch[1] : undefined,
    skeleton: skeletonBlock ? skeletonBlock.body : '',
    excerpt: readExcerpt(first),
    testNames: new Set([...all.matchAll(/\b(test_\w+)/g)].map((m) => m[1])),
    turns: users.length,
  };
  if (!last) return { kind: 'unknown', ...facts };
  if (/\bsummari[sz]e\b/i.test(system) && users.length === 1 && !facts.importStatement)
    return { kind: 'summary', ...facts, code: (fences(first).find((f) => f.lang === 'python') || {}).body || '' };
  if (users.length > 1) {
    const failing = readRepair(messages, last);
    if (failing) return { kind: 'repair', ...facts, failing };
    const marks = readFollowUpMarks(last.content);
    return { kind: 'follow-up', ...facts, marks };
  }
  if (/\bintegration tests\b/i.test(first)) return { kind: 'integration', ...facts };
  if (facts.excerpt) {
    const { missing, branches } = facts.excerpt;
    return { kind: 'unit', ...facts, marks: { missing, branches } };
  }
  return { kind: 'unknown', ...facts };
}

module.exports = { readConversation, readMarkedBlock, readExcerpt, readFollowUpMarks, parseRanges, fences };
