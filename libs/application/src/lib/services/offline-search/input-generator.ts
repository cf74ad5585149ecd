import type {
  CallableInfo,
  ClassField,
  HarvestedLiteral,
  ModuleInterface,
  ParameterInfo,
  PlanExpr,
  TypeHint,
} from '@test-agent/domain';
import { pyFloat, pyInt, pyStr } from './python-source';
import type { RandomSource } from './random-source';
import { leavesWorkingDirectory, reRootPath } from './safe-inputs';

/** A generated argument value: its plan expression plus the JS value when it is a plain str/int/float/bool. */
export interface GenValue {
  readonly expr: PlanExpr;
  readonly js?: string | number | boolean | null;
  readonly kind: 'int' | 'float' | 'str' | 'bool' | 'none' | 'other';
  readonly hint: TypeHint;
  /** For an object built by a constructor of the module: the class path and its arguments (to simplify them). */
  readonly construct?: { readonly path: string; readonly args: readonly GenArg[] };
  /** For a list, set, tuple or dict literal: its elements (dict: values, with `keys`), to simplify them one by one. */
  readonly collection?: Collection;
  /** The parameter's own type when this value deliberately ignored it (the simplifier tries that type first). */
  readonly offHint?: TypeHint;
  /**
   * A value made by a helper from plain arguments: `io.StringIO('a b')` for a stream, `_file('input.txt', 'a b')`
   * for a file the test creates (see `fileValue`); the simplifier shrinks the arguments.
   */
  readonly wrapped?: { readonly fn: string; readonly args: readonly GenValue[] };
}

export interface Collection {
  readonly kind: 'list' | 'set' | 'tuple' | 'dict';
  readonly items: readonly GenValue[];
  /** Dict keys, one per item. */
  readonly keys?: readonly GenValue[];
}

export interface GenArg {
  readonly param: ParameterInfo;
  readonly value: GenValue;
  /** Passed as `name=value` (more readable; required for keyword-only parameters). */
  readonly keyword: boolean;
}

/** A receiver object: built by a constructor, or an enum member. */
export type Receiver =
  | { readonly kind: 'construct'; readonly cls: CallableInfo; readonly args: readonly GenArg[] }
  | { readonly kind: 'member'; readonly path: string };

/**
 * A step that sets the receiver's state before the call under test: a method call, or (`assign`) an assignment
 * of `args[0]` to the public attribute `method.name` (`lexer.debug = 2`).
 */
export interface StateStep {
  readonly method: CallableInfo;
  readonly args: readonly GenArg[];
  readonly assign?: boolean;
  /** For an assignment: the attribute's type is declared (not guessed from its name or left open). */
  readonly declared?: boolean;
}

/** A candidate test: optional receiver, optional state-setting steps, then the call under test. */
export interface Candidate {
  readonly target: CallableInfo;
  readonly receiver?: Receiver;
  readonly prefix: readonly StateStep[];
  readonly args: readonly GenArg[];
}

/** Fields the sandbox found on a class (none for other callables). */
export function fieldsOf(cls: CallableInfo): readonly ClassField[] {
  return cls.fields ?? [];
}

/** Fields worth setting before a call: those the constructor does not already take as arguments. */
export function settableFields(cls: CallableInfo): readonly ClassField[] {
  const params = new Set(cls.params.map((p) => p.name));
  return fieldsOf(cls).filter((f) => !params.has(f.name));
}

/** Name of the file a `_file(...)` value writes, as a test would see it. */
export const FILE_HELPER = '_file';

const ANY: TypeHint = { kind: 'any' };
const INT: TypeHint = { kind: 'builtin', name: 'int' };
const FLOAT: TypeHint = { kind: 'builtin', name: 'float' };
const STR: TypeHint = { kind: 'builtin', name: 'str' };
const BOOL: TypeHint = { kind: 'builtin', name: 'bool' };
const BYTES: TypeHint = { kind: 'builtin', name: 'bytes' };
const NONE: TypeHint = { kind: 'none' };

const HINT_BY_NAME: Record<string, TypeHint> = {
  str: STR,
  int: INT,
  float: FLOAT,
  bool: BOOL,
  bytes: BYTES,
  list: { kind: 'list', item: ANY },
  tuple: { kind: 'tuple', item: ANY },
  dict: { kind: 'dict', key: STR, value: ANY },
  set: { kind: 'set', item: ANY },
  sized: { kind: 'union', options: [STR, { kind: 'list', item: ANY }] },
  callable: { kind: 'callable' },
};

/**
 * The last resort when neither an annotation, nor how the function uses the parameter, nor a default says what
 * it is: generic naming conventions (`is_*` flags, `path`, `count`, `text`), not tuned to any module. Usage
 * evidence (the worker's `paramHints`: arithmetic, comparisons, methods called, what the parameter is passed to)
 * comes first.
 */
const NAME_RULES: readonly [RegExp, TypeHint][] = [
  [
    /^(is|has|use|allow|enable|disable|should|can|do|with|without|no|ignore|include|skip)_|^(verbose|debug|strict|force|quiet|recursive|reverse|overwrite|dry_run)$/,
    BOOL,
  ],
  [/(names|items|list|lst|words|values|seq|sequence|lines|args|elements|array|arr|rows)$/, { kind: 'list', item: ANY }],
  [/(func|callback|predicate|key|fn|function|handler|factory)$/, { kind: 'callable' }],
  [
    /^(s|text|string|name|pattern|prefix|suffix|sep|separator|char|ch|word|line|path|filename|msg|message|label|title|fmt|format|encoding|token|source|src|data|code|url|uri|email|username|password|query|description|cmd|command)$/,
    STR,
  ],
  [
    /^(n|i|j|k|count|width|height|size|index|idx|num|number|length|depth|level|start|end|stop|step|limit|offset|max_\w+|min_\w+|pos|position|timeout|retries|digits|precision|base|total|amount|quantity|qty|age|cols|columns|year|month|day|hour|minute|second|days)$/,
    INT,
  ],
  [
    /^(price|rate|ratio|factor|scale|weight|temperature|percent|percentage|discount|tax|lat|lon|latitude|longitude)$/,
    { kind: 'union', options: [FLOAT, INT] },
  ],
];

