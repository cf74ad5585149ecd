import {
  CoverageReport,
  silentLogger,
  type Branch,
  type CallPlan,
  type CallResult,
  type CallableInfo,
  type Logger,
  type ModuleInterface,
  type PlanExpr,
  type SandboxSession,
} from '@test-agent/domain';
import {
  InputGenerator,
  callExpr,
  settableFields,
  strArgValue,
  stringsIn,
  type Candidate,
  type GenArg,
  type GenValue,
  type Receiver,
  type StateStep,
} from './input-generator';
import { RandomSource } from './random-source';
import { safePlan } from './safe-inputs';
import { isPrivateCallable } from './test-namer';

export interface SearchOptions {
  /** Wall-clock budget of the search, in milliseconds. */
  readonly timeBudgetMs: number;
  /** Stop when no plan reached new coverage for this long, in ms (default: max(4 s, 35 % of the budget)). */
  readonly plateauMs?: number;
  /** Limit per plan in the sandbox, in ms (default 1000). */
  readonly callTimeoutMs?: number;
  /** Plans per sandbox round trip (default 64). */
  readonly batchSize?: number;
  readonly seed?: number;
  /** Clock in milliseconds (injected for tests). */
  readonly now?: () => number;
  /** Lines to aim at first (changed-code mode: the changed lines): their statements and branches weigh more. */
  readonly focusLines?: readonly number[];
  /** What other tests (the project's own suite) already cover: not aimed at, and no reason to keep a test. */
  readonly coveredBefore?: { readonly lines: readonly number[]; readonly branches: readonly Branch[] };
}

/** How much more a missing statement or branch on a focus line weighs than another. */
const FOCUS_WEIGHT = 4;
/** How long the search goes on without progress once everything is reached, but not all by tests of its own. */
const COMPLETE_PLATEAU_MS = 2000;
/** How much less a private callable is tried than a public one with the same gap. */
const PRIVATE_WEIGHT = 0.4;

/** A plan that reached coverage no earlier plan reached, with what it did. */
export interface ArchivedTest {
  readonly plan: CallPlan;
  readonly result: CallResult;
  /** The candidate the plan came from; absent for doctest plans. */
  readonly candidate?: Candidate;
  /** Qualname whose doctests the plan runs. */
  readonly doctest?: string;
}

/** Calls of one callable refused because they tried to act outside the sandbox (see `CallResult.outsideEffects`). */
export interface OutsideEffectSummary {
  /** How many executed calls were refused. */
  readonly calls: number;
  /** Distinct attempts as the sandbox described them (`delete /data/a`, `connect 127.0.0.1:8080`), at most 3. */
  readonly examples: readonly string[];
}

/** Qualname of the callable (for doctests: of the documented object, '' for the module) → its refused calls. */
export type OutsideEffects = Readonly<Record<string, OutsideEffectSummary>>;

const MAX_EFFECT_EXAMPLES = 3;

/** Counts one refused call of `qualname` into `into` (mutable form of `OutsideEffects`). */
export function countOutsideEffects(
  into: Record<string, OutsideEffectSummary>,
  qualname: string,
  effects: readonly string[],
): void {
  const known = into[qualname] ?? { calls: 0, examples: [] };
  const examples = [...known.examples];
  for (const e of effects) if (examples.length < MAX_EFFECT_EXAMPLES && !examples.includes(e)) examples.push(e);
  into[qualname] = { calls: known.calls + 1, examples };
}

