import type { CallableInfo, HarvestedLiteral, ModuleInterface, ParameterInfo, TypeHint } from '@test-agent/domain';
import {
  FILE_HELPER,
  collectionValue,
  evalPyStr,
  lit,
  valueSource,
  wrappedValue,
  type GenValue,
} from './generated-value';
import { ANY, BINARY_STREAM_TYPE, BYTES, CHARS, FILE_NAMES, PATH_TYPE, STR, STREAM_TYPE, WORDS } from './input-pools';
import type { HarvestedPattern, ObservedPool } from './input-generator';
import type { RandomSource } from './random-source';
import { leavesWorkingDirectory } from './safe-inputs';
import { strValue } from './scalar-values';
import { pyStr } from './python-source';

/** Strings for a callable: from its literals, the patterns it matches, common words and characters; command lines. */
export class TextInputs {
  private modulePatterns?: readonly HarvestedPattern[];

  constructor(
    private readonly module: ModuleInterface,
    private readonly rng: RandomSource,
    private readonly observed: ObservedPool,
  ) {}

  /** Literals harvested from the callable's own body first, then from the module. */
  literals(owner: CallableInfo, kind: HarvestedLiteral['kind']): HarvestedLiteral[] {
    const fromOwn = this.ownLiterals(owner).filter((l) => l.kind === kind);
    if (fromOwn.length > 0 && this.rng.chance(0.7)) return fromOwn;
    return this.module.moduleLiterals.filter((l) => l.kind === kind);
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

  /**
   * Text of the shape line-oriented parsers read (`key: value`, `name=value`, several such lines): keys the code
   * compares with (its word literals), separators it splits or partitions at (its punctuation literals), values
   * that are words, numbers, number pairs joined by another of its separators, or other keys. Made a fifth of the
   * time, and only when its literals have both a key and a separator (no draw of the random source otherwise).
   */
  private keyedText(lits: readonly string[]): string | undefined {
    const parts = keyedParts(lits);
    if (!parts || !this.rng.chance(0.2)) return undefined;
    const line = () => this.keyedLine(parts);
    return this.rng.chance(0.5) ? line() : Array.from({ length: this.rng.int(2, 5) }, line).join('\n');
  }

  /**
   * Lines for a list of str a parser reads one by one (`parse(lines)`), each a `key: value` line as `keyedText`
   * makes them from the callable's own literals: undefined when they have no key and separator (no draw), or
   * (three times in four) when they have.
   */
  keyedLines(owner: CallableInfo, n: number): string[] | undefined {
    const own = this.ownLiterals(owner).filter((l) => l.kind === 'str');
    const parts = keyedParts(own.map((l) => String(l.value ?? '')));
    if (!parts || !this.rng.chance(0.25)) return undefined;
    return Array.from({ length: n }, () => this.keyedLine(parts));
  }

  private keyedLine({ keys, seps }: { keys: readonly string[]; seps: readonly string[] }): string {
    const rng = this.rng;
    const number = () => String(rng.pick([0, 1, 2, 3, 5, 10, 60, -1]));
    const value = (): string => {
      const r = rng.next();
      if (r < 0.3) return rng.pick(SINGLE_WORDS);
      if (r < 0.5) return number();
      if (r < 0.65) return `${number()}${rng.pick(seps).trim() || '/'}${number()}`;
      if (r < 0.8) return rng.pick(keys);
      return rng.pick(['*', '/', '', '/a/b', 'a b']);
    };
    return `${rng.pick(keys)}${rng.pick(seps)}${rng.chance(0.5) ? ' ' : ''}${value()}`;
  }

  private text(lits: readonly string[]): string {
    const rng = this.rng;
    const keyed = this.keyedText(lits);
    if (keyed !== undefined) return keyed;
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

  /**
   * A command line as a list of strings: now and then a program name (always with `program`: `sys.argv`), then
   * options the function's own literals spell (`-t`, `--width`), some followed by a value (a literal such as `html`,
   * or a number), then positional numbers or words (with `program`, also names of files that exist, `_file`).
   */
  commandLine(fn: CallableInfo, program = false): GenValue {
    const rng = this.rng;
    const own = this.ownStrings(fn);
    const options = own.filter((s) => /^--?[A-Za-z][\w-]*$/.test(s));
    const words = own.filter((s) => /^[\w.,:/+-]{1,15}$/.test(s) && !s.startsWith('-'));
    const ints = (this.module.literals[fn.qualname] ?? []).filter((l) => l.kind === 'int').map((l) => Number(l.value));
    const number = () =>
      String(ints.length && rng.chance(0.4) ? rng.pick(ints) : rng.pick([1, 2, 3, 12, 13, 2000, 2024, 0, -1]));
    const items: string[] = [];
    if (program || rng.chance(0.6)) items.push('prog');
    const n = options.length ? rng.pick([0, 1, 1, 2, 2, 3]) : 0;
    for (let i = 0; i < n; i++) {
      items.push(rng.pick(options));
      if (rng.chance(0.65)) items.push(words.length && rng.chance(0.6) ? rng.pick(words) : number());
    }
    const values = items.map((s) => strValue(s, STR));
    const positional = rng.pick([0, 1, 1, 2]);
    for (let i = 0; i < positional; i++) {
      // A script's own command line often names the files it reads: now and then one that exists.
      if (program && rng.chance(0.4)) values.push(this.fileValue(fn));
      else values.push(strValue(words.length && rng.chance(0.2) ? rng.pick(words) : number(), STR));
    }
    const hint: TypeHint = { kind: 'list', item: STR };
    return collectionValue({ kind: 'list', items: values }, hint, valueSource);
  }

  /**
   * A value for an environment variable the function reads: one of its own short str literals (the values it
   * compares the variable with), a flag's spelling, an empty string or a word.
   */
  envValue(fn: CallableInfo): string {
    const rng = this.rng;
    const own = this.ownStrings(fn).filter((s) => s.length <= 40 && !/[\n\0]/.test(s));
    const r = rng.next();
    if (r < 0.4 && own.length) return rng.pick(own);
    if (r < 0.65) return rng.pick(['1', '0', 'true', 'false', 'yes']);
    if (r < 0.75) return '';
    return rng.pick(SINGLE_WORDS);
  }

  /** The str literals of the function's own body (not its class's, not the module's). */
  ownStrings(fn: CallableInfo): string[] {
    return (this.module.literals[fn.qualname] ?? []).filter((l) => l.kind === 'str').map((l) => String(l.value ?? ''));
  }

  /** The literals of the callable's own body and of its class's. */
  private ownLiterals(owner: CallableInfo): HarvestedLiteral[] {
    return [
      ...(this.module.literals[owner.qualname] ?? []),
      ...(owner.owner ? (this.module.literals[owner.owner] ?? []) : []),
    ];
  }

  /**
   * For a parameter the function matches against a regular expression (`m = _RE.match(s)`), when its type
   * allows a str: often (60 %) a string made from those patterns.
   */
  matchedParameterValue(p: ParameterInfo, fn: CallableInfo): GenValue | undefined {
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

  /**
   * A value for a usage hint naming a stream or a file (`typing.TextIO`, `typing.BinaryIO`, `os.PathLike`); now and
   * then undefined, so the plain value gets its turn too.
   */
  ioValue(type: string | undefined, fn: CallableInfo): GenValue | undefined {
    if (type === STREAM_TYPE && this.rng.chance(0.85)) return this.streamValue(fn);
    if (type === BINARY_STREAM_TYPE && this.rng.chance(0.85)) return this.binaryStreamValue(fn);
    if (type === PATH_TYPE) return this.rng.chance(0.75) ? this.fileValue(fn) : strValue(this.string(fn), STR);
    return undefined;
  }

  /**
   * `io.BytesIO(data)`: a readable binary stream over generated text as ASCII bytes, or (mostly, when the module
   * has some) over bytes laid out the way one of its functions unpacks them (`struct.pack('<I', Catalog.MAGIC) +
   * ...`, harvested by the worker beside its bytes literals).
   */
  binaryStreamValue(fn: CallableInfo): GenValue {
    const layouts = this.module.moduleLiterals.filter((l) => l.kind === 'bytes' && l.source.startsWith('struct.pack('));
    const data = layouts.length && this.rng.chance(0.7) ? this.rng.pick(layouts).source : this.asciiBytes(fn);
    return wrappedValue('io.BytesIO', [{ expr: lit(data), kind: 'other', hint: BYTES }], ANY);
  }

  /** A bytes value as `string` makes strings (non-ASCII left out): `builtin('bytes')` draws on it beside literals. */
  asciiBytes(fn: CallableInfo): string {
    return `b${pyStr(this.string(fn).replace(/[^\x00-\x7f]/g, ''))}`;
  }

  /** `_file(name, text)`: a file in the working directory holding generated (ASCII) text; the value is its name. */
  fileValue(fn: CallableInfo): GenValue {
    const text = this.string(fn).replace(/[^\x20-\x7e\n\t]/g, '');
    return wrappedValue(FILE_HELPER, [strValue(this.rng.pick(FILE_NAMES), STR), strValue(text, STR)], STR);
  }
}

/** The common words that are one word (no space): values of `key: value` lines and of environment variables. */
const SINGLE_WORDS = WORDS.filter((w) => !w.includes(' '));

/** The keys (word literals) and separators (punctuation literals) of `key: value` text, or undefined without both. */
function keyedParts(lits: readonly string[]): { keys: string[]; seps: string[] } | undefined {
  const seps = lits.filter((l) => /^ ?[:=;|,/]{1,2} ?$/.test(l));
  const keys = seps.length ? lits.filter((l) => /^[A-Za-z][\w.-]{0,30}$/.test(l)) : [];
  return keys.length ? { keys, seps } : undefined;
}