/** Parameters that take a readable text stream. */
const STREAM_PARAM = /(^|_)(fp|fileobj|file_obj|readable)$|stream$/;
/** Parameters that take the name of a file to read (`path`, `config_file`, `infile`, `input_filename`). */
const PATH_PARAM = /(^|_)(in|input_?|source_?)?(path|filename|file_?name|fname|filepath|file)$/;
/** Parameters holding a command line (`main(argv)`, `main(args)`). */
const isArgvParam = (p: ParameterInfo, fn: CallableInfo): boolean =>
  p.kind !== 'varargs' &&
  p.kind !== 'varkw' &&
  (/^(argv|arguments|cmdline|command_line)$/.test(p.name) || (p.name === 'args' && /(^|_)main$/.test(fn.name)));
const FILE_NAMES = ['input.txt', 'data.txt', 'notes.cfg'];

const INT_BOUNDARIES = [0, 1, -1, 2, 3, 5, 7, 10, 12, 13, 31, 100, -100, 1000, 1900, 2000, 2024, 9999, 10000];
const FLOAT_BOUNDARIES = [0.0, 1.0, 0.5, -1.0, 0.25, 0.75, 2.0, 1e-9, 100.0, -0.5, 0.1, 1 / 3, 2 / 3, 1 / 6];
const WORDS = [
  'a',
  'abc',
  'hello',
  'Hello World',
  'x y z',
  'foo bar baz',
  'test',
  '123',
  'A1',
  'hello world example text',
];
const CHARS = [
  ' ',
  '\n',
  '\t',
  '.',
  ',',
  '-',
  '*',
  '?',
  '[',
  ']',
  '!',
  '"',
  "'",
  '\\',
  '#',
  '/',
  ':',
  '=',
  '_',
  '0',
  'é',
];
const LAMBDAS = [
  'lambda *args: True',
  'lambda *args: False',
  'lambda x: x',
  'str',
  'len',
  'lambda *args, **kwargs: None',
];

/** A regular expression a callable matches text against, with strings the sandbox generated from it. */
export type HarvestedPattern = NonNullable<ModuleInterface['patterns']>[string][number];

/** Values seen as results of earlier calls, as Python source, by type name. */
export type ObservedPool = Map<string, string[]>;

/** Makes argument values for a module's callables: from type hints, usage, names, harvested literals, results. */
export class InputGenerator {
  private readonly byQualname: Map<string, CallableInfo>;
  private readonly subclasses = new Map<string, CallableInfo[]>();
  private modulePatterns?: readonly HarvestedPattern[];

  constructor(
    private readonly module: ModuleInterface,
    private readonly rng: RandomSource,
    private readonly observed: ObservedPool = new Map(),
    /** Constructor arguments known to build an object, per class qualname. */
    private readonly goodConstructions = new Map<string, (readonly GenArg[])[]>(),
  ) {
    this.byQualname = new Map(module.callables.map((c) => [c.qualname, c]));
    for (const c of module.callables) {
      if (c.kind !== 'class') continue;
      for (const base of c.bases ?? []) {
        const list = this.subclasses.get(base) ?? [];
        list.push(c);
        this.subclasses.set(base, list);
      }
    }
  }

  /** The type to generate for a parameter: its annotation, else what its use, default and name suggest. */
  hintFor(param: ParameterInfo, owner: CallableInfo): TypeHint {
    const withNone = (h: TypeHint): TypeHint => (param.defaultIsNone ? { kind: 'union', options: [h, NONE] } : h);
    if (param.type.kind !== 'any') return withNone(param.type);
    const options: TypeHint[] = [];
    const found =
      this.module.paramHints[owner.kind === 'class' ? `${owner.qualname}.__init__` : owner.qualname]?.[param.name] ??
      [];
    // `sized` (len, subscripts) only narrows when nothing more specific was seen.
    const usage = found.some((u) => ['str', 'bytes', 'list', 'tuple', 'dict'].includes(u))
      ? found.filter((u) => u !== 'sized')
      : found;
    for (const u of usage) {
      if (HINT_BY_NAME[u]) options.push(HINT_BY_NAME[u]);
      // `class:Name`: the attributes the function uses on the parameter are members of that class.
      else if (u.startsWith('class:') && this.constructibleClass(u.slice(6)))
        options.push({ kind: 'class', ref: u.slice(6) });
    }
    const fromDefault = param.default ? defaultHint(param.default) : undefined;
    if (fromDefault) options.push(fromDefault);
    if (options.length === 0) {
      const rule = NAME_RULES.find(([re]) => re.test(param.name.toLowerCase()));
      if (rule) options.push(rule[1]);
    }
    // An annotation naming a type outside the module (`re.Match`, `Decimal`) keeps its name for `stdlibValue`.
    if (options.length === 0) return withNone(param.type.kind === 'any' && param.type.hint ? param.type : ANY);
    return withNone(options.length === 1 ? options[0] : { kind: 'union', options });
  }