export interface SearchOutcome {
  readonly tests: ArchivedTest[];
  /**
   * Callables some of whose calls were refused because they tried to act outside the sandbox (write, delete,
   * network, processes): those calls are not tested offline. Empty when there were none.
   */
  readonly outsideEffects: OutsideEffects;
  /** What importing the module tried to do outside the sandbox (blocked), from `ModuleInterface.importEffects`. */
  readonly importEffects: readonly string[];
  /** The sandbox's measure of what the archive covers (import included). */
  readonly coverage: CoverageReport;
  readonly executions: number;
  readonly stoppedBy: 'budget' | 'plateau' | 'complete';
  readonly elapsedMs: number;
  /**
   * Calls on well-typed input that ended in an error the module's own code raised without meaning to
   * (`ZeroDivisionError`, `UnboundLocalError`, ...): one per callable, exception type and line, never a test of
   * the suite (see `raisedKind`).
   */
  readonly suspectedDefects: readonly ArchivedTest[];
  /** Calls that ended in a `TypeError`/`AttributeError` the interpreter raised on a value: never a test. */
  readonly misuses: number;
}

const DUNDER_CALLS: Record<string, (obj: PlanExpr, args: GenArg[]) => PlanExpr> = {
  __len__: (obj) => ({ kind: 'call', callee: { kind: 'lit', source: 'len' }, args: [obj], keywords: [] }),
  __str__: (obj) => ({ kind: 'call', callee: { kind: 'lit', source: 'str' }, args: [obj], keywords: [] }),
  __repr__: (obj) => ({ kind: 'call', callee: { kind: 'lit', source: 'repr' }, args: [obj], keywords: [] }),
  __iter__: (obj) => ({ kind: 'list', iterable: obj }),
  __next__: (obj) => ({ kind: 'list', iterable: obj }),
  __call__: (obj, args) => callExpr(obj, args),
};

/**
 * Turns a candidate into the sandbox's call plan. Every plan goes through here, and the emitted test is written
 * from the plan: its literals are made safe here once more (`safePlan`: no string naming a place outside the
 * working directory, whatever built the value), so what runs in the sandbox is what the test will run.
 */
export function toPlan(c: Candidate): CallPlan {
  return safePlan(planOf(c));
}

function planOf(c: Candidate): CallPlan {
  const t = c.target;
  if (t.kind === 'class') return { steps: [callExpr({ kind: 'ref', path: t.qualname }, c.args)], receiver: 0 };
  if (t.kind === 'function' || t.kind === 'staticmethod' || t.kind === 'classmethod') {
    return { steps: [callExpr({ kind: 'ref', path: t.qualname }, c.args)] };
  }
  const steps: PlanExpr[] = [receiverExpr(c.receiver!)];
  const self: PlanExpr = { kind: 'var', index: 0 };
  for (const p of c.prefix)
    steps.push(
      p.assign
        ? assignExpr(self, p.method.name, p.args[0].value.expr)
        : callExpr({ kind: 'attr', target: self, name: p.method.name }, p.args),
    );
  if (t.kind === 'property') steps.push({ kind: 'attr', target: self, name: t.name });
  else if (DUNDER_CALLS[t.name]) steps.push(DUNDER_CALLS[t.name](self, [...c.args]));
  else steps.push(callExpr({ kind: 'attr', target: self, name: t.name }, c.args));
  return { steps, receiver: 0 };
}

/** `setattr(obj, 'name', value)`: the plan form of `obj.name = value` (the emitter writes the assignment). */
export function assignExpr(obj: PlanExpr, name: string, value: PlanExpr): PlanExpr {
  return {
    kind: 'call',
    callee: { kind: 'lit', source: 'setattr' },
    args: [obj, { kind: 'lit', source: `'${name}'` }, value],
    keywords: [],
  };
}

export function receiverExpr(r: Receiver): PlanExpr {
  return r.kind === 'member' ? { kind: 'ref', path: r.path } : callExpr({ kind: 'ref', path: r.cls.qualname }, r.args);
}

const branchKey = (b: Branch) => `${b[0]}>${b[1]}`;

/**
 * A result a test can be made of: the call ended (returned or raised), left no file behind, did not try to act
 * outside the sandbox, did not hit the sandbox's memory limit, and has something to assert: a raised exception's type always; a returned value only
 * when it does not show a value of the machine (`machineDependent` results report none).
 */
