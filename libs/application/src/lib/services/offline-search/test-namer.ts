import type { CallResult, CallableInfo, EnvSetting, ModulePatch } from '@test-agent/domain';
import { uniqueName } from '../../python-text';
import type { Candidate, GenArg } from './generated-value';
import { evalPyStr } from './generated-value';
import { snakeCase } from './python-source';

const MAX_NAME = 100;

/** `wrap` → `wrap`, `TextWrapper.wrap` → `text_wrapper_wrap`, class `TextWrapper` → `text_wrapper`. */
export function subjectName(fn: CallableInfo): string {
  // A private name says so (`_parse` → `private_parse`): such a test reaches lines no public call reached.
  const parts = fn.qualname
    .split('.')
    .map((p) => (isPrivateName(p) ? `private_${snakeCase(p) || 'call'}` : snakeCase(p) || 'call'));
  return parts.join('_');
}

/** `_helper`, not `__init__`: a name the module keeps to itself. */
export function isPrivateName(name: string): boolean {
  return name.startsWith('_') && !(name.startsWith('__') && name.endsWith('__'));
}

/** The callable, its class or one of its enclosing names is private. */
export function isPrivateCallable(fn: CallableInfo): boolean {
  return fn.qualname.split('.').some(isPrivateName);
}

const NUMBER_WORDS = [
  'zero',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
];

const FRACTION_WORDS: readonly [number, string][] = [
  [0.5, 'half'],
  [0.25, 'quarter'],
  [0.75, 'three_quarters'],
  [1 / 3, 'one_third'],
  [2 / 3, 'two_thirds'],
  [1 / 6, 'one_sixth'],
  [0.1, 'tenth'],
];

/**
 * A number as a name part that cannot be mistaken for a de-duplicating suffix: `2` → `two`, `0.5` → `half`,
 * `1.5` → `1_5`, `2024` → `2024` (numbers past twelve read as values).
 */
export function numberWord(n: number): string {
  const sign = n < 0 ? 'minus_' : '';
  const a = Math.abs(n);
  if (Number.isInteger(a)) return sign + (NUMBER_WORDS[a] ?? String(a));
  const fraction = FRACTION_WORDS.find(([f]) => Math.abs(f - a) < 1e-9);
  if (fraction) return sign + fraction[1];
  return sign + String(Number(a.toFixed(3))).replace('.', '_');
}

/** Numeric zero written by a numeric type's repr: `0`, `0.0`, `Decimal('0.00')`, `Fraction(0, 1)`. */
const ZERO = /^-?0(\.0*)?$|^\w+\('?-?0(\.0*)?'?(, 1)?\)$/;

/** What the call did, in words: `raises_value_error`, `returns_empty_list`, `prints_output`, ... */
export function outcomeWords(fn: CallableInfo, result: CallResult): string {
  if (result.status === 'raised') return `raises_${snakeCase(result.exception?.type ?? 'error') || 'error'}`;
  const v = result.value;
  if (!v) return 'runs';
  if (fn.kind === 'class') return 'builds_object';
  if (result.listified) return v.len === 0 ? 'yields_nothing' : 'yields_items';
  const e = v.expr;
  if (e === 'None')
    return result.stdout
      ? 'prints_output'
      : result.receiverAttrs?.length
        ? 'updates_state'
        : result.changedArgs?.length
          ? 'changes_its_arguments'
          : 'returns_none';
  if (e === 'True') return 'returns_true';
  if (e === 'False') return 'returns_false';
  if (e && ZERO.test(e)) return 'returns_zero';
  if (e === "''" || e === '""') return 'returns_empty_string';
  if (e === '[]') return 'returns_empty_list';
  if (e === '()') return 'returns_empty_tuple';
  if (e === '{}') return 'returns_empty_dict';
  if (e === 'set()') return 'returns_empty_set';
  if (e && /^-\d/.test(e)) return 'returns_negative_number';
  const type = v.type.split('.').pop() ?? v.type;
  const words: Record<string, string> = {
    str: 'string',
    int: 'int',
    float: 'float',
    list: 'list',
    tuple: 'tuple',
    dict: 'dict',
    bool: 'bool',
    bytes: 'bytes',
    set: 'set',
  };
  return `returns_${words[type] ?? snakeCase(type)}`;
}

