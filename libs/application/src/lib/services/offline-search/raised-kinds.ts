import type { CallResult, ModuleInterface } from '@test-agent/domain';
import type { Candidate, GenValue } from './generated-value';
import type { ArchivedTest } from './search-engine.service';
import { wellTyped } from './typed-input';

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
 * on a value no caller would pass, or an `IndexError`-like error on input made for guessed types (never emitted); `defect`, an error such as `ZeroDivisionError`,
 * `UnboundLocalError` or `'NoneType' object has no attribute` raised by the module's own line on input that matches
 * every parameter's known type (`wellTyped`; reported, not pinned); `incidental`, any
 * other error the module did not raise on purpose (kept only for lines nothing meaningful reaches). Undefined when
 * the call did not raise.
 */
export function raisedKind(
  result: CallResult,
  candidate?: Candidate,
  module?: ModuleInterface,
): RaisedKind | undefined {
  if (result.status !== 'raised' || !result.exception) return undefined;
  if (!incidental(result)) return 'deliberate';
  const ex = result.exception;
  if (ex.module !== 'builtins') return 'incidental';
  // A call run without an optional import, or on a command line of ours, is no evidence of a defect: the module
  // may rely on the import where it reads the name unguarded, and a command line may be one no user would type.
  const outside = Boolean(candidate?.patches?.length || candidate?.argv || candidate?.env?.length);
  const typed = candidate !== undefined && module !== undefined && !outside && wellTyped(candidate, module);
  // On well-typed input, the interpreter's TypeError/AttributeError on the module's own line is a defect (`None.x`).
  if (MISUSE_ERRORS.has(ex.type)) return typed && typeof ex.line === 'number' ? 'defect' : 'misuse';
  if (DEFECT_ERRORS.has(ex.type) && typeof ex.line === 'number') {
    if (typed) return 'defect';
    // Made for a type that was guessed, or of another type than the evidence says: no defect to claim, and no
    // behaviour to keep (a precondition on nonsense input). Such calls were never kept, which the search relies on.
    if (candidate && madeForItsHints(candidate)) return 'misuse';
  }
  return 'incidental';
}

/** Every value of the candidate was made for a type its generator had in mind (guessed or not), none off it. */
function madeForItsHints(c: Candidate): boolean {
  const ok = (v: GenValue): boolean =>
    !v.offHint && v.hint.kind !== 'any' && (!v.construct || v.construct.args.every((a) => ok(a.value)));
  if (c.prefix.some((p) => p.assign && !p.declared)) return false;
  return [
    ...c.args,
    ...c.prefix.flatMap((p) => p.args),
    ...(c.receiver?.kind === 'construct' ? c.receiver.args : []),
  ].every((a) => ok(a.value));
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