export function safeOutcome(result: CallResult): boolean {
  if (result.status !== 'ok' && result.status !== 'raised') return false;
  if (result.sideEffects?.length || result.outsideEffects?.length) return false;
  // A MemoryError came from the sandbox's memory limit: without it (plain pytest) the call would take the memory.
  if (result.status === 'raised' && result.exception?.type === 'MemoryError') return false;
  return !(result.status === 'ok' && result.machineDependent);
}

/** Exceptions Python raises by itself when a value has the wrong type or shape. */
const RUNTIME_ERRORS = new Set([
  'TypeError',
  'AttributeError',
  'KeyError',
  'IndexError',
  'ZeroDivisionError',
  'UnboundLocalError',
  'NameError',
  'RecursionError',
  'OverflowError',
]);

/**
 * The call ended in an exception the module did not raise on purpose: a nonsense argument tripping the
 * interpreter (`'float' object has no attribute 'append'`) rather than one of the module's own `raise`
 * statements. Such tests are kept only when nothing meaningful reaches the same lines. The worker says so
 * (`explicit`: the innermost frame is a `raise`/`assert` of the module); without it, a heuristic on the type.
 */
export function incidental(result: CallResult): boolean {
  if (result.status !== 'raised' || !result.exception) return false;
  const ex = result.exception as CallResult['exception'] & { readonly explicit?: boolean };
  if (ex.explicit !== undefined) return !ex.explicit;
  if (ex.path) return false;
  return !ex.inModule || RUNTIME_ERRORS.has(ex.type);
}

/** How a call that raised is treated (see `raisedKind`). */
export type RaisedKind = 'deliberate' | 'incidental' | 'misuse' | 'defect';

/** Errors the interpreter raises on a value of the wrong type: a nonsense argument, not behaviour to pin. */
const MISUSE_ERRORS = new Set(['TypeError', 'AttributeError']);
/** Errors that, raised by the module's own code on well-typed input, point at a defect rather than a misuse. */
const DEFECT_ERRORS = new Set(['UnboundLocalError', 'NameError', 'ZeroDivisionError', 'IndexError', 'RecursionError']);

/**
 * What a raised exception says about the call: `deliberate`, one of the module's own `raise`/`assert` statements
 * or exception types (pinned with `pytest.raises`); `misuse`, a `TypeError`/`AttributeError` the interpreter raised
 * on a value no caller would pass (never emitted); `defect`, an error such as `ZeroDivisionError`,
 * `UnboundLocalError` or `'NoneType' object has no attribute` raised by the module's own line on input that matches
 * every parameter's known type (reported, not pinned); `incidental`, any
 * other error the module did not raise on purpose (kept only for lines nothing meaningful reaches). Undefined when
 * the call did not raise.
 */
export function raisedKind(result: CallResult, candidate?: Candidate): RaisedKind | undefined {
  if (result.status !== 'raised' || !result.exception) return undefined;
  if (!incidental(result)) return 'deliberate';
  const ex = result.exception;
  if (ex.module !== 'builtins') return 'incidental';
  const typed = candidate !== undefined && wellTyped(candidate);
  // On well-typed input, the interpreter's TypeError/AttributeError on the module's own line is a defect (`None.x`).
  if (MISUSE_ERRORS.has(ex.type)) return typed && typeof ex.line === 'number' ? 'defect' : 'misuse';
  if (DEFECT_ERRORS.has(ex.type) && typeof ex.line === 'number' && typed) return 'defect';
  return 'incidental';
}

/**
 * Every argument of the candidate (receiver and earlier steps included) was made for its parameter's known type:
 * none deliberately off its hint, none for a parameter of unknown type.
 */
