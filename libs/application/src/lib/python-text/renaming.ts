import { tokenizePython, type PythonToken } from './python-tokens';

/**
 * Renames every occurrence of the identifier `from` to `to` in `source`, as a whole token and not as an
 * attribute (`x.from` stays) nor inside strings or comments. Keyword arguments named `from` in calls are kept
 * (`f(from=1)`), since they name another function's parameter.
 */
export function renameIdentifier(source: string, from: string, to: string): string {
  const tokens = tokenizePython(source);
  let out = '';
  let last = 0;
  let depth = 0;
  tokens.forEach((token, k) => {
    if (token.kind === 'op' && '([{'.includes(token.text)) depth++;
    if (token.kind === 'op' && ')]}'.includes(token.text)) depth = Math.max(0, depth - 1);
    if (token.kind !== 'name' || token.text !== from) return;
    const previous = tokens[k - 1];
    const next = tokens[k + 1];
    if (previous?.kind === 'op' && previous.text === '.') return;
    if (
      depth > 0 &&
      next?.kind === 'op' &&
      next.text === '=' &&
      previous?.kind === 'op' &&
      (previous.text === '(' || previous.text === ',')
    ) {
      const isParameterList = isDefParameter(tokens, k);
      if (!isParameterList) return;
    }
    out += source.slice(last, token.start) + to;
    last = token.start + token.text.length;
  });
  return out + source.slice(last);
}

/** Whether the name token at `k` sits in the parameter list of a `def` (then renaming it is wanted). */
function isDefParameter(tokens: readonly PythonToken[], k: number): boolean {
  let depth = 0;
  for (let j = k - 1; j >= 0; j--) {
    const t = tokens[j];
    if (t.kind === 'op' && ')]}'.includes(t.text)) depth++;
    else if (t.kind === 'op' && '([{'.includes(t.text)) {
      if (depth === 0) return t.text === '(' && tokens[j - 1]?.kind === 'name' && tokens[j - 2]?.text === 'def';
      depth--;
    }
  }
  return false;
}

/**
 * Renames the function `from` where it is defined (`def from(` or `async def from(`, the first such definition)
 * and nowhere else: other uses of the name may be unrelated. Text in strings and comments is never taken for
 * the definition. Returns `source` unchanged when it defines no such function.
 */
export function renameDefinition(source: string, from: string, to: string): string {
  const tokens = tokenizePython(source);
  const at = tokens.findIndex(
    (t, k) =>
      t.kind === 'name' &&
      t.text === from &&
      tokens[k - 1]?.kind === 'name' &&
      tokens[k - 1].text === 'def' &&
      tokens[k + 1]?.text === '(',
  );
  if (at < 0) return source;
  const { start } = tokens[at];
  return source.slice(0, start) + to + source.slice(start + from.length);
}
