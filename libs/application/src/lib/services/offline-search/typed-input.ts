import type { CallableInfo, ModuleInterface, ParameterInfo, TypeHint } from '@test-agent/domain';
import type { Candidate, GenArg, GenValue } from './generated-value';
import { defaultHint } from './input-pools';

/**
 * Every argument of the candidate (receiver, objects built for arguments and earlier steps included) fits what is
 * known of its parameter's type from evidence: its annotation, how the function uses it (the worker's `paramHints`),
 * its default. A parameter with no evidence (only its name suggests a type, or nothing does) makes no input
 * well-typed, nor does a value of another type (`None`, a string or a float where an int is used), nor a collection
 * with an item of another or an unknown type. An error such input raises says little about the module.
 */
export function wellTyped(c: Candidate, module: ModuleInterface): boolean {
  // An attribute set to a value for a type only guessed is no well-typed state.
  if (c.prefix.some((p) => p.assign && !p.declared)) return false;
  const byName = new Map(module.callables.map((fn) => [fn.qualname, fn]));
  const argsFit = (args: readonly GenArg[], owner: CallableInfo): boolean =>
    args.every((a) => {
      const known = evidence(a.param, owner, module);
      return known.length > 0 && known.some((h) => fits(a.value, h, byName, argsFit));
    });
  return (
    argsFit(c.args, c.target) &&
    c.prefix.every((p) => p.assign || argsFit(p.args, p.method)) &&
    (c.receiver?.kind !== 'construct' || argsFit(c.receiver.args, c.receiver.cls))
  );
}

/** What the module says a parameter's type is: its annotation, else its uses and its default; `None` when defaulted so. */
function evidence(param: ParameterInfo, owner: CallableInfo, module: ModuleInterface): TypeHint[] {
  const out: TypeHint[] = [];
  // An annotation naming a type from outside the module (`Decimal`, `re.Match`) is evidence too.
  if (param.type.kind !== 'any' || param.type.hint) out.push(param.type);
  else {
    const key = owner.kind === 'class' ? `${owner.qualname}.__init__` : owner.qualname;
    out.push(...(module.paramHints[key]?.[param.name] ?? []).filter((h) => h.kind !== 'any'));
    const fromDefault = param.default ? defaultHint(param.default) : undefined;
    if (fromDefault) out.push(fromDefault);
  }
  if (param.defaultIsNone && out.length > 0) out.push({ kind: 'none' });
  return out;
}

type ArgsFit = (args: readonly GenArg[], owner: CallableInfo) => boolean;

/** The value is one of the type `h` describes, all the way down (a list's items, an object's constructor arguments). */
function fits(v: GenValue, h: TypeHint, byName: ReadonlyMap<string, CallableInfo>, argsFit: ArgsFit): boolean {
  const items = v.collection?.items ?? [];
  const every = (xs: readonly GenValue[], item: TypeHint) => xs.every((x) => fits(x, item, byName, argsFit));
  // A value made to ignore its parameter's type on purpose.
  if (v.offHint) return false;
  switch (h.kind) {
    case 'any':
      // A named outside type: a value made for that very name (`stdlibValue`, `ioValue`).
      return h.hint !== undefined && v.hint.kind === 'any' && v.hint.hint === h.hint;
    case 'union':
      return h.options.some((o) => fits(v, o, byName, argsFit));
    case 'none':
      return v.kind === 'none';
    case 'builtin':
      if (h.name === 'float') return v.kind === 'float' || v.kind === 'int';
      if (h.name === 'complex')
        return v.kind === 'float' || v.kind === 'int' || (v.hint.kind === 'builtin' && v.hint.name === 'complex');
      if (h.name === 'none') return v.kind === 'none';
      if (h.name === 'bytes') return v.hint.kind === 'builtin' && v.hint.name === 'bytes' && !v.collection;
      return v.kind === h.name;
    case 'list':
    case 'set':
      return v.collection?.kind === h.kind && every(items, h.item);
    case 'tuple':
      if (v.collection?.kind !== 'tuple') return false;
      if (h.items)
        return h.items.length === items.length && items.every((x, i) => fits(x, h.items![i], byName, argsFit));
      return h.item !== undefined && every(items, h.item);
    case 'dict':
      return v.collection?.kind === 'dict' && every(items, h.value) && every(v.collection.keys ?? [], h.key);
    case 'class': {
      const cls = v.construct ? byName.get(v.construct.path) : undefined;
      // The class itself, or a subclass the module defines (made for an abstract base). Not a value a classmethod
      // built: nothing says it returns an instance (`Config.names()` may return a list), so no defect is claimed.
      const isKind = cls !== undefined && (cls.qualname === h.ref || (cls.bases ?? []).includes(h.ref));
      return isKind && argsFit(v.construct!.args, cls!);
    }
    default:
      // An enum member, a literal or a callable: made for that very type.
      return v.kind === 'other' && !v.collection && v.hint.kind === h.kind;
  }
}