  /** Literals harvested from the callable's own body first, then from the module. */
  private literals(owner: CallableInfo, kind: HarvestedLiteral['kind']): HarvestedLiteral[] {
    const own = [
      ...(this.module.literals[owner.qualname] ?? []),
      ...(owner.owner ? (this.module.literals[owner.owner] ?? []) : []),
    ];
    const fromOwn = own.filter((l) => l.kind === kind);
    if (fromOwn.length > 0 && this.rng.chance(0.7)) return fromOwn;
    return this.module.moduleLiterals.filter((l) => l.kind === kind);
  }

  value(hint: TypeHint, owner: CallableInfo, depth = 0): GenValue {
    const rng = this.rng;
    switch (hint.kind) {
      case 'none':
        return { expr: lit('None'), js: null, kind: 'none', hint };
      case 'builtin':
        return this.builtin(hint.name, hint, owner);
      case 'union':
        return this.value(rng.pick(hint.options), owner, depth);
      case 'literal':
        return hint.values.length
          ? { expr: lit(rng.pick(hint.values)), kind: 'other', hint }
          : this.value(ANY, owner, depth);
      case 'enum':
        return hint.members.length
          ? { expr: { kind: 'ref', path: `${hint.ref}.${rng.pick(hint.members)}` }, kind: 'other', hint }
          : { expr: lit('None'), js: null, kind: 'none', hint };
      case 'class':
        return this.instance(hint.ref, owner, depth) ?? { expr: lit('None'), js: null, kind: 'none', hint };
      case 'callable':
        return { expr: lit(rng.pick(LAMBDAS)), kind: 'other', hint };
      case 'list':
      case 'set':
      case 'tuple': {
        const fromObserved = this.observedOf(hint.kind);
        if (fromObserved && rng.chance(0.25)) return { expr: lit(fromObserved), kind: 'other', hint };
        const n = depth > 1 ? rng.int(0, 1) : rng.pick([0, 1, 2, 3, 4]);
        const items: GenValue[] = [];
        if (hint.kind === 'tuple' && hint.items) {
          for (const h of hint.items) items.push(this.value(h, owner, depth + 1));
        } else {
          const itemHint = hint.kind === 'tuple' ? (hint.item ?? ANY) : hint.item;
          // Homogeneous items read better and match what most code expects.
          const concrete = itemHint.kind === 'any' ? rng.pick([STR, INT, STR, FLOAT]) : itemHint;
          for (let i = 0; i < n; i++) items.push(this.value(concrete, owner, depth + 1));
        }
        return collectionValue({ kind: hint.kind, items }, hint, (v) => this.source(v));
      }
      case 'dict': {
        const n = depth > 1 ? rng.int(0, 1) : rng.int(0, 3);
        const keys: GenValue[] = [];
        const items: GenValue[] = [];
        for (let i = 0; i < n; i++) {
          keys.push(this.value(hint.key.kind === 'any' ? STR : hint.key, owner, depth + 1));
          items.push(this.value(hint.value.kind === 'any' ? INT : hint.value, owner, depth + 1));
        }
        return collectionValue({ kind: 'dict', items, keys }, hint, (v) => this.source(v));
      }
      case 'any': {
        const known = hint.hint ? this.stdlibValue(hint.hint) : undefined;
        if (known && rng.chance(0.85)) return { expr: lit(known), kind: 'other', hint };
        const fromObserved = this.observedOf();
        if (fromObserved && rng.chance(0.12)) return { expr: lit(fromObserved), kind: 'other', hint };
        const pickHint = rng.pick<TypeHint>([
          STR,
          STR,
          INT,
          INT,
          FLOAT,
          NONE,
          BOOL,
          { kind: 'list', item: ANY },
          { kind: 'dict', key: STR, value: ANY },
        ]);
        return this.value(pickHint, owner, depth + 1);
      }
    }
  }

  private builtin(name: string, hint: TypeHint, owner: CallableInfo): GenValue {
    const rng = this.rng;
    switch (name) {
      case 'int': {
        const lits = this.literals(owner, 'int');
        const r = rng.next();
        const n =
          r < 0.4 && lits.length
            ? Number(rng.pick(lits).value)
            : r < 0.75
              ? rng.pick(INT_BOUNDARIES)
              : rng.int(-20, 60);
        return intValue(n, hint);
      }
      case 'float': {
        const lits = this.literals(owner, 'float');
        const r = rng.next();
        const n =
          r < 0.3 && lits.length
            ? Number(rng.pick(lits).value)
            : r < 0.6
              ? rng.pick(FLOAT_BOUNDARIES)
              : r < 0.85
                ? round(rng.next(), 3)
                : round(rng.next() * 4 - 2, 2);
        return floatValue(n, hint);
      }
      case 'bool': {
        const b = rng.chance(0.5);
        return { expr: lit(b ? 'True' : 'False'), js: b, kind: 'bool', hint };
      }
      case 'bytes': {
        const lits = this.literals(owner, 'bytes');
        const src =
          lits.length && rng.chance(0.6)
            ? rng.pick(lits).source
            : rng.pick(["b''", "b'abc'", "b'\\x00\\xff'", "b'hello world'"]);
        return { expr: lit(src), kind: 'other', hint };
      }
      case 'complex':
        return { expr: lit(rng.pick(['1j', '(1+2j)', '0j'])), kind: 'other', hint };
      case 'none':
        return { expr: lit('None'), js: null, kind: 'none', hint };
      default:
        return strValue(this.string(owner), hint);
    }
  }

