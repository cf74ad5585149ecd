'use strict';
// The little Python a scripted model needs to read an excerpt: definitions and their line spans (by indentation),
// signatures, the enclosing blocks of a line, local assignments, constants and literals. Line-based on purpose:
// the stand-in sees exactly the text the prompt carried, numbered as in the module.

const indentOf = (text) => /^[ \t]*/.exec(text)[0].replace(/\t/g, '    ').length;
const isCode = (text) => text.trim() !== '' && !text.trim().startsWith('#');

/** Splits `text` at top-level occurrences of `separator` (outside brackets and string literals). */
function splitTop(text, separator) {
  const parts = [];
  let depth = 0;
  let quote = '';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (depth === 0 && text.startsWith(separator, i)) {
      parts.push(text.slice(start, i));
      start = i + separator.length;
      i += separator.length - 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim());
}

/** One parameter: `name: annotation = default`, `*args`, `**kwargs`, or the `*` / `/` markers. */
function parseParam(text) {
  if (text === '*' || text === '/') return { marker: text };
  const star = /^(\*{1,2})/.exec(text);
  const [head, ...rest] = splitTop(text.replace(/^\*{1,2}/, ''), '=');
  const [name, ...annotation] = splitTop(head, ':');
  return {
    name: name.trim(),
    annotation: annotation.length ? annotation.join(':').trim() : undefined,
    default: rest.length ? rest.join('=').trim() : undefined,
    star: star ? star[1] : '',
  };
}