export function wellTyped(c: Candidate): boolean {
  const ok = (v: GenValue): boolean =>
    !v.offHint && v.hint.kind !== 'any' && (!v.construct || v.construct.args.every((a) => ok(a.value)));
  // An attribute set to a value for a type only guessed is no well-typed state.
  if (c.prefix.some((p) => p.assign && !p.declared)) return false;
  const args = [
    ...c.args,
    ...c.prefix.flatMap((p) => p.args),
    ...(c.receiver?.kind === 'construct' ? c.receiver.args : []),
  ];
  return args.every((a) => ok(a.value));
}

/**
 * One suspected defect per exception type and line of the module that raised it (the same line failing from
 * several callers is one defect): the shortest plan that shows it.
 */
export function distinctDefects(found: readonly ArchivedTest[]): ArchivedTest[] {
  const byKey = new Map<string, ArchivedTest>();
  for (const t of found) {
    const ex = t.result.exception;
    const key = `${ex?.type}|${ex?.line}`;
    const known = byKey.get(key);
    if (!known || JSON.stringify(t.plan).length < JSON.stringify(known.plan).length) byKey.set(key, t);
  }
  return [...byKey.values()];
}

/** Type name of a Python literal's source (for the pool of observed values). */
function typeOfSource(src: string): string {
  if (/^['"]/.test(src)) return 'str';
  if (src.startsWith('[')) return 'list';
  if (src.startsWith('(')) return 'tuple';
  if (src.startsWith('{')) return 'dict';
  if (/^-?\d+$/.test(src)) return 'int';
  if (/^-?[\d.]+(e-?\d+)?$/.test(src)) return 'float';
  return 'other';
}

interface Target {
  readonly fn: CallableInfo;
  readonly lines: readonly number[];
  readonly branches: readonly string[];
  readonly archived: Candidate[];
  tries: number;
  /** Calls refused for acting outside the sandbox. */
  refused: number;
  /** Calls that hung past their limit or killed the sandbox: each costs a restart, so such a callable yields. */
  crashes: number;
}

/**
 * Search-based test generation: random and mutated call plans for every callable of the module, run in the
 * sandbox; a plan is archived only when it reaches a line or branch no archived plan reached. Callables with
 * more uncovered code in their span are tried more often. Stops at the time budget, on a plateau, or at full
 * coverage.
 */
export class OfflineSearchEngine {
  constructor(private readonly logger: Logger = silentLogger) {}

  async search(session: SandboxSession, file: string, options: SearchOptions): Promise<SearchOutcome> {
    const now = options.now ?? (() => Date.now());
    const started = now();
    const deadline = started + options.timeBudgetMs;
    const plateauMs = options.plateauMs ?? Math.max(4000, options.timeBudgetMs * 0.35);
    const batchSize = options.batchSize ?? 64;
    const callTimeoutMs = options.callTimeoutMs ?? 1000;
    const module = session.module;
    const rng = new RandomSource(options.seed ?? 1);
    const gen = new InputGenerator(module, rng);

    const coveredLines = new Set([...module.baseline.lines, ...(options.coveredBefore?.lines ?? [])]);
    const coveredBranches = new Set(
      [...module.baseline.branches, ...(options.coveredBefore?.branches ?? [])].map(branchKey),
    );
    const focus = new Set(options.focusLines ?? []);
    // What tests with a meaningful outcome reach (incidental exceptions left out; see `incidental`).
    const meantLines = new Set(coveredLines);
    const meantBranches = new Set(coveredBranches);
    const totalItems = module.shape.statements.length + module.shape.branches.length;
    const targets = this.targets(module, gen);
    const tests: ArchivedTest[] = [];
    let executions = 0;
    let lastGain = now();
    let stoppedBy: SearchOutcome['stoppedBy'] = 'budget';
    const outsideEffects: Record<string, OutsideEffectSummary> = {};
    const defects: ArchivedTest[] = [];
    let misuses = 0;

    const absorb = (
      plans: readonly { plan: CallPlan; candidate?: Candidate; doctest?: string }[],
      results: readonly CallResult[],
    ) => {
      results.forEach((result, i) => {
        executions++;
        const { plan, candidate, doctest } = plans[i];
        if (result.outsideEffects?.length)
          this.refuse(outsideEffects, targets, candidate?.target.qualname ?? doctest ?? '', result.outsideEffects);
        if (result.status === 'crashed' && candidate) {
          const target = targets.get(candidate.target.qualname);
          if (target) target.crashes++;
        }
        if (!this.usable(result, doctest)) return;
        if (candidate) this.learn(gen, candidate, result);
        const kind = raisedKind(result, candidate);
        if (kind === 'misuse') {
          misuses++;
          return;
        }
        if (kind === 'defect') {
          defects.push({ plan, result, candidate });
          return;
        }
        // The module's own doctest examples are its author's tests: the search still looks for tests of its own
        // for what they reach (they are kept for what no such test reaches).
        const meaningful = kind !== 'incidental' && doctest === undefined;
        // A meaningful test is kept when it reaches something no meaningful test reached, even if an
        // incidental one did: the minimiser then prefers it.
        const lines = meaningful ? meantLines : coveredLines;
        const branches = meaningful ? meantBranches : coveredBranches;
        let gained = false;
        let gainedAny = false;
        for (const l of result.lines) if (!lines.has(l)) gained = true;
        for (const b of result.branches) if (!branches.has(branchKey(b))) gained = true;
        if (!gained) return;
        for (const l of result.lines) if (!coveredLines.has(l)) gainedAny = true;
        for (const b of result.branches) if (!coveredBranches.has(branchKey(b))) gainedAny = true;
        for (const l of result.lines) coveredLines.add(l);
        for (const b of result.branches) coveredBranches.add(branchKey(b));
        if (meaningful) {
          for (const l of result.lines) meantLines.add(l);
          for (const b of result.branches) meantBranches.add(branchKey(b));
        }
        tests.push({ plan, result, candidate, doctest });
        if (candidate) targets.get(candidate.target.qualname)?.archived.push(candidate);
        // A meaningful test for what only an incidental exception or a doctest reached is progress too.
        if (gainedAny || meaningful) lastGain = now();
      });
    };

    // Seeds: doctests, then each callable with minimal arguments.
    const seeds: { plan: CallPlan; candidate?: Candidate; doctest?: string }[] = module.doctests.map((d) => ({
      plan: { doctest: d.qualname },
      doctest: d.qualname,
    }));
    for (const t of targets.values()) {
      for (let i = 0; i < 3; i++) {
        const c = this.fresh(t, gen, rng, i === 0 ? 0 : 0.3);
        if (c) seeds.push({ plan: toPlan(c), candidate: c });
      }
    }
    for (let i = 0; i < seeds.length && now() < deadline; i += batchSize) {
      const chunk = seeds.slice(i, i + batchSize);
      absorb(
        chunk,
        await session.execute(
          chunk.map((s) => s.plan),
          { timeoutMs: callTimeoutMs, deadline: Date.now() + (deadline - now()) },
        ),
      );
    }

    const list = [...targets.values()];
    while (now() < deadline) {
      if (meantLines.size + meantBranches.size >= totalItems) {
        stoppedBy = 'complete';
        break;
      }
      // Everything is reached, some of it only by doctests or incidental exceptions: a short while longer for tests
      // of its own, then stop.
      const reachedAll = coveredLines.size + coveredBranches.size >= totalItems;
      if (now() - lastGain > (reachedAll ? Math.min(plateauMs, COMPLETE_PLATEAU_MS) : plateauMs)) {
        if (reachedAll) {
          stoppedBy = 'complete';
          break;
        }
        stoppedBy = 'plateau';
        break;
      }
      const weights = list.map((t) =>
        this.weight(t, { lines: coveredLines, branches: coveredBranches, meantLines, meantBranches, focus }),
      );
      const batch: { plan: CallPlan; candidate: Candidate }[] = [];
      for (let n = 0; n < batchSize * 3 && batch.length < batchSize; n++) {
        const idx = rng.weighted(weights);
        if (idx < 0) break;
        const t = list[idx];
        t.tries++;
        const c =
          t.archived.length && rng.chance(0.45)
            ? this.mutant(rng.pick(t.archived), gen, rng)
            : this.fresh(t, gen, rng, 0.3);
        if (c) batch.push({ plan: toPlan(c), candidate: c });
      }
      if (batch.length === 0) {
        stoppedBy = 'complete';
        break;
      }
      absorb(
        batch,
        await session.execute(
          batch.map((b) => b.plan),
          { timeoutMs: callTimeoutMs, deadline: Date.now() + (deadline - now()) },
        ),
      );
    }

    const coverage = CoverageReport.fromData(file, {
      executedLines: [...coveredLines],
      missingLines: module.shape.statements.filter((l) => !coveredLines.has(l)),
      executedBranches: module.shape.branches.filter((b) => coveredBranches.has(branchKey(b))),
      missingBranches: module.shape.branches.filter((b) => !coveredBranches.has(branchKey(b))),
    });
    const elapsedMs = now() - started;
    this.logger.debug('Offline search finished', {
      executions,
      archived: tests.length,
      stoppedBy,
      elapsedMs,
      combined: coverage.combinedPercent,
    });
    return {
      tests,
      coverage,
      executions,
      stoppedBy,
      elapsedMs,
      outsideEffects,
      importEffects: module.importEffects ?? [],
      suspectedDefects: distinctDefects(defects),
      misuses,
    };
  }

  /** A call of `qualname` acted outside the sandbox: counted for the report, and its callable tried less. */
  private refuse(
    into: Record<string, OutsideEffectSummary>,
    targets: ReadonlyMap<string, Target>,
    qualname: string,
    effects: readonly string[],
  ): void {
    countOutsideEffects(into, qualname, effects);
    const target = targets.get(qualname);
    if (target) target.refused++;
  }

  private usable(result: CallResult, doctest?: string): boolean {
    if (!safeOutcome(result)) return false;
    if (doctest !== undefined)
      return result.doctest !== undefined && result.doctest.attempted > 0 && result.doctest.failed === 0;
    return true;
  }

  /** Remembers what built objects and what calls returned, for later inputs. */
  private learn(gen: InputGenerator, c: Candidate, result: CallResult): void {
    const builtReceiver = result.status === 'ok' || (result.step !== undefined && result.step > 0);
    if (c.receiver?.kind === 'construct' && builtReceiver)
      gen.rememberConstruction(c.receiver.cls.qualname, c.receiver.args);
    if (c.target.kind === 'class' && result.status === 'ok') gen.rememberConstruction(c.target.qualname, c.args);
    if (result.status === 'ok' && result.value) {
      if (result.value.expr) gen.observe(typeOfSource(result.value.expr), result.value.expr);
      for (const p of result.value.parts ?? []) gen.observe(typeOfSource(p), p);
    }
  }

  private targets(module: ModuleInterface, gen: InputGenerator): Map<string, Target> {
    const out = new Map<string, Target>();
    const byName = new Map(module.callables.map((c) => [c.qualname, c]));
    const statements = new Set(module.shape.statements);
    for (const fn of module.callables) {
      if (fn.isAsync) continue;
      if (fn.kind === 'class' && (!fn.constructible || fn.isEnum)) continue;
      if (fn.kind === 'method' || fn.kind === 'property') {
        const owner = byName.get(fn.owner ?? '');
        if (!owner) continue;
        if (!owner.isEnum && !gen.constructibleClass(owner.qualname)) continue;
        if (owner.isEnum && !owner.members?.length) continue;
      }
      const [from, to] = fn.span ?? [0, -1];
      // A class's own span is what its methods do not cover (class body, constructor).
      const inner =
        fn.kind === 'class'
          ? module.callables.filter((m) => m.owner === fn.qualname && m.span).map((m) => m.span!)
          : [];
      const inSpan = (l: number) => l >= from && l <= to && !inner.some(([a, b]) => l >= a && l <= b);
      out.set(fn.qualname, {
        fn,
        lines: [...statements].filter(inSpan),
        branches: module.shape.branches.filter((b) => inSpan(b[0])).map(branchKey),
        archived: [],
        tries: 0,
        refused: 0,
        crashes: 0,
      });
    }
    return out;
  }

  private weight(
    t: Target,
    reached: {
      lines: ReadonlySet<number>;
      branches: ReadonlySet<string>;
      meantLines: ReadonlySet<number>;
      meantBranches: ReadonlySet<string>;
      focus: ReadonlySet<number>;
    },
  ): number {
    const { lines, branches, meantLines, meantBranches, focus } = reached;
    const scale = (line: number) => (focus.has(line) ? FOCUS_WEIGHT : 1);
    let missing = 0;
    // Code reached only by an incidental exception counts half: a meaningful test for it is still wanted.
    for (const l of t.lines) missing += scale(l) * (!lines.has(l) ? 1 : meantLines.has(l) ? 0 : 0.5);
    for (const b of t.branches)
      missing += scale(Number(b.slice(0, b.indexOf('>')))) * (!branches.has(b) ? 1 : meantBranches.has(b) ? 0 : 0.5);
    // Public API first: a private callable is tried less (what it does is mostly reached through public calls).
    const base = (missing > 0 ? 1 + 2 * Math.sqrt(missing) : 0.15) * (isPrivateCallable(t.fn) ? PRIVATE_WEIGHT : 1);
    // Spread effort: a callable tried very often without progress slowly loses priority; one whose calls keep
    // acting outside the sandbox (never a test) quickly.
    return base / (1 + t.tries / 2000) / (1 + t.refused / 10) / (1 + 4 * t.crashes);
  }

  private fresh(t: Target, gen: InputGenerator, rng: RandomSource, optionalRate: number): Candidate | undefined {
    const fn = t.fn;
    if (fn.kind === 'class' || fn.kind === 'function' || fn.kind === 'staticmethod' || fn.kind === 'classmethod') {
      return { target: fn, prefix: [], args: gen.arguments(fn, 0, optionalRate) };
    }
    const receiver = this.receiver(fn, gen, rng);
    if (!receiver) return undefined;
    const prefix: StateStep[] = [];
    if (receiver.kind === 'construct' && rng.chance(0.3)) {
      // State first: calls to other methods, or public attributes set (`lexer.debug = 2`).
      const methods = gen.methodsOf(receiver.cls).filter((m) => m.kind === 'method' && !m.name.startsWith('__'));
      const n = rng.int(1, 2);
      for (let i = 0; i < n; i++) {
        // (No draw for a class without such attributes: its search stays as it was.)
        const assignment =
          settableFields(receiver.cls).length && rng.chance(0.4) ? gen.assignment(receiver.cls) : undefined;
        if (assignment) prefix.push(assignment);
        else if (methods.length) {
          const m = rng.pick(methods);
          prefix.push({ method: m, args: gen.arguments(m, 0, optionalRate) });
        }
      }
    }
    const args = fn.kind === 'property' ? [] : gen.arguments(fn, 0, optionalRate);
    return { target: fn, receiver, prefix, args: this.flow(receiver, prefix, args, rng) };
  }

  /**
   * Data flow between the steps of a plan: a str argument of the call under test now and then takes a string
   * the receiver or an earlier call was given (`cart.add(Product('a', ...))` then `cart.remove('a')`).
   */
  private flow(
    receiver: Receiver,
    prefix: readonly StateStep[],
    args: readonly GenArg[],
    rng: RandomSource,
  ): readonly GenArg[] {
    const pool: string[] = [];
    if (receiver.kind === 'construct') for (const a of receiver.args) stringsIn(a.value, pool);
    for (const p of prefix) for (const a of p.args) stringsIn(a.value, pool);
    if (pool.length === 0) return args;
    return args.map((a) =>
      a.value.kind === 'str' && rng.chance(0.4) ? { ...a, value: strArgValue(rng.pick(pool), a.value.hint) } : a,
    );
  }

  private receiver(fn: CallableInfo, gen: InputGenerator, rng: RandomSource): Receiver | undefined {
    const owner = gen.callable(fn.owner ?? '');
    if (!owner) return undefined;
    if (owner.isEnum)
      return owner.members?.length
        ? { kind: 'member', path: `${owner.qualname}.${rng.pick(owner.members)}` }
        : undefined;
    const cls = gen.constructibleClass(owner.qualname);
    if (!cls) return undefined;
    const good = gen.constructionsOf(cls.qualname);
    return { kind: 'construct', cls, args: good.length && rng.chance(0.7) ? rng.pick(good) : gen.arguments(cls) };
  }

  private mutant(c: Candidate, gen: InputGenerator, rng: RandomSource): Candidate {
    const r = rng.next();
    if (r < 0.2 && c.receiver?.kind === 'construct') {
      return { ...c, receiver: { ...c.receiver, args: gen.mutate(c.receiver.cls, c.receiver.args) } };
    }
    if (r < 0.3 && c.prefix.length) {
      const i = rng.int(0, c.prefix.length - 1);
      const prefix = [...c.prefix];
      if (rng.chance(0.5)) prefix.splice(i, 1);
      else prefix[i] = { ...prefix[i], args: gen.mutate(prefix[i].method, prefix[i].args) };
      return { ...c, prefix };
    }
    return { ...c, args: c.target.kind === 'property' ? [] : gen.mutate(c.target, c.args) };
  }
}

/**
 * The fewest archived tests that keep the archive's coverage: greedy set cover (largest gain first), ties broken
 * by shorter plans. Returned in archive order.
 */
export function minimiseArchive(tests: readonly ArchivedTest[]): ArchivedTest[] {
  const throughPrivate = (t: ArchivedTest) =>
    Boolean(
      t.candidate &&
      (isPrivateCallable(t.candidate.target) ||
        (t.candidate.receiver?.kind === 'construct' && isPrivateCallable(t.candidate.receiver.cls))),
    );
  const keyOf = (t: ArchivedTest) => [
    ...t.result.lines.map((l) => `L${l}`),
    ...t.result.branches.map((b) => `B${branchKey(b)}`),
  ];
  const keys = tests.map(keyOf);
  const size = (t: ArchivedTest) => JSON.stringify(t.plan).length;
  const covered = new Set<string>();
  const chosen = new Set<number>();
  // Meaningful outcomes through the public API first, then through private names for what no public call
  // reaches; a test ending in an incidental exception, or running doctest examples, only for what nothing else reaches.
  // The module's own doctest examples come last, with the incidental ones: they are its author's tests, not ours.
  const ours = (t: ArchivedTest) => !incidental(t.result) && t.doctest === undefined;
  const tiers: ((t: ArchivedTest) => boolean)[] = [(t) => ours(t) && !throughPrivate(t), ours, () => true];
  for (const allowed of tiers) {
    for (;;) {
      let best = -1;
      let bestGain = 0;
      keys.forEach((k, i) => {
        if (chosen.has(i) || !allowed(tests[i])) return;
        const gain = k.filter((x) => !covered.has(x)).length;
        if (gain > bestGain || (gain === bestGain && gain > 0 && best >= 0 && size(tests[i]) < size(tests[best]))) {
          best = i;
          bestGain = gain;
        }
      });
      if (best < 0 || bestGain === 0) break;
      chosen.add(best);
      for (const x of keys[best]) covered.add(x);
    }
  }
  return tests.filter((_, i) => chosen.has(i));
}
