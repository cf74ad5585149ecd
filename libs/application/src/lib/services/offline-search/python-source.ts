/** Python source text for JS values, the way Python's own `repr` would write them. */

/** A Python string literal for `s` (single quotes unless the text has some and no double quotes). */
export function pyStr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

/** A Python int literal. */
export function pyInt(n: number): string {
  return String(Math.trunc(n));
}

/** A Python float literal (always with a decimal point or exponent; `float('nan')` and infinities spelled out). */
export function pyFloat(n: number): string {
  if (Number.isNaN(n)) return "float('nan')";
  if (n === Infinity) return "float('inf')";
  if (n === -Infinity) return "float('-inf')";
  const s = String(n);
  return /[.e]/.test(s) ? s.replace('e+', 'e') : `${s}.0`;
}

/** `ValueError` → `value_error`, `TextWrapper` → `text_wrapper`, `HTMLCalendar` → `html_calendar`. */
export function snakeCase(name: string): string {
  return name
    .replace(/^_+/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_|_$/g, '');
}

/** Python `re` escaping for a `pytest.raises(match=...)` pattern, as a raw-string-safe literal. */
export function pyRegexLiteral(message: string): string | null {
  const escaped = message.replace(/[.^$*+?{}[\]\\|()]/g, (c) => `\\${c}`);
  if (/[\n\r"]/.test(escaped) || escaped.endsWith('\\')) return null;
  return `r"${escaped}"`;
}

/** Python keywords and soft keywords that cannot be variable names. */
export const PY_KEYWORDS = new Set([
  'False',
  'None',
  'True',
  'and',
  'as',
  'assert',
  'async',
  'await',
  'break',
  'class',
  'continue',
  'def',
  'del',
  'elif',
  'else',
  'except',
  'finally',
  'for',
  'from',
  'global',
  'if',
  'import',
  'in',
  'is',
  'lambda',
  'nonlocal',
  'not',
  'or',
  'pass',
  'raise',
  'return',
  'try',
  'while',
  'with',
  'yield',
]);
