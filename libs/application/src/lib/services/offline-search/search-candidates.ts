import type { CallableInfo } from '@test-agent/domain';
import {
  settableFields,
  stringsIn,
  type Candidate,
  type GenArg,
  type Receiver,
  type StateStep,
} from './generated-value';
import type { InputGenerator } from './input-generator';
import type { RandomSource } from './random-source';
import { strArgValue } from './scalar-values';
import type { Target } from './search-targets';

/** A new candidate for the target: fresh arguments, and for a method a receiver, now and then with state set first. */
export function freshCandidate(
  t: Target,
  gen: InputGenerator,
  rng: RandomSource,
  optionalRate: number,
): Candidate | undefined {
  const fn = t.fn;
  if (fn.kind === 'class' || fn.kind === 'function' || fn.kind === 'staticmethod' || fn.kind === 'classmethod') {
    return outsideInputs({ target: fn, prefix: [], args: gen.arguments(fn, 0, optionalRate) }, gen, rng);
  }
  const receiver = receiverFor(fn, gen, rng);
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
  return outsideInputs({ target: fn, receiver, prefix, args: flow(receiver, prefix, args, rng) }, gen, rng);
}

/** The qualnames whose reads a call makes (`false`, `undefined`: no such caller). */
type CallerSet = ReadonlySet<string | false | undefined>;

/** What the call reads besides its arguments: the command line (`sys.argv`), optional imports, the environment. */
function outsideInputs(c: Candidate, gen: InputGenerator, rng: RandomSource): Candidate {
  // The call reads what its callable, its class or the receiver's class reads (or calls what does).
  const callers = new Set([
    c.target.qualname,
    c.target.owner,
    c.receiver?.kind === 'construct' && c.receiver.cls.qualname,
  ]);
  return withEnvironment(
    withoutOptionalImports(withCommandLine(c, callers, gen, rng), callers, gen, rng),
    callers,
    gen,
    rng,
  );
}

/**
 * A call that reads environment variables (or calls what does) runs with every one of them given: half the time all
 * removed, else each (with even odds) set to a value of its own or removed. The machine's own environment never
 * decides what the test sees. (No draw for a call that reads none.)
 */
function withEnvironment(c: Candidate, callers: CallerSet, gen: InputGenerator, rng: RandomSource): Candidate {
  const read = (gen.module.envReaders ?? []).filter((r) => r.users.some((u) => callers.has(u)));
  if (read.length === 0) return c;
  const none = rng.chance(0.5);
  const env = read.map(({ name }) => ({ name, value: none || rng.chance(0.5) ? null : gen.envValue(c.target) }));
  return { ...c, env };
}

/**
 * A call that reads `sys.argv` (or calls what does) mostly gets a command line of its own, made like an `argv`
 * parameter's (the options its code compares with, words, numbers), the program name first. (No draw for others.)
 */
function withCommandLine(c: Candidate, callers: CallerSet, gen: InputGenerator, rng: RandomSource): Candidate {
  if (!(gen.module.argvReaders ?? []).some((r) => callers.has(r)) || !rng.chance(0.8)) return c;
  return { ...c, argv: gen.commandLine(c.target, true) };
}

/**
 * Now and then, the candidate runs as if some optional imports the call may depend on had failed (each with even
 * odds): the module's own fallback code then runs. (No draw for a call that depends on none.)
 */
function withoutOptionalImports(c: Candidate, callers: CallerSet, gen: InputGenerator, rng: RandomSource): Candidate {
  const optional = (gen.module.optionalImports ?? []).filter((o) => o.users.some((u) => callers.has(u)));
  if (optional.length === 0) return c;
  const patches = optional.filter(() => rng.chance(0.5)).map(({ name, source }) => ({ name, source }));
  return patches.length ? { ...c, patches } : c;
}

/**
 * Data flow between the steps of a plan: a str argument of the call under test now and then takes a string
 * the receiver or an earlier call was given (`cart.add(Product('a', ...))` then `cart.remove('a')`).
 */
function flow(
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

function receiverFor(fn: CallableInfo, gen: InputGenerator, rng: RandomSource): Receiver | undefined {
  const owner = gen.callable(fn.owner ?? '');
  if (!owner) return undefined;
  if (owner.isEnum)
    return owner.members?.length ? { kind: 'member', path: `${owner.qualname}.${rng.pick(owner.members)}` } : undefined;
  const cls = gen.constructibleClass(owner.qualname);
  if (!cls) return undefined;
  const good = gen.constructionsOf(cls.qualname);
  return { kind: 'construct', cls, args: good.length && rng.chance(0.7) ? rng.pick(good) : gen.arguments(cls) };
}

export function mutantOf(c: Candidate, gen: InputGenerator, rng: RandomSource): Candidate {
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
