import type { CallPlan, PlanExpr } from '@test-agent/domain';
import { callExpr, type Candidate, type GenArg, type Receiver } from './generated-value';
import { safePlan } from './safe-inputs';

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
  const plan = planOf(c);
  return safePlan({
    ...plan,
    ...(c.patches?.length ? { patches: c.patches } : {}),
    ...(c.argv ? { argv: c.argv.expr } : {}),
    ...(c.env?.length ? { env: c.env } : {}),
  });
}

function planOf(c: Candidate): CallPlan & { readonly steps: readonly PlanExpr[] } {
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
