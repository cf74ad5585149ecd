import { tokenizePython } from './python-tokens';

/**
 * Identifiers a piece of Python code uses, in order (repeats kept): name tokens outside strings and comments,
 * not after a dot (`obj.attr` uses `obj`). Keywords are names too (`None`, `lambda`): callers look names up.
 */
export function namesIn(source: string): string[] {
  const tokens = tokenizePython(source);
  return tokens
    .filter((t, k) => t.kind === 'name' && !(tokens[k - 1]?.kind === 'op' && tokens[k - 1].text === '.'))
    .map((t) => t.text);
}

/**
 * Net change of bracket depth over `text` (`(`, `[`, `{` open; `)`, `]`, `}` close; may be negative): brackets
 * in strings and comments do not count. Applied to one line at a time, it tells where a bracketed statement
 * (a decorator's arguments, a parenthesised import) ends.
 */
export function bracketDepth(text: string): number {
  let depth = 0;
  for (const t of tokenizePython(text)) {
    if (t.kind !== 'op') continue;
    if (t.text === '(' || t.text === '[' || t.text === '{') depth++;
    else if (t.text === ')' || t.text === ']' || t.text === '}') depth--;
  }
  return depth;
}
