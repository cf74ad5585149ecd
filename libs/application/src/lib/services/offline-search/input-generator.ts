import type { CallableInfo, ModuleInterface, ParameterInfo, TypeHint } from '@test-agent/domain';
import {
  callExpr,
  collectionValue,
  lit,
  valueSource,
  type GenArg,
  type GenValue,
  type StateStep,
} from './generated-value';
import { mutateArguments } from './input-mutation';
import {
  ANY,
  BOOL,
  FLOAT,
  FLOAT_BOUNDARIES,
  INT,
  INT_BOUNDARIES,
  LAMBDAS,
  NAME_RULES,
  NONE,
  PATH_PARAM,
  STR,
  defaultHint,
  isArgvParam,
  preferText,
} from './input-pools';
import type { RandomSource } from './random-source';
import { MAX_SIZED_LITERAL } from './emitted-assertions';
import { floatValue, intValue, nearDefault, round, strValue } from './scalar-values';
import { stdlibValue } from './stdlib-inputs';
import { TextInputs } from './text-inputs';
import { extraKeywords, fieldAssignment } from './added-arguments';

/** A regular expression a callable matches text against, with strings the sandbox generated from it. */
export type HarvestedPattern = NonNullable<ModuleInterface['patterns']>[string][number];

/** Values seen as results of earlier calls, as Python source, by type name. */
export type ObservedPool = Map<string, string[]>;

const isStr = (h: TypeHint): boolean => h.kind === 'builtin' && h.name === 'str';

export class InputGenerator {
  private readonly byQualname: Map<string, CallableInfo>;
  private readonly subclasses = new Map<string, CallableInfo[]>();
  private readonly texts: TextInputs;

  constructor(
    readonly module: ModuleInterface,
    private readonly rng: RandomSource,
    private readonly observed: ObservedPool = new Map(),
    /** Constructor arguments known to build an object, per class qualname. */
    private readonly goodConstructions = new Map<string, (readonly GenArg[])[]>(),
  ) {
    this.byQualname = new Map(module.callables.map((c) => [c.qualname, c]));
    this.texts = new TextInputs(module, rng, observed);
    for (const c of module.callables) {
      if (c.kind !== 'class') continue;
      for (const base of c.bases ?? []) {
        const list = this.subclasses.get(base) ?? [];
        list.push(c);
        this.subclasses.set(base, list);
      }
    }
  }