  /** A value of a common standard-library type the module imported (`Decimal('2.50')`), or undefined. */
  private stdlibValue(qualified: string): string | undefined {
    if (qualified === 're.Match') return this.matchObject();
    const dot = qualified.lastIndexOf('.');
    const statement = `from ${qualified.slice(0, dot)} import ${qualified.slice(dot + 1)}`;
    const local = Object.entries(this.module.externalNames ?? {}).find(
      ([, s]) => s === statement || s.startsWith(`${statement} as `),
    )?.[0];
    if (!local) return undefined;
    const rng = this.rng;
    switch (qualified) {
      case 'decimal.Decimal':
        return `${local}(${pyStr(rng.pick(['0', '1', '2.50', '19.99', '-1', '0.01', '100', '3.333']))})`;
      case 'fractions.Fraction':
        return `${local}(${rng.int(-3, 5)}, ${rng.int(1, 7)})`;
      case 'datetime.date':
        return `${local}(${rng.pick([2024, 2023, 2000, 1900, 1])}, ${rng.int(1, 12)}, ${rng.pick([1, 15, 28, 29, 31])})`.replace(
          /, (29|31)\)$/,
          (m) => (rng.chance(0.5) ? ', 28)' : m),
        );
      case 'datetime.datetime':
        return `${local}(${rng.pick([2024, 2000, 1970])}, ${rng.int(1, 12)}, ${rng.int(1, 28)}, ${rng.int(0, 23)}, ${rng.int(0, 59)})`;
      case 'datetime.timedelta':
        return `${local}(days=${rng.pick([0, 1, -1, 7, 30, 365])})`;
      case 'pathlib.Path':
        return `${local}(${pyStr(rng.pick(['a.txt', 'data', 'out', 'dir/file.csv']))})`;
      default:
        return undefined;
    }
  }

  /**
   * A `re.Match` of one of the module's own patterns on a string made from it: `RE_DATE.match('1988-10-27')`
   * through the module-level name when the pattern has one, else `re.match(pattern, text, flags)`.
   */
  private matchObject(): string | undefined {
    const patterns = Object.values(this.module.patterns ?? {})
      .flat()
      .filter((p) => p.matches.length > 0);
    if (patterns.length === 0) return undefined;
    const p = this.rng.pick(patterns);
    const text = pyStr(this.rng.pick(p.matches));
    if (p.name) return `${p.name}.match(${text})`;
    const re = Object.entries(this.module.externalNames ?? {}).find(
      ([, s]) => s === 'import re' || s.startsWith('import re as '),
    )?.[0];
    return re ? `${re}.match(${pyStr(p.pattern)}, ${text}${p.flags ? `, ${p.flags}` : ''})` : undefined;
  }

  /**
   * A string from harvested literals, common words and special characters, joined. Text made here that would
   * name a place outside the working directory (`/`, `.`, `/ 3 4`, `/abc`) gets a space in front: it keeps every
   * character (a lone `/` or `.` is what code handling punctuation needs) and names a place inside. A harvested
   * literal on its own and text with `..` segments are re-rooted instead (`strValue`: `/tmp/x` → `tmp/x`).
   */
  string(owner: CallableInfo): string {
    const lits = this.literals(owner, 'str').map((l) => String(l.value ?? ''));
    // Patterns matched against one of the parameters weigh most; one matched against a local variable (a
    // piece the function cut out of its input) less.
    const own = this.patternsOf(owner);
    const params = new Set(owner.params.map((p) => p.name));
    const onParams = own.filter((p) => p.subjects.some((s) => params.has(s)));
    const pool = onParams.length ? onParams : own;
    const fromPattern =
      pool.length && this.rng.chance(onParams.length ? 0.35 : 0.08) ? this.patternString(pool) : undefined;
    const s = fromPattern ?? this.text(lits);
    if (!leavesWorkingDirectory(s) || lits.includes(s) || s.split('/').includes('..')) return s;
    return ` ${s}`;
  }

  /**
   * The patterns a callable matches text against: its own (and its class's), else now and then those of the
   * rest of the module (a function that hands its text to a helper that matches it).
   */
  patternsOf(owner: CallableInfo): readonly HarvestedPattern[] {
    const all = this.module.patterns;
    if (!all) return [];
    const own = [...(all[owner.qualname] ?? []), ...(owner.owner ? (all[owner.owner] ?? []) : [])];
    if (own.length) return own;
    if (this.modulePatterns === undefined) this.modulePatterns = Object.values(all).flat();
    return this.modulePatterns.length && this.rng.chance(0.3) ? this.modulePatterns : [];
  }

  /**
   * A string made from the patterns: mostly one that matches, sometimes a near miss (the branches that reject
   * input), sometimes several matching strings on separate lines or one inside other text (line-oriented
   * parsers, `search`).
   */
  patternString(patterns: readonly HarvestedPattern[]): string | undefined {
    const rng = this.rng;
    const withMatches = patterns.filter((p) => p.matches.length > 0);
    const r = rng.next();
    if (r < 0.22) {
      const misses = patterns.filter((p) => p.nearMisses.length > 0);
      if (misses.length) return rng.pick(rng.pick(misses).nearMisses);
    }
    if (withMatches.length === 0) return undefined;
    const one = (): string => rng.pick(rng.pick(withMatches).matches);
    if (r < 0.8) return one();
    if (r < 0.92) return Array.from({ length: rng.int(2, 4) }, one).join('\n');
    return `${rng.pick(WORDS)} ${one()}`;
  }

  private text(lits: readonly string[]): string {
    const rng = this.rng;
    const observed = this.observed.get('str') ?? [];
    const piece = (): string => {
      const r = rng.next();
      if (r < 0.45 && lits.length) return rng.pick(lits);
      if (r < 0.55 && observed.length) return evalPyStr(rng.pick(observed)) ?? rng.pick(WORDS);
      if (r < 0.8) return rng.pick(WORDS);
      return rng.pick(CHARS);
    };
    const r = rng.next();
    if (r < 0.08) return '';
    if (r < 0.4) return piece();
    if (r < 0.55) {
      // Space-separated tokens: short literals and numbers, the shape of command lines and expressions.
      const tokens = lits.filter((l) => l.length > 0 && l.length <= 12 && !/\s/.test(l));
      const n = rng.int(1, 5);
      const out: string[] = [];
      for (let i = 0; i < n; i++)
        out.push(tokens.length && rng.chance(0.5) ? rng.pick(tokens) : String(rng.pick([0, 1, 2, 3, 4, 10, -1, 2.5])));
      return out.join(' ');
    }
    const n = rng.int(2, 5);
    let s = '';
    for (let i = 0; i < n; i++) s += (i > 0 && rng.chance(0.4) ? ' ' : '') + piece();
    return s.slice(0, 200);
  }

  /** A value of a class defined in the module: a known-good construction, or a new one. */
  instance(ref: string, owner: CallableInfo, depth: number): GenValue | undefined {
    const hint: TypeHint = { kind: 'class', ref };
    const cls = this.constructibleClass(ref);
    if (!cls || depth > 2) return undefined;
    const good = this.goodConstructions.get(cls.qualname);
    const args = good?.length && this.rng.chance(0.7) ? this.rng.pick(good) : this.arguments(cls, depth + 1);
    return {
      expr: callExpr({ kind: 'ref', path: cls.qualname }, args),
      kind: 'other',
      hint,
      construct: { path: cls.qualname, args },
    };
  }

  /** The class itself when it can be built, else a constructible subclass defined in the module. */
  constructibleClass(ref: string): CallableInfo | undefined {
    const cls = this.byQualname.get(ref);
    if (cls?.kind === 'class' && cls.constructible) return cls;
    const subs = (this.subclasses.get(ref) ?? []).filter((s) => s.constructible);
    return subs.length ? this.rng.pick(subs) : undefined;
  }

  /**
   * Arguments for a call: every required parameter, each optional one now and then (minimal arguments read
   * best), a few extra positionals for `*args`.
   */
  arguments(fn: CallableInfo, depth = 0, optionalRate = 0.3): GenArg[] {
    const out: GenArg[] = [];
    let positionalGap = false;
    for (const p of fn.params) {
      if (p.kind === 'varkw') continue;
      if (p.kind === 'varargs') {
        if (positionalGap) continue;
        const n = this.rng.pick([0, 0, 1, 2]);
        for (let i = 0; i < n; i++)
          out.push({ param: p, value: this.value(this.hintFor(p, fn), fn, depth), keyword: false });
        continue;
      }
      if (p.hasDefault && !this.rng.chance(optionalRate)) {
        if (p.kind !== 'keyword') positionalGap = true;
        continue;
      }
      const keyword = p.kind === 'keyword' || (p.kind === 'either' && (positionalGap || p.hasDefault));
      if (p.kind === 'positional' && positionalGap) continue;
      out.push({ param: p, value: this.argumentValue(p, fn, depth), keyword });
    }
    return out;
  }

  private argumentValue(p: ParameterInfo, fn: CallableInfo, depth: number): GenValue {
    const special = this.specialValue(p, fn);
    if (special) return special;
    const matched = this.matchedParameterValue(p, fn);
    if (matched) return matched;
    // Now and then ignore the hint: code often checks for wrong types, and those branches count too.
    const wanted = this.hintFor(p, fn);
    if (this.rng.chance(0.06) && wanted.kind !== 'any') return { ...this.value(ANY, fn, depth), offHint: wanted };
    if (p.hasDefault && p.default && this.rng.chance(0.25)) {
      const near = nearDefault(p.default, this.rng);
      if (near) return near;
    }
    return this.value(wanted, fn, depth);
  }

  /**
   * Values shaped by what a parameter is for, when its type does not say: a command line for `main(argv)`, an
   * in-memory stream for `instream`, a real file (created by the test) for `filename`. Undefined otherwise, or
   * now and then so the plain hint still gets its turn.
   */
  specialValue(p: ParameterInfo, fn: CallableInfo): GenValue | undefined {
    const name = p.name.toLowerCase();
    const untyped = p.type.kind === 'any' || (p.type.kind === 'union' && p.type.options.some((o) => o.kind === 'any'));
    if (isArgvParam(p, fn) && (untyped || p.type.kind === 'list') && this.rng.chance(0.8)) return this.commandLine(fn);
    if (!untyped && !(p.type.kind === 'builtin' && p.type.name === 'str')) return undefined;
    if (STREAM_PARAM.test(name) && this.rng.chance(0.5)) return this.streamValue(fn);
    if (PATH_PARAM.test(name) && this.rng.chance(0.5)) return this.fileValue(fn);
    return undefined;
  }

  /**
   * For a parameter the function matches against a regular expression (`m = _RE.match(s)`), when its type
   * allows a str: often (60 %) a string made from those patterns.
   */
  private matchedParameterValue(p: ParameterInfo, fn: CallableInfo): GenValue | undefined {
    const strOk =
      p.type.kind === 'any' ||
      (p.type.kind === 'builtin' && p.type.name === 'str') ||
      (p.type.kind === 'union' &&
        p.type.options.some((o) => o.kind === 'any' || (o.kind === 'builtin' && o.name === 'str')));
    if (!strOk) return undefined;
    const all = this.module.patterns ?? {};
    const patterns = [
      ...(all[fn.qualname] ?? []),
      ...(fn.kind === 'class' ? (all[`${fn.qualname}.__init__`] ?? []) : []),
    ].filter((x) => x.subjects.includes(p.name));
    if (patterns.length === 0 || !this.rng.chance(0.6)) return undefined;
    const s = this.patternString(patterns);
    return s === undefined ? undefined : strValue(s, p.type.kind === 'any' ? STR : p.type);
  }

  /** `io.StringIO(text)`: a readable stream over generated text. */
  streamValue(fn: CallableInfo): GenValue {
    return wrappedValue('io.StringIO', [strValue(this.string(fn), STR)], ANY);
  }

  /** `_file(name, text)`: a file in the working directory holding generated (ASCII) text; the value is its name. */
  fileValue(fn: CallableInfo): GenValue {
    const text = this.string(fn).replace(/[^\x20-\x7e\n\t]/g, '');
    return wrappedValue(FILE_HELPER, [strValue(this.rng.pick(FILE_NAMES), STR), strValue(text, STR)], STR);
  }

  /**
   * A command line as a list of strings: now and then a program name, then options the function's own literals
   * spell (`-t`, `--width`), some followed by a value (a literal such as `html`, or a number), then positional
   * numbers.
   */
  commandLine(fn: CallableInfo): GenValue {
    const rng = this.rng;
    const own = (this.module.literals[fn.qualname] ?? [])
      .filter((l) => l.kind === 'str')
      .map((l) => String(l.value ?? ''));
    const options = own.filter((s) => /^--?[A-Za-z][\w-]*$/.test(s));
    const words = own.filter((s) => /^[\w.,:/+-]{1,15}$/.test(s) && !s.startsWith('-'));
    const ints = (this.module.literals[fn.qualname] ?? []).filter((l) => l.kind === 'int').map((l) => Number(l.value));
    const number = () =>
      String(ints.length && rng.chance(0.4) ? rng.pick(ints) : rng.pick([1, 2, 3, 12, 13, 2000, 2024, 0, -1]));
    const items: string[] = [];
    if (rng.chance(0.6)) items.push('prog');
    const n = options.length ? rng.pick([0, 1, 1, 2, 2, 3]) : 0;
    for (let i = 0; i < n; i++) {
      items.push(rng.pick(options));
      if (rng.chance(0.65)) items.push(words.length && rng.chance(0.6) ? rng.pick(words) : number());
    }
    const positional = rng.pick([0, 1, 1, 2]);
    for (let i = 0; i < positional; i++) items.push(words.length && rng.chance(0.2) ? rng.pick(words) : number());
    const hint: TypeHint = { kind: 'list', item: STR };
    return collectionValue({ kind: 'list', items: items.map((s) => strValue(s, STR)) }, hint, valueSource);
  }

  /**
   * The type of a value for a public attribute of a class (`lexer.debug = 2`): the type its first constant had,
   * else what the attribute's name suggests.
   */
  fieldHint(field: ClassField): TypeHint {
    return (
      FIELD_TYPES[field.type] ??
      NAME_RULES.find(([re]) => re.test(field.name.toLowerCase()))?.[1] ?? { kind: 'union', options: [STR, INT, BOOL] }
    );
  }

  /** An assignment step `obj.<field> = value` for a constructible class's public attribute, or undefined. */
  assignment(cls: CallableInfo): StateStep | undefined {
    const fields = settableFields(cls);
    if (fields.length === 0) return undefined;
    const field = this.rng.pick(fields);
    // The attribute as a one-parameter setter, so mutation and simplification treat its value like an argument.
    const param: ParameterInfo = {
      name: field.name,
      kind: 'either',
      type: this.fieldHint(field),
      hasDefault: false,
      default: null,
      defaultIsNone: false,
    };
    const method: CallableInfo = {
      kind: 'property',
      name: field.name,
      qualname: `${cls.qualname}.${field.name}`,
      owner: cls.qualname,
      params: [param],
    };
    return {
      method,
      args: [{ param, value: this.value(param.type, cls), keyword: false }],
      assign: true,
      declared: FIELD_TYPES[field.type] !== undefined,
    };
  }

  /** Changes one thing in an argument list: a value nudged or regenerated, an optional argument added or dropped. */
  mutate(fn: CallableInfo, args: readonly GenArg[]): GenArg[] {
    const rng = this.rng;
    const out = [...args];
    const r = rng.next();
    const optional = fn.params.filter(
      (p) => p.hasDefault && p.kind !== 'positional' && p.kind !== 'varargs' && p.kind !== 'varkw',
    );
    if (r < 0.15 && optional.length) {
      const p = rng.pick(optional);
      const at = out.findIndex((a) => a.param.name === p.name);
      if (at >= 0) out.splice(at, 1);
      else out.push({ param: p, value: this.argumentValue(p, fn, 0), keyword: true });
      return out;
    }
    if (out.length === 0) return this.arguments(fn);
    const i = rng.int(0, out.length - 1);
    out[i] = { ...out[i], value: this.tweak(out[i].value, out[i].param, fn) };
    return out;
  }

  private tweak(v: GenValue, p: ParameterInfo, fn: CallableInfo): GenValue {
    const rng = this.rng;
    if (rng.chance(0.35)) return this.specialValue(p, fn) ?? this.value(this.hintFor(p, fn), fn);
    if (v.wrapped && rng.chance(0.7)) {
      // A stream's or a file's text changes; the helper stays.
      const args = v.wrapped.args.map((a, i) => (i === v.wrapped!.args.length - 1 ? this.tweakElement(a, fn) : a));
      return wrappedValue(v.wrapped.fn, args, v.hint);
    }
    if (v.kind === 'int' && typeof v.js === 'number') {
      const n = v.js;
      return intValue(rng.pick([n + 1, n - 1, -n, n * 2, Math.trunc(n / 2), n + rng.int(-10, 10)]), v.hint);
    }
    if (v.kind === 'float' && typeof v.js === 'number') {
      const n = v.js;
      return floatValue(
        rng.pick([round(n + 0.1, 6), round(n - 0.1, 6), -n, round(n * 2, 6), round(n / 2, 6), round(rng.next(), 3)]),
        v.hint,
      );
    }
    if (v.kind === 'str' && typeof v.js === 'string') return strValue(this.tweakString(v.js, fn), v.hint);
    if (v.kind === 'bool') return { ...v, expr: lit(v.js ? 'False' : 'True'), js: !v.js };
    if (v.collection && v.collection.items.length > 0 && rng.chance(0.7)) {
      // Change one element: drop it, or nudge its value.
      const c = v.collection;
      const i = rng.int(0, c.items.length - 1);
      const drop = rng.chance(0.3);
      const items = drop
        ? c.items.filter((_, j) => j !== i)
        : c.items.map((x, j) => (j === i ? this.tweakElement(x, fn) : x));
      const keys = c.keys && (drop ? c.keys.filter((_, j) => j !== i) : c.keys);
      return collectionValue({ ...c, items, ...(keys ? { keys } : {}) }, v.hint, (x) => this.source(x));
    }
    return this.value(this.hintFor(p, fn), fn);
  }

  private tweakElement(v: GenValue, fn: CallableInfo): GenValue {
    if (v.kind === 'int' && typeof v.js === 'number') return intValue(v.js + this.rng.pick([1, -1, 10]), v.hint);
    if (v.kind === 'str' && typeof v.js === 'string') return strValue(this.tweakString(v.js, fn), v.hint);
    return this.value(v.hint, fn, 2);
  }

  private tweakString(s: string, fn: CallableInfo): string {
    const rng = this.rng;
    const extra = rng.chance(0.5) ? this.string(fn) : rng.pick(CHARS);
    const at = rng.int(0, s.length);
    switch (rng.int(0, 5)) {
      case 0:
        return s.slice(0, at) + extra + s.slice(at);
      case 1:
        return s.length ? s.slice(0, at) + s.slice(at + 1) : extra;
      case 2:
        return s + extra;
      case 3:
        return extra + s;
      case 4:
        return s.toUpperCase() === s ? s.toLowerCase() : s.toUpperCase();
      default:
        return s.repeat(2).slice(0, 200);
    }
  }

  callable(qualname: string): CallableInfo | undefined {
    return this.byQualname.get(qualname);
  }

  /** Methods defined on the class or on its bases in the module. */
  methodsOf(cls: CallableInfo): CallableInfo[] {
    const owners = new Set([cls.qualname, ...(cls.bases ?? [])]);
    return this.module.callables.filter((c) => c.owner !== undefined && owners.has(c.owner) && c.kind === 'method');
  }

  constructionsOf(qualname: string): readonly (readonly GenArg[])[] {
    return this.goodConstructions.get(qualname) ?? [];
  }

  /** Records a value a call returned, so later calls can reuse it. */
  observe(type: string, src: string): void {
    if (src.length > 300) return;
    const list = this.observed.get(type) ?? [];
    if (list.includes(src)) return;
    list.push(src);
    if (list.length > 60) list.splice(this.rng.int(0, list.length - 1), 1);
    this.observed.set(type, list);
  }

  /** Records constructor arguments that built an object. */
  rememberConstruction(cls: string, args: readonly GenArg[]): void {
    const list = this.goodConstructions.get(cls) ?? [];
    if (list.length < 30) list.push(args);
    this.goodConstructions.set(cls, list);
  }

  private observedOf(type?: string): string | undefined {
    const lists = type ? [this.observed.get(type) ?? []] : [...this.observed.values()];
    const all = lists.flat();
    return all.length ? this.rng.pick(all) : undefined;
  }

  source(v: GenValue): string {
    return valueSource(v);
  }
}

