import type { CallResult } from '@test-agent/domain';

/**
 * How much of what a call computes its outcome can show, from 0 to 2: an empty text or collection, or the number
 * 0, shows least (0); one line, one element, or ±1 a little (1); several lines or elements, or another number,
 * more (2). A mutant of `'\n'.join(lines)` passes every test whose text has one line, one of `cur_len -= n` every
 * test with one chunk. Undefined when the value says nothing of the kind (None, a bool, an object, an exception).
 */
export function valueRichness(r: CallResult): number | undefined {
  const v = r.status === 'ok' ? r.value : undefined;
  if (!v || v.expr === 'None' || v.expr === 'True' || v.expr === 'False') return undefined;
  if (v.type === 'str' || v.type === 'bytes') {
    if (v.len === 0) return 0;
    // The repr writes a newline as `\n`: a text of several lines has one before its last character.
    const text = (v.expr ?? v.repr).slice(0, -2);
    return text.includes('\\n') ? 2 : 1;
  }
  if (v.len !== null) return Math.min(v.len, 2);
  if ((v.type === 'int' || v.type === 'float') && v.expr !== null) {
    const n = Number(v.expr);
    if (!Number.isFinite(n)) return undefined;
    return n === 0 ? 0 : Math.abs(n) === 1 ? 1 : 2;
  }
  return undefined;
}

/** As `valueRichness`, for what the call printed: nothing 0, one line 1, several 2. */
function outputRichness(r: CallResult): number {
  const out = r.stdout ?? '';
  if (out === '') return 0;
  return out.replace(/\n$/, '').includes('\n') ? 2 : 1;
}

/**
 * A simplification may shrink inputs only as far as the outcome keeps showing what the call does: a variant
 * whose value or output is poorer than the test's (`valueRichness`: a multi-line text down to one line, a list
 * down to one element, a number down to 0) is refused, whatever coverage it keeps.
 */
export function keepsOutcomeRich(oldResult: CallResult, newResult: CallResult): boolean {
  const before = valueRichness(oldResult);
  const after = valueRichness(newResult);
  if (before !== undefined && (after ?? 0) < before) return false;
  return outputRichness(newResult) >= outputRichness(oldResult);
}