/** `def name(params) -> returns:` spread over `rows` from index `i`: the header's text and its last row. */
function headerAt(rows, i) {
  let text = '';
  for (let j = i; j < rows.length; j++) {
    text += (j > i ? ' ' : '') + rows[j].text.trim();
    const opened = (text.match(/[([{]/g) || []).length - (text.match(/[)\]}]/g) || []).length;
    if (opened <= 0 && /:\s*(#.*)?$/.test(text)) return { text, end: j };
  }
  return undefined;
}

function parseSignature(header) {
  const m = /^(async\s+)?def\s+(\w+)\s*\(([\s\S]*)\)\s*(?:->\s*([^:]+?))?\s*:\s*(#.*)?$/.exec(header);
  if (!m) return undefined;
  const params = m[3].trim() === '' ? [] : splitTop(m[3], ',').filter(Boolean).map(parseParam);
  return { isAsync: Boolean(m[1]), name: m[2], params, returns: m[4] ? m[4].trim() : undefined };
}

/**
 * Definitions in `rows` ({no, text}): functions and methods with their class (from the excerpt, else from
 * `classOf(name)`), line span, decorators and signature. Nested functions belong to their enclosing function.
 */
function definitions(rows, classOf = () => undefined) {
  const defs = [];
  const classes = [];
  // Where the line numbers jump, a new part of the module starts (an excerpt of selected definitions): nothing
  // before the jump encloses what follows it.
  const part = [];
  for (let i = 0; i < rows.length; i++)
    part.push(i === 0 ? 0 : rows[i].no !== (rows[i - 1].to ?? rows[i - 1].no) + 1 ? part[i - 1] + 1 : part[i - 1]);
  for (let i = 0; i < rows.length; i++) {
    const { text } = rows[i];
    if (!isCode(text)) continue;
    const indent = indentOf(text);
    const cls = /^\s*class\s+(\w+)/.exec(text);
    if (cls) classes.push({ name: cls[1], indent, row: i, part: part[i] });
    if (!/^\s*(async\s+)?def\s/.test(text)) continue;
    if (defs.some((d) => d.indent < indent && i <= d.endRow)) continue; // nested
    const header = headerAt(rows, i);
    const signature = header && parseSignature(header.text);
    if (!signature) continue;
    let end = header.end;
    for (let j = header.end + 1; j < rows.length && part[j] === part[i]; j++) {
      if (!isCode(rows[j].text)) continue;
      if (indentOf(rows[j].text) <= indent) break;
      end = j;
    }
    const owner = [...classes].reverse().find((c) => c.indent < indent && c.row < i && c.part === part[i]);
    const decorators = [];
    for (let j = i - 1; j >= 0 && /^\s*@/.test(rows[j].text); j--) decorators.push(rows[j].text.trim());
    defs.push({
      ...signature,
      className: owner ? owner.name : indent > 0 ? classOf(signature.name) : undefined,
      indent,
      row: i,
      bodyRow: header.end + 1,
      endRow: end,
      decorators,
    });
  }
  return defs;
}

/**
 * The blocks enclosing row `i` inside a definition, innermost first: `{ row, keyword, condition }` for `if`,
 * `elif`, `else`, `while`, `for`, `try`, `except`, `with`...; stops at the definition's own header.
 */
function enclosingBlocks(rows, i, def) {
  const out = [];
  let indent = indentOf(rows[i].text);
  for (let j = i - 1; j > def.row; j--) {
    const { text } = rows[j];
    if (!isCode(text) || indentOf(text) >= indent) continue;
    indent = indentOf(text);
    out.push({ row: j, ...blockHeader(text) });
  }
  return out;
}

/** `if x > 0:` → `{ keyword: 'if', condition: 'x > 0' }`; any other header line → its keyword. */
function blockHeader(text) {
  const m = /^\s*(if|elif|while)\s+(.+?)\s*:\s*(#.*)?$/.exec(text);
  if (m) return { keyword: m[1], condition: m[2] };
  const k = /^\s*(\w+)/.exec(text);
  return { keyword: k ? k[1] : '' };
}

/** The `if`/`elif` headers before an `elif`/`else` at row `i` in the same chain, nearest first. */
function previousInChain(rows, i, stopRow) {
  const indent = indentOf(rows[i].text);
  const out = [];
  for (let j = i - 1; j > stopRow; j--) {
    const { text } = rows[j];
    if (!isCode(text) || indentOf(text) > indent) continue;
    if (indentOf(text) < indent) break;
    const header = blockHeader(text);
    if (header.keyword !== 'if' && header.keyword !== 'elif') break;
    out.push({ row: j, ...header });
    if (header.keyword === 'if') break;
  }
  return out;
}

/** Last row of the block headed at row `i` (its body: the following rows indented deeper). */
function blockEnd(rows, i) {
  const indent = indentOf(rows[i].text);
  let end = i;
  for (let j = i + 1; j < rows.length; j++) {
    if (!isCode(rows[j].text)) continue;
    if (indentOf(rows[j].text) <= indent) break;
    end = j;
  }
  return end;
}

/** Simple assignments `name = expression` before row `i` in the definition (the last one of each name wins). */
function localAssignments(rows, def, i) {
  const out = new Map();
  for (let j = def.bodyRow; j < i; j++) {
    const m = /^\s*([A-Za-z_]\w*)\s*(?::[^=]+)?=(?!=)\s*(.+?)\s*$/.exec(rows[j].text);
    if (m) out.set(m[1], m[2]);
  }
  return out;
}

/** Module-level `NAME = literal` constants of the skeleton and the excerpt. */
function constants(texts) {
  const out = new Map();
  for (const text of texts) {
    for (const line of String(text).split('\n')) {
      const m = /^([A-Za-z_]\w*)\s*(?::[^=]+)?=\s*(.+?)\s*$/.exec(line);
      if (m) out.set(m[1], m[2]);
    }
  }
  return out;
}

/** String and number literals written in `rows` (f-strings, docstrings and comments left out), in order. */
function literals(rows) {
  const strings = [];
  const numbers = [];
  for (const { text } of rows) {
    const code = text.replace(/#.*$/, '');
    if (/^\s*("""|''')/.test(code)) continue;
    for (const m of code.matchAll(/(^|[^\w])([rbuRBU]?)("([^"\\\n]*)"|'([^'\\\n]*)')/g)) {
      if (!/[fF]/.test(m[2])) strings.push(m[4] !== undefined ? m[4] : m[5]);
    }
    const bare = code.replace(/("[^"\n]*"|'[^'\n]*')/g, '""');
    for (const m of bare.matchAll(/(^|[^\w.])(\d+(?:\.\d+)?)(?![\w.])/g)) numbers.push(Number(m[2]));
  }
  return { strings: [...new Set(strings)], numbers: [...new Set(numbers)] };
}

/** Annotated class-level fields (`name: type = default`, a dataclass's constructor) by class, in order. */
function classFields(rows) {
  const out = new Map();
  let current;
  for (const { text } of rows) {
    if (!isCode(text)) continue;
    const cls = /^(\s*)class\s+(\w+)/.exec(text);
    if (cls) {
      current = { name: cls[2], indent: cls[1].length, open: true };
      out.set(current.name, []);
      continue;
    }
    if (!current) continue;
    const indent = indentOf(text);
    if (indent <= current.indent) current = undefined;
    else if (/^\s*(async\s+)?def\s|^\s*@/.test(text)) current.open = false;
    else if (current.open && indent === current.indent + 4) {
      const m = /^\s*([A-Za-z_]\w*)\s*:\s*([^=]+?)\s*(?:=\s*(.+?))?\s*$/.exec(text);
      if (m && !/ClassVar/.test(m[2]))
        out.get(current.name).push({ name: m[1], annotation: m[2], default: m[3], star: '' });
    }
  }
  return out;
}

module.exports = {
  classFields,
  indentOf,
  isCode,
  splitTop,
  definitions,
  enclosingBlocks,
  previousInChain,
  blockEnd,
  localAssignments,
  constants,
  literals,
  parseSignature,
  headerAt,
};