export const lit = (src: string): PlanExpr => ({ kind: 'lit', source: src });

export function callExpr(fn: PlanExpr, args: readonly GenArg[]): PlanExpr {
  return {
    kind: 'call',
    callee: fn,
    args: args.filter((a) => !a.keyword).map((a) => a.value.expr),
    keywords: args.filter((a) => a.keyword).map((a) => [a.param.name, a.value.expr] as const),
  };
}

/** Python source of a plan expression; `varName(i)` names the value of step `i`. */
export function renderPlanExpr(e: PlanExpr, varName: (i: number) => string): string {
  switch (e.kind) {
    case 'lit':
      return e.source;
    case 'ref':
      return e.path;
    case 'var':
      return varName(e.index);
    case 'attr':
      return `${renderPlanExpr(e.target, varName)}.${e.name}`;
    case 'list':
      return `list(${renderPlanExpr(e.iterable, varName)})`;
    case 'call': {
      const args = [
        ...e.args.map((a) => renderPlanExpr(a, varName)),
        ...e.keywords.map(([n, a]) => `${n}=${renderPlanExpr(a, varName)}`),
      ];
      return `${renderPlanExpr(e.callee, varName)}(${args.join(', ')})`;
    }
  }
}

/** A list, set, tuple or dict value from its elements (the literal's source rebuilt from theirs). */
export function collectionValue(c: Collection, hint: TypeHint, source: (v: GenValue) => string): GenValue {
  const items = c.items.map(source);
  const src =
    c.kind === 'list'
      ? `[${items.join(', ')}]`
      : c.kind === 'set'
        ? items.length
          ? `{${items.join(', ')}}`
          : 'set()'
        : c.kind === 'tuple'
          ? `(${items.join(', ')}${items.length === 1 ? ',' : ''})`
          : `{${items.map((v, i) => `${source(c.keys![i])}: ${v}`).join(', ')}}`;
  return { expr: lit(src), kind: 'other', hint, collection: c };
}