  /** The type for a parameter: its annotation, else its use (a class only when it can be built), default, name. */
  hintFor(param: ParameterInfo, owner: CallableInfo): TypeHint {
    const withNone = (h: TypeHint): TypeHint => (param.defaultIsNone ? { kind: 'union', options: [h, NONE] } : h);
    if (param.type.kind !== 'any') return withNone(param.type);
    const options: TypeHint[] = [];
    const found =
      this.module.paramHints[owner.kind === 'class' ? `${owner.qualname}.__init__` : owner.qualname]?.[param.name] ??
      [];
    for (const u of preferText(found, () => this.rng.chance(0.25))) {
      if (u.kind !== 'class' || this.constructibleClass(u.ref)) options.push(u);
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
          const lines = isStr(concrete) && n > 0 ? this.texts.keyedLines(owner, n + 1) : undefined;
          if (lines) items.push(...lines.map((l) => strValue(l, STR)));
          else for (let i = 0; i < n; i++) items.push(this.value(concrete, owner, depth + 1));
        }
        return collectionValue({ kind: hint.kind, items }, hint, (v) => this.source(v));
      }
      case 'dict':
        return this.dictValue(hint, owner, depth);
      case 'any': {
        if (hint.make && rng.chance(0.85)) return { expr: lit(hint.make), kind: 'other', hint };
        const io = this.texts.ioValue(hint.hint, owner);
        if (io) return io;
        const known = hint.hint ? stdlibValue(this.module, rng, hint.hint, hint) : undefined;
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
        const made = this.value(pickHint, owner, depth + 1);
        // A value of another type than the one named (`re.Match`): an error it trips is no defect of the code.
        return hint.hint ? { ...made, offHint: hint } : made;
      }
    }
  }

  /** A dict: with the keys the function reads when the worker saw it index the parameter with constants. */
  private dictValue(hint: Extract<TypeHint, { kind: 'dict' }>, owner: CallableInfo, depth: number): GenValue {
    const rng = this.rng;
    const keys: GenValue[] = [];
    const items: GenValue[] = [];
    const valueHint = hint.value.kind === 'any' ? INT : hint.value;
    if (hint.key.kind === 'literal' && hint.key.values.length) {
      // The keys the function reads: mostly all of them, now and then one left out.
      const all = hint.key.values;
      const skip = rng.chance(0.3) ? rng.int(0, all.length - 1) : -1;
      all.forEach((k, i) => {
        if (i === skip) return;
        keys.push({ expr: lit(k), kind: 'other', hint: hint.key });
        items.push(this.value(valueHint, owner, depth + 1));
      });
      return collectionValue({ kind: 'dict', items, keys }, hint, (v) => this.source(v));
    }
    const n = depth > 1 ? rng.int(0, 1) : rng.int(0, 3);
    for (let i = 0; i < n; i++) {
      keys.push(this.value(hint.key.kind === 'any' ? STR : hint.key, owner, depth + 1));
      items.push(this.value(valueHint, owner, depth + 1));
    }
    return collectionValue({ kind: 'dict', items, keys }, hint, (v) => this.source(v));
  }

  private builtin(name: string, hint: TypeHint, owner: CallableInfo): GenValue {
    const rng = this.rng;
    switch (name) {
      case 'int': {
        const lits = this.texts.literals(owner, 'int');
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
        const lits = this.texts.literals(owner, 'float');
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
        const lits = this.texts.literals(owner, 'bytes');
        const r = rng.next();
        const src =
          lits.length && r < 0.45
            ? rng.pick(lits).source
            : r < 0.8
              ? this.texts.asciiBytes(owner)
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

  /**
   * A value of a class defined in the module: a known-good construction, a new one, or (a quarter of the time,
   * when the class has some) one built by a public classmethod of the class, its alternative constructors
   * (`Fraction.from_float(0.5)`, `Config.from_string('a=1')`).
   */
  instance(ref: string, owner: CallableInfo, depth: number): GenValue | undefined {
    const hint: TypeHint = { kind: 'class', ref };
    const cls = this.constructibleClass(ref);
    if (!cls || depth > 2) return undefined;
    const makers = this.module.callables.filter(
      (c) => c.kind === 'classmethod' && c.owner === cls.qualname && !c.name.startsWith('_'),
    );
    const maker = makers.length && this.rng.chance(0.25) ? this.rng.pick(makers) : undefined;
    const good = this.goodConstructions.get(cls.qualname);
    const args = maker
      ? this.arguments(maker, depth + 1)
      : good?.length && this.rng.chance(0.7)
        ? this.rng.pick(good)
        : this.arguments(cls, depth + 1);
    const path = (maker ?? cls).qualname;
    return { expr: callExpr({ kind: 'ref', path }, args), kind: 'other', hint, construct: { path, args } };
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
      if (p.kind === 'varkw') {
        if (this.rng.chance(0.3)) out.push(...this.keywordsFor(p, fn, depth));
        continue;
      }
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

  private keywordsFor(p: ParameterInfo, fn: CallableInfo, depth: number): GenArg[] {
    const own = this.texts.ownStrings(fn);
    return extraKeywords(p, fn, own, this.hintFor(p, fn), this.rng, (h) => this.value(h, fn, depth));
  }

  argumentValue(p: ParameterInfo, fn: CallableInfo, depth: number): GenValue {
    const special = this.specialValue(p, fn);
    if (special) return special;
    const matched = this.texts.matchedParameterValue(p, fn);
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
   * Values shaped by what a parameter is for, when its type does not say: a command line for `main(argv)`, a real
   * file (created by the test) for `filename`. Undefined otherwise, or now and then so the plain hint still gets
   * its turn. (A stream comes from usage: `hintFor` says `typing.TextIO` when the function reads from it.)
   */
  specialValue(p: ParameterInfo, fn: CallableInfo): GenValue | undefined {
    const name = p.name.toLowerCase();
    const untyped = p.type.kind === 'any' || (p.type.kind === 'union' && p.type.options.some((o) => o.kind === 'any'));
    if (isArgvParam(p, fn) && (untyped || p.type.kind === 'list') && this.rng.chance(0.8)) return this.commandLine(fn);
    if (!untyped && !(p.type.kind === 'builtin' && p.type.name === 'str')) return undefined;
    if (PATH_PARAM.test(name) && this.rng.chance(0.5)) return this.texts.fileValue(fn);
    return undefined;
  }

  /** An assignment step `obj.<field> = value` for a constructible class's public attribute, or undefined. */
  assignment(cls: CallableInfo): StateStep | undefined {
    return fieldAssignment(cls, this.rng, (h) => this.value(h, cls));
  }

  /** Changes one thing in an argument list: a value nudged or regenerated, an optional argument added or dropped. */
  mutate(fn: CallableInfo, args: readonly GenArg[]): GenArg[] {
    return mutateArguments(this, this.rng, fn, args);
  }

  /** See `TextInputs.string`. */
  string(owner: CallableInfo): string {
    return this.texts.string(owner);
  }

  /** See `TextInputs.envValue`. */
  envValue(fn: CallableInfo): string {
    return this.texts.envValue(fn);
  }

  /** See `TextInputs.commandLine` (`program`: always with a program name first, as `sys.argv`). */
  commandLine(fn: CallableInfo, program = false): GenValue {
    return this.texts.commandLine(fn, program);
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

  /**
   * Records a value a call returned, so later calls can reuse it: only one whose source fits a readable literal
   * (`MAX_SIZED_LITERAL`), since the simplifier cannot shrink a reused value it did not build.
   */
  observe(type: string, src: string): void {
    if (src.length > MAX_SIZED_LITERAL) return;
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
