/** A lexical token of Python source, as far as test normalisation and renaming need one. */
export interface PythonToken {
  readonly kind: 'name' | 'number' | 'string' | 'op' | 'comment' | 'newline';
  readonly text: string;
  /** Offset of the first character in the source. */
  readonly start: number;
}

const STRING_PREFIX = /^(?:[rRbBuUfF]|[rR][bBfF]|[bBfF][rR])?(?:'''|"""|'|")/;
const NAME = /^[A-Za-z_\u00C0-\uFFFF][A-Za-z0-9_\u00C0-\uFFFF]*/;
const NUMBER = /^(?:0[xXoObB][0-9a-fA-F_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?[jJ]?)/;
const OPERATOR = /^(?:\*\*=|\/\/=|>>=|<<=|->|:=|\*\*|\/\/|<<|>>|<=|>=|==|!=|[-+*/%&|^@]=|[-+*/%&|^~<>()[\]{}.,:;=@!])/;

/**
 * Splits Python source into tokens: names, numbers, strings (with prefixes, triple quotes and escapes),
 * operators, comments and logical newlines (a newline outside brackets). Whitespace is dropped. Unknown
 * characters become single-character `op` tokens, so any text tokenizes.
 */
export function tokenizePython(source: string): PythonToken[] {
  const tokens: PythonToken[] = [];
  let i = 0;
  let depth = 0;
  while (i < source.length) {
    const c = source[i];
    if (c === '\n') {
      if (depth === 0 && tokens.length > 0 && tokens[tokens.length - 1].kind !== 'newline') {
        tokens.push({ kind: 'newline', text: '\n', start: i });
      }
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f') {
      i++;
      continue;
    }
    if (c === '\\' && source[i + 1] === '\n') {
      i += 2;
      continue;
    }
    if (c === '#') {
      const end = source.indexOf('\n', i);
      const stop = end < 0 ? source.length : end;
      tokens.push({ kind: 'comment', text: source.slice(i, stop), start: i });
      i = stop;
      continue;
    }
    const rest = source.slice(i, i + 5);
    const prefix = STRING_PREFIX.exec(rest);
    if (prefix) {
      const quote = prefix[0].replace(/^[rRbBuUfF]+/, '');
      let j = i + prefix[0].length;
      while (j < source.length && !source.startsWith(quote, j)) {
        // A backslash escapes the next character (in raw strings too, as far as finding the end goes).
        if (source[j] === '\\') j++;
        else if (quote.length === 1 && source[j] === '\n') break;
        j++;
      }
      j = Math.min(source.length, j + quote.length);
      tokens.push({ kind: 'string', text: source.slice(i, j), start: i });
      i = j;
      continue;
    }
    const tail = source.slice(i, i + 200);
    const name = NAME.exec(tail);
    if (name) {
      tokens.push({ kind: 'name', text: name[0], start: i });
      i += name[0].length;
      continue;
    }
    const number = /\d|\./.test(c) ? NUMBER.exec(tail) : null;
    if (number && number[0] !== '.') {
      tokens.push({ kind: 'number', text: number[0], start: i });
      i += number[0].length;
      continue;
    }
    const op = OPERATOR.exec(tail)?.[0] ?? c;
    if (op === '(' || op === '[' || op === '{') depth++;
    else if ((op === ')' || op === ']' || op === '}') && depth > 0) depth--;
    tokens.push({ kind: 'op', text: op, start: i });
    i += op.length;
  }
  return tokens;
}