/** The plainest values of a type (`''`, `0`, `[]`, ...), for the simplifier; empty when there is none. */
export function simplestOf(hint: TypeHint): GenValue[] {
  switch (hint.kind) {
    case 'none':
      return [{ expr: lit('None'), js: null, kind: 'none', hint }];
    case 'builtin':
      if (hint.name === 'str') return [strValue('', hint), strValue('a', hint)];
      if (hint.name === 'int') return [intValue(0, hint), intValue(1, hint)];
      if (hint.name === 'float') return [floatValue(0, hint), floatValue(1, hint)];
      if (hint.name === 'bool')
        return [
          { expr: lit('False'), js: false, kind: 'bool', hint },
          { expr: lit('True'), js: true, kind: 'bool', hint },
        ];
      if (hint.name === 'bytes') return [{ expr: lit("b''"), kind: 'other', hint }];
      return [];
    case 'list':
    case 'set':
    case 'tuple':
      return [collectionValue({ kind: hint.kind, items: [] }, hint, valueSource)];
    case 'dict':
      return [collectionValue({ kind: 'dict', items: [], keys: [] }, hint, valueSource)];
    case 'union':
      return hint.options.flatMap(simplestOf);
    default:
      return [];
  }
}

/** Python source of a generated value. */
export function valueSource(v: GenValue): string {
  return v.expr.kind === 'lit' ? v.expr.source : renderPlanExpr(v.expr, () => 'obj');
}

