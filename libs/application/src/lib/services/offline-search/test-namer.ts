import type { CallResult, CallableInfo } from '@test-agent/domain';
import type { GenArg } from './input-generator';
import { snakeCase } from './python-source';

const MAX_NAME = 90;

/** `wrap` → `wrap`, `TextWrapper.wrap` → `text_wrapper_wrap`, class `TextWrapper` → `text_wrapper`. */
export function subjectName(fn: CallableInfo): string {
  const parts = fn.qualname.split('.').map((p) => snakeCase(p) || 'call');
  return parts.join('_');
}

/** What the call did, in words: `raises_value_error`, `returns_empty_list`, `prints_output`, ... */
export function outcomeWords(fn: CallableInfo, result: CallResult): string {
  if (result.status === 'raised') return `raises_${snakeCase(result.exception?.type ?? 'error') || 'error'}`;
  const v = result.value;
  if (!v) return 'runs';
  if (fn.kind === 'class') return 'builds_object';
  if (result.listified) return v.len === 0 ? 'yields_nothing' : 'yields_items';
  const e = v.expr;
  if (e === 'None') return result.stdout ? 'prints_output' : (result.receiverAttrs?.length ? 'updates_state' : 'returns_none');
  if (e === 'True') return 'returns_true';
  if (e === 'False') return 'returns_false';
  if (e === '0' || e === '0.0') return 'returns_zero';
  if (e === "''" || e === '""') return 'returns_empty_string';
  if (e === '[]') return 'returns_empty_list';
  if (e === '()') return 'returns_empty_tuple';
  if (e === '{}') return 'returns_empty_dict';
  if (e === 'set()') return 'returns_empty_set';
  if (e && /^-\d/.test(e)) return 'returns_negative_number';
  const type = v.type.split('.').pop() ?? v.type;
  const words: Record<string, string> = { str: 'string', int: 'int', float: 'float', list: 'list', tuple: 'tuple', dict: 'dict', bool: 'bool', bytes: 'bytes', set: 'set' };
  return `returns_${words[type] ?? snakeCase(type)}`;
}

/** Short descriptions of notable arguments, most telling first: `for_empty_text`, `with_negative_width`, ... */
export function argumentQualifiers(args: readonly GenArg[]): string[] {
  const out: string[] = [];
  for (const a of args) {
    const name = snakeCase(a.param.name) || 'arg';
    const { js, kind } = a.value;
    const src = a.value.expr.k === 'lit' ? a.value.expr.src : '';
    if (kind === 'str' && js === '') out.push(`for_empty_${name}`);
    else if (kind === 'str' && typeof js === 'string' && js.trim() === '') out.push(`for_blank_${name}`);
    else if (src === '[]' || src === '()' || src === '{}' || src === 'set()') out.push(`for_empty_${name}`);
    else if (kind === 'none') out.push(`without_${name}`);
    else if ((kind === 'int' || kind === 'float') && js === 0) out.push(`with_zero_${name}`);
    else if ((kind === 'int' || kind === 'float') && typeof js === 'number' && js < 0) out.push(`with_negative_${name}`);
    else if (kind === 'bool') out.push(`with_${name}_${js ? 'true' : 'false'}`);
  }
  for (const a of args) {
    const name = snakeCase(a.param.name) || 'arg';
    const { js, kind } = a.value;
    if (kind === 'int' && typeof js === 'number' && js > 0) out.push(`with_${name}_${js}`);
    else if (kind === 'str' && typeof js === 'string' && /^[A-Za-z][A-Za-z0-9]{0,11}$/.test(js)) out.push(`for_${name}_${js.toLowerCase()}`);
  }
  return out;
}

/** Gives each test a unique, descriptive name, adding argument qualifiers (then a number) to tell tests apart. */
export class TestNamer {
  private readonly used = new Set<string>();

  name(fn: CallableInfo, result: CallResult, args: readonly GenArg[]): string {
    const all = argumentQualifiers(args);
    // A notable argument (empty, blank, missing, zero, negative, a flag) is part of the name from the start.
    const notable = all.length && /^(for_empty|for_blank|without|with_zero|with_negative)_|_(true|false)$/.test(all[0]) ? all[0] : '';
    // An exception's message usually says best what went wrong: "division by zero" → `_division_by_zero`.
    const said = result.status === 'raised' ? messageWords(result.exception?.message ?? '') : '';
    const lead = said || notable;
    const base = `test_${subjectName(fn)}_${outcomeWords(fn, result)}${lead ? `_${lead}` : ''}`.slice(0, MAX_NAME);
    const qualifiers = all.filter((q) => q !== lead);
    // Prefer the shortest name that is unique, adding qualifiers one at a time.
    let name = base;
    for (const q of ['', ...qualifiers]) {
      const tryName = q ? `${name}_${q}`.slice(0, MAX_NAME) : name;
      if (!this.used.has(tryName)) {
        this.used.add(tryName);
        return tryName;
      }
      name = tryName;
    }
    for (let i = 2; ; i++) {
      const numbered = `${base}_${i}`;
      if (!this.used.has(numbered)) {
        this.used.add(numbered);
        return numbered;
      }
    }
  }

  reserve(name: string): string {
    let n = name;
    for (let i = 2; this.used.has(n); i++) n = `${name}_${i}`;
    this.used.add(n);
    return n;
  }
}

/** The first words of a message as a name part (`not enough operands for +` → `not_enough_operands_for`), or ''. */
export function messageWords(message: string): string {
  const words = message.split(/[:;,(\[{'"]/)[0].toLowerCase().match(/[a-z][a-z0-9]*/g) ?? [];
  return words.slice(0, 5).join('_');
}