/** What a string looks like, as name parts (`with_newline`, `with_quote`, ...), most telling first. */
export function stringTraits(s: string): string[] {
  const out: string[] = [];
  if (s === '') return ['empty'];
  if (s.trim() === '') return ['blank'];
  if (/^\s/.test(s)) out.push('indented');
  if (s.includes('\n')) out.push('multiline');
  if (/[^\x00-\x7f]/.test(s)) out.push('non_ascii');
  const marks: [RegExp, string][] = [
    [/\t/, 'with_tab'],
    [/["']/, 'with_quote'],
    [/\\/, 'with_backslash'],
    [/[*?]/, 'with_wildcard'],
    [/[[\]]/, 'with_brackets'],
    [/#/, 'with_hash'],
    [/[()]/, 'with_parentheses'],
    [/[;&|<>]/, 'with_punctuation'],
    [/\s$/, 'with_trailing_space'],
    [/\S\s+\S/, 'with_spaces'],
  ];
  for (const [re, word] of marks) if (re.test(s)) out.push(word);
  if (/^\d+$/.test(s)) out.push('numeric');
  if (s.length === 1) out.push('one_char');
  else if (s.length > 40) out.push('long');
  return out;
}

/** Short descriptions of notable arguments, most telling first: `for_empty_text`, `with_negative_width`, ... */
export function argumentQualifiers(args: readonly GenArg[]): string[] {
  const out: string[] = [];
  for (const a of args) {
    const name = snakeCase(a.param.name) || 'arg';
    const { js, kind } = a.value;
    const src = a.value.expr.kind === 'lit' ? a.value.expr.source : '';
    if (kind === 'str' && js === '') out.push(`for_empty_${name}`);
    else if (kind === 'str' && typeof js === 'string' && js.trim() === '') out.push(`for_blank_${name}`);
    else if (src === '[]' || src === '()' || src === '{}' || src === 'set()') out.push(`for_empty_${name}`);
    else if (kind === 'none') out.push(`without_${name}`);
    else if ((kind === 'int' || kind === 'float') && js === 0) out.push(`with_zero_${name}`);
    else if ((kind === 'int' || kind === 'float') && typeof js === 'number' && js < 0)
      out.push(`with_negative_${name}`);
    else if (kind === 'bool') out.push(`with_${name}_${js ? 'true' : 'false'}`);
  }
  for (const a of args) {
    const name = snakeCase(a.param.name) || 'arg';
    const { js, kind } = a.value;
    if (kind === 'int' && typeof js === 'number' && js > 0) out.push(`with_${name}_${numberWord(js)}`);
    else if (kind === 'float' && typeof js === 'number' && js > 0) out.push(`with_${name}_${numberWord(js)}`);
    else if (kind === 'str' && typeof js === 'string' && /^[A-Za-z][A-Za-z0-9]{0,11}$/.test(js))
      out.push(`for_${name}_${js.toLowerCase()}`);
    else if (kind === 'str' && typeof js === 'string' && js.trim() !== '') {
      for (const trait of stringTraits(js))
        out.push(trait.startsWith('with_') ? `for_${name}_${trait}` : `for_${trait}_${name}`);
    } else if (a.value.collection) {
      const n = a.value.collection.items.length;
      const count = NUMBER_WORDS[n] ?? String(n);
      // `values` → `for_two_values`, `for_one_value`; other names → `for_two_items_<name>`.
      if (n > 0 && name.endsWith('s')) out.push(`for_${count}_${n === 1 ? name.slice(0, -1) : name}`);
      else if (n > 0) out.push(`for_${count}_${n === 1 ? 'item' : 'items'}_${name}`);
    }
  }
  return out;
}

/**
 * Name parts from the rest of the plan: how the receiver was built (`with_posix`) and which calls set its state
 * first (`after_push_source`, `after_apply_coupon_bookworm`).
 */
export function contextQualifiers(candidate: Candidate | undefined, lastStep: number): string[] {
  if (!candidate) return [];
  const out: string[] = [];
  const prefix = candidate.prefix.slice(0, Math.max(0, lastStep - 1));
  for (const p of prefix) {
    if (p.assign) {
      out.push(...valueQualifiers(snakeCase(p.method.name) || 'attribute', p.args[0]?.value));
      continue;
    }
    const word = argumentQualifiers(p.args).find(
      (q) => /^for_\w+_[a-z0-9]+$/.test(q) && !/^for_(empty|blank)_/.test(q),
    );
    const method = snakeCase(p.method.name) || 'call';
    out.push(`after_${method}${word ? `_${word.split('_').pop()}` : ''}`);
  }
  if (candidate.receiver?.kind === 'construct' && candidate.target.kind !== 'class') {
    for (const a of candidate.receiver.args) out.push(...valueQualifiers(snakeCase(a.param.name) || 'arg', a.value));
  }
  return out;
}

/** How a receiver's option or attribute was set: `with_posix`, `without_infile`, `with_debug_two`, `with_source`. */
function valueQualifiers(name: string, value: GenArg['value'] | undefined): string[] {
  if (!value) return [`with_${name}`];
  const { js, kind } = value;
  if (kind === 'bool') return [js ? `with_${name}` : `without_${name}`];
  if (kind === 'none') return [`without_${name}`];
  if (kind === 'int' && typeof js === 'number') return [`with_${name}_${numberWord(js)}`];
  if (kind === 'str' && typeof js === 'string' && /^[A-Za-z][A-Za-z0-9]{0,11}$/.test(js))
    return [`with_${name}_${js.toLowerCase()}`];
  if (kind === 'str' && js === '') return [`with_empty_${name}`];
  return [`with_${name}`];
}

/** Name parts from the outcome beyond its kind: `unchanged`, `with_two_items`, a short returned word. */
export function resultQualifiers(result: CallResult, args: readonly GenArg[]): string[] {
  const v = result.value;
  if (result.status !== 'ok' || !v?.expr) return [];
  const out: string[] = [];
  const text = evalPyStr(v.expr);
  if (text !== undefined && text !== '') {
    if (args.some((a) => a.value.kind === 'str' && a.value.js === text)) out.push('unchanged');
    // A short word or phrase returned says what the test checks; digits and symbols would read as noise.
    if (/^[A-Za-z][A-Za-z0-9]{0,11}$/.test(text)) out.push(text.toLowerCase());
    else if (/^[A-Za-z][A-Za-z ]{0,19}$/.test(text.trim()) && snakeCase(text)) out.push(snakeCase(text));
    if (text.includes('\n')) out.push('on_several_lines');
  }
  if (
    v.len !== null &&
    v.len > 0 &&
    (v.type === 'list' || v.type === 'tuple' || v.type === 'dict' || v.type === 'set')
  ) {
    out.push(`of_${NUMBER_WORDS[v.len] ?? v.len}_${v.len === 1 ? 'item' : 'items'}`);
  }
  return out;
}

/** What the namer needs to know about one test. */
export interface NamingFacts {
  readonly fn: CallableInfo;
  readonly result: CallResult;
  /** Arguments of the call that ends the test. */
  readonly args: readonly GenArg[];
  /** The candidate the test came from and the index of its last step (for context qualifiers). */
  readonly candidate?: Candidate;
  readonly lastStep?: number;
  /** Optional imports the test makes fail first: part of its name (`_without_b2a_qp`). */
  readonly patches?: readonly ModulePatch[];
  /** Environment variables the test sets or removes first: part of its name (`_with_app_mode`, `_without_lang`). */
  readonly env?: readonly EnvSetting[];
}

/**
 * Gives each test a unique, descriptive name. Tests whose plain name (`test_<subject>_<outcome>`, plus what an
 * exception's message or a notable argument says) is shared are told apart by what distinguishes them within
 * the group — their arguments, the calls before, the receiver's options, what they returned — and only when
 * nothing does by a number.
 */
export class TestNamer {
  private readonly used = new Set<string>();

  /** Names for a whole set of tests at once, in input order. */
  nameAll(facts: readonly NamingFacts[]): string[] {
    const plans = facts.map((f) => {
      const all = argumentQualifiers(f.args);
      // A notable argument (empty, blank, missing, zero, negative, a flag) is part of the name from the start.
      const notable =
        all.length && /^(for_empty|for_blank|without|with_zero|with_negative)_|_(true|false)$/.test(all[0])
          ? all[0]
          : '';
      // An exception's message usually says best what went wrong: "division by zero" → `_division_by_zero`.
      // (A KeyError's message is only the missing key.)
      const said =
        f.result.status === 'raised' && f.result.exception?.type !== 'KeyError'
          ? messageWords(f.result.exception?.message ?? '')
          : '';
      const lead = said || notable;
      const without = `${f.patches?.length ? `_without_${f.patches.map((p) => snakeCase(p.name)).join('_and_')}` : ''}${envWords(f.env)}`;
      const base = `test_${subjectName(f.fn)}_${outcomeWords(f.fn, f.result)}${without}${lead ? `_${lead}` : ''}`.slice(
        0,
        MAX_NAME,
      );
      const quals = [
        ...all,
        ...resultQualifiers(f.result, f.args),
        ...contextQualifiers(f.candidate, f.lastStep ?? 0),
      ].filter((q, i, a) => q !== lead && a.indexOf(q) === i);
      return { base, quals };
    });
    const groups = new Map<string, number[]>();
    plans.forEach((p, i) => groups.set(p.base, [...(groups.get(p.base) ?? []), i]));
    const names: string[] = new Array(facts.length);
    for (const [base, members] of groups) {
      if (members.length === 1) {
        names[members[0]] = this.claim(base, plans[members[0]].quals);
        continue;
      }
      // Each member: the fewest of its own qualifiers (in order) that no other member has all of.
      const chosen = members.map((i) => {
        const own = plans[i].quals;
        const others = members.filter((j) => j !== i).map((j) => new Set(plans[j].quals));
        const picked: string[] = [];
        for (const q of own) {
          if (others.every((o) => o.has(q))) continue;
          picked.push(q);
          if (others.every((o) => !picked.every((p) => o.has(p)))) return joinQualifiers(picked, facts[i].args);
          if (picked.length >= 3) break;
        }
        return null;
      });
      // The member with nothing that sets it apart keeps the plain name (the others are named by what they add).
      members.forEach((i, k) => {
        const parts = chosen[k];
        names[i] = parts ? this.claim(`${base}_${parts.join('_')}`.slice(0, MAX_NAME), plans[i].quals) : '';
      });
      members.forEach((i) => {
        if (!names[i]) names[i] = this.claim(base, plans[i].quals);
      });
    }
    return names;
  }

  /** One name on its own (first come, first served). */
  name(fn: CallableInfo, result: CallResult, args: readonly GenArg[]): string {
    return this.nameAll([{ fn, result, args }])[0];
  }

  /** `name`, or `name_2`, `name_3`, ... when taken; the name returned is taken from then on. */
  reserve(name: string): string {
    const n = uniqueName(name, (candidate) => this.used.has(candidate));
    this.used.add(n);
    return n;
  }

  /** `wanted` if free, else with qualifiers added one at a time, else numbered. */
  private claim(wanted: string, quals: readonly string[]): string {
    let name = wanted;
    for (const q of ['', ...quals.filter((x) => !wanted.includes(x))]) {
      const tryName = q ? `${name}_${q}`.slice(0, MAX_NAME) : name;
      if (!this.used.has(tryName)) {
        this.used.add(tryName);
        return tryName;
      }
      name = tryName;
    }
    return this.reserve(wanted);
  }
}

/**
 * Several qualifiers about one string argument read as one phrase: `for_indented_text` + `for_multiline_text` +
 * `for_text_with_quote` → `for_indented_multiline_text_with_quote`.
 */
export function joinQualifiers(quals: readonly string[], args: readonly GenArg[]): string[] {
  const out: string[] = [];
  const byParam = new Map<string, { adjectives: string[]; withs: string[]; at: number }>();
  for (const q of quals) {
    const name = args
      .map((a) => snakeCase(a.param.name))
      .find((n) => n && (q.endsWith(`_${n}`) || q.startsWith(`for_${n}_with_`)));
    const adjective = name && q.startsWith('for_') && q.endsWith(`_${name}`) ? q.slice(4, -name.length - 1) : '';
    const withPart = name && q.startsWith(`for_${name}_with_`) ? q.slice(`for_${name}_with_`.length) : '';
    if (!name || (!adjective && !withPart) || adjective.includes('_with_')) {
      out.push(q);
      continue;
    }
    const entry = byParam.get(name) ?? { adjectives: [], withs: [], at: out.length };
    if (!byParam.has(name)) {
      byParam.set(name, entry);
      out.push(`\0${name}`);
    }
    if (adjective) entry.adjectives.push(adjective);
    if (withPart) entry.withs.push(withPart);
  }
  return out.map((q) => {
    if (!q.startsWith('\0')) return q;
    const name = q.slice(1);
    const e = byParam.get(name)!;
    return `for_${[...e.adjectives, name].join('_')}${e.withs.length ? `_with_${e.withs.join('_and_')}` : ''}`;
  });
}

/**
 * The first words of a message as a name part (`not enough operands for +` → `not_enough_operands_for`), or ''.
 * A leading `[Errno 2]` or `name:` label is skipped when the rest says more.
 */
export function messageWords(message: string): string {
  const cleaned = message.replace(/^\[[^\]]*\]\s*/, '');
  const segments = cleaned.split(/[:;,(\[{'"]/).map((seg) => seg.toLowerCase().match(/[a-z][a-z0-9]*/g) ?? []);
  // `pytest: reading from stdin ...`: a one-word label before a colon says less than the clause after it.
  const words = segments[0].length <= 1 && (segments[1]?.length ?? 0) >= 2 ? segments[1] : segments[0];
  return words.slice(0, 5).join('_');
}

/** `_with_app_mode_and_without_lang` for the environment variables a test sets or removes, `` for none. */
function envWords(env: readonly EnvSetting[] | undefined): string {
  if (!env?.length) return '';
  return `_${env.map((e) => `${e.value === null ? 'without' : 'with'}_${snakeCase(e.name)}`).join('_and_')}`;
}