/** A value made by the helper `fn` from `args` (see `GenValue.wrapped`). */
export function wrappedValue(fn: string, args: readonly GenValue[], hint: TypeHint): GenValue {
  return { expr: lit(`${fn}(${args.map(valueSource).join(', ')})`), kind: 'other', hint, wrapped: { fn, args } };
}

/** Every str value inside a value (constructor arguments and collection elements included), for data flow. */
export function stringsIn(v: GenValue, out: string[] = [], depth = 0): string[] {
  if (depth > 4) return out;
  if (v.kind === 'str' && typeof v.js === 'string' && v.js.length > 0) out.push(v.js);
  for (const a of v.construct?.args ?? []) stringsIn(a.value, out, depth + 1);
  for (const a of v.wrapped?.args ?? []) stringsIn(a, out, depth + 1);
  for (const x of [...(v.collection?.items ?? []), ...(v.collection?.keys ?? [])]) stringsIn(x, out, depth + 1);
  return out;
}

/** A str argument value (re-rooted when it names a place outside the working directory). */
export function strArgValue(s: string, hint: TypeHint): GenValue {
  return strValue(s, hint);
}

function intValue(n: number, hint: TypeHint): GenValue {
  return { expr: lit(pyInt(n)), js: Math.trunc(n), kind: 'int', hint };
}

function floatValue(n: number, hint: TypeHint): GenValue {
  return { expr: lit(pyFloat(n)), js: n, kind: 'float', hint };
}

/**
 * Every generated string goes through here: one that names a place outside the working directory (`/`, `..`,
 * `~/.cfg`, `/tmp/x`) is re-rooted under it (`reRootPath`), whether it came from the module's literals, the
 * character pool, a mutation or the simplifier.
 */
function strValue(s: string, hint: TypeHint): GenValue {
  const safe = reRootPath(s);
  return { expr: lit(pyStr(safe)), js: safe, kind: 'str', hint };
}

const round = (n: number, digits: number): number => Number(n.toFixed(digits));

function defaultHint(src: string): TypeHint | undefined {
  if (/^-?\d+$/.test(src)) return INT;
  if (/^-?\d*\.\d+(e-?\d+)?$|^-?\d+e-?\d+$/.test(src)) return FLOAT;
  if (/^['"]/.test(src)) return STR;
  if (src === 'True' || src === 'False') return BOOL;
  if (/^b['"]/.test(src)) return BYTES;
  if (src.startsWith('[')) return { kind: 'list', item: ANY };
  if (src.startsWith('(')) return { kind: 'tuple', item: ANY };
  if (src.startsWith('{')) return { kind: 'dict', key: STR, value: ANY };
  return undefined;
}

/** A value next to a parameter's default: the other bool, a neighbouring number, an empty or longer string. */
function nearDefault(src: string, rng: RandomSource): GenValue | undefined {
  if (src === 'True' || src === 'False')
    return { expr: lit(src === 'True' ? 'False' : 'True'), js: src !== 'True', kind: 'bool', hint: BOOL };
  if (/^-?\d+$/.test(src)) {
    const n = Number(src);
    return intValue(rng.pick([n - 1, n + 1, 0, 1, -1, n * 2]), INT);
  }
  const s = evalPyStr(src);
  if (s !== undefined) return strValue(rng.pick(['', s + s, ' ', `${s}x`, 'abc']), STR);
  return undefined;
}

/** The text of a simple Python string literal (as written by `repr`), or undefined. */
export function evalPyStr(src: string): string | undefined {
  const m = /^(['"])(.*)\1$/s.exec(src);
  if (!m) return undefined;
  try {
    const body = m[2]
      .replace(/\\x([0-9a-f]{2})/gi, '\\u00$1')
      .replace(/\\'/g, "'")
      .replace(/"/g, '\\"');
    return JSON.parse(`"${body}"`) as string;
  } catch {
    return undefined;
  }
}

/** Attribute types a class declares that the generator makes values for. */
const FIELD_TYPES: Readonly<Record<string, TypeHint>> = { int: INT, float: FLOAT, str: STR, bool: BOOL, bytes: BYTES };
