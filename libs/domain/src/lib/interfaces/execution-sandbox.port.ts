import type { Branch } from '../value-objects/coverage-report.value-object';
import type { ModuleTarget } from '../value-objects/module-target.value-object';
import type { ModuleStructure } from '../value-objects/module-structure.value-object';

/** A type hint as the sandbox understood it from annotations (`typing.get_type_hints`). */
export type TypeHint =
  | {
      readonly kind: 'any';
      /** The type's name when the module names one (`re.Match`, `typing.BinaryIO`, `decimal.Decimal`). */
      readonly hint?: string;
      /** For a `re.Match`: the named groups the code reads (`m.group('number')`). */
      readonly groups?: readonly string[];
      /** For a `re.Match`: how many values the code unpacks `m.groups()` into. */
      readonly groupCount?: number;
      /** For a class from elsewhere the parameter fits by its use: the source a test builds one with. */
      readonly make?: string;
    }
  | { readonly kind: 'none' }
  | { readonly kind: 'builtin'; readonly name: 'int' | 'float' | 'str' | 'bool' | 'bytes' | 'complex' | 'none' }
  | { readonly kind: 'list' | 'set'; readonly item: TypeHint }
  | { readonly kind: 'tuple'; readonly items?: readonly TypeHint[]; readonly item?: TypeHint }
  | { readonly kind: 'dict'; readonly key: TypeHint; readonly value: TypeHint }
  | { readonly kind: 'union'; readonly options: readonly TypeHint[] }
  /** `typing.Literal[...]`: each value as Python source. */
  | { readonly kind: 'literal'; readonly values: readonly string[] }
  /** An `Enum` defined in the module: `ref` is its dotted path inside the module. */
  | { readonly kind: 'enum'; readonly ref: string; readonly members: readonly string[] }
  /** A class defined in the module, built through its constructor. */
  | { readonly kind: 'class'; readonly ref: string }
  | { readonly kind: 'callable' };

/** How a parameter binds, from `inspect.Parameter.kind`. */
export type ParameterKind = 'positional' | 'either' | 'varargs' | 'keyword' | 'varkw';

export interface ParameterInfo {
  readonly name: string;
  readonly kind: ParameterKind;
  readonly type: TypeHint;
  readonly hasDefault: boolean;
  /** The default as Python source when it can be rebuilt, else null. */
  readonly default: string | null;
  readonly defaultIsNone: boolean;
}

/** A function, class, method or property found in the module (defined there, not imported). */
export interface CallableInfo {
  readonly kind: 'function' | 'class' | 'method' | 'staticmethod' | 'classmethod' | 'property';
  /** Name inside its owner, e.g. `wrap`. */
  readonly name: string;
  /** Dotted path inside the module, e.g. `TextWrapper.wrap`. */
  readonly qualname: string;
  /** For members: the owning class's qualname. */
  readonly owner?: string;
  /** Parameters; for classes the constructor's, for methods without `self`/`cls`. */
  readonly params: readonly ParameterInfo[];
  /** Source lines (1-based, inclusive), when known. */
  readonly span?: readonly [number, number] | null;
  readonly isGenerator?: boolean;
  readonly isAsync?: boolean;
  readonly constructible?: boolean;
  readonly isEnum?: boolean;
  readonly isException?: boolean;
  readonly isDataclass?: boolean;
  readonly members?: readonly string[];
  /** The class defines `__iter__`/`__next__`. */
  readonly iterable?: boolean;
  /** Qualnames of base classes defined in the same module. */
  readonly bases?: readonly string[];
  /** Classes: public attributes their methods assign (`self.debug = 0`), with the type of the first constant. */
  readonly fields?: readonly ClassField[];
}

/** A public attribute of a class and the type of the value its code first assigns. */
export interface ClassField {
  readonly name: string;
  readonly type: 'int' | 'float' | 'str' | 'bool' | 'bytes' | 'any';
}

/** A constant found in the source; `src` is Python source, `value` the JS value for str/int/float. */
export interface HarvestedLiteral {
  readonly source: string;
  readonly kind: 'str' | 'int' | 'float' | 'bytes';
  readonly value?: string | number;
}

export interface DoctestInfo {
  /** Qualname of the documented object; '' for the module docstring. */
  readonly qualname: string;
  readonly examples: readonly { readonly source: string; readonly want: string }[];
}

/** What the sandbox learned by importing the module. Line numbers are coverage.py's (1-based). */
export interface ModuleInterface {
  readonly callables: readonly CallableInfo[];
  /** Names the module imported from elsewhere → the import statement a test needs (`Decimal` → `from decimal import Decimal`). */
  readonly externalNames?: Readonly<Record<string, string>>;
  /**
   * Literals per callable qualname ('' for module level). Besides the source's constants, bytes laid out the way a
   * function unpacks them: `kind` bytes with a `source` of `struct.pack(...)` calls (`struct` is in the plan
   * namespace), in its own list and in `moduleLiterals`.
   */
  readonly literals: Readonly<Record<string, readonly HarvestedLiteral[]>>;
  readonly moduleLiterals: readonly HarvestedLiteral[];
  /**
   * Regular expressions each callable matches text against (qualname, '' for module level): literal patterns
   * of `re.compile`/`re.match`/`re.search`/..., and compiled patterns it uses by name (`_VERSION_RE.match(s)`),
   * with strings generated from each: `matches` fully match the pattern, `nearMisses` (one character changed,
   * dropped or added, the empty string) do not. `subjects` names the variables matched against it. `flags` is
   * the `re` flags value. '' also lists every pattern compiled into a module-level name. Absent from workers
   * that do not harvest patterns.
   */
  readonly patterns?: Readonly<
    Record<
      string,
      readonly {
        readonly pattern: string;
        readonly flags: number;
        readonly subjects: readonly string[];
        readonly matches: readonly string[];
        readonly nearMisses: readonly string[];
        /** The module-level name the compiled pattern is bound to (`_VERSION_RE`), when there is one. */
        readonly name?: string;
        /** How many groups the pattern has, and the names of its named ones (the worker always says). */
        readonly groups?: number;
        readonly groupNames?: readonly string[];
      }[]
    >
  >;
  /** Names bound by optional imports, with the constant each gets when its import fails. Absent from older workers. */
  readonly optionalImports?: readonly OptionalImport[];
  /** Callables that read `sys.argv` (a command line's `main()`), or call a function of the module that does. */
  readonly argvReaders?: readonly string[];
  /**
   * Environment variables the module reads by a constant name (`os.environ.get('APP_MODE')`, `os.getenv(...)`,
   * `'X' in os.environ`, a loop over a tuple of names), each with the callables that read it or call what does.
   */
  readonly envReaders?: readonly EnvReader[];
  /** Module-level constants whose value can be written as Python source. */
  readonly constants: readonly { readonly name: string; readonly type: string }[];
  /**
   * Types suggested by how each function uses its parameters (methods called on them, operators, comparisons,
   * `isinstance` checks, subscripts, iteration, the builtins they are passed to): qualname → parameter → hints, in
   * the order the evidence came. Besides the annotation kinds: `{ kind: 'any', hint: 'typing.TextIO' }` for a text
   * stream (`.read()`, `.readline()`), `typing.BinaryIO` for one whose reads are used as bytes (unpacked with
   * `struct`, compared with or split at bytes), `re.Match` for a match (`.group()`, `.groups()`, `.span()`),
   * `{ kind: 'any', hint: 'os.PathLike' }` for the name of a file that exists (`open(x)`), a dict's `key` a
   * `literal` of the constants it is indexed with. A class that inherits a method of the module calling a method it
   * overrides has hints of its own under `Class.method` (`Sub.__init__` from `Base.__init__` calling `self._parse`).
   */
  readonly paramHints: Readonly<Record<string, Readonly<Record<string, readonly TypeHint[]>>>>;
  readonly doctests: readonly DoctestInfo[];
  /** Every statement line and every branch arc coverage.py counts in the file. */
  readonly shape: { readonly statements: readonly number[]; readonly branches: readonly Branch[] };
  /** Lines and branches covered by importing the module. */
  readonly baseline: { readonly lines: readonly number[]; readonly branches: readonly Branch[] };
  /**
   * What importing (and listing) the module tried to do outside the sandbox's working folder, blocked: short
   * texts such as `write /etc/x`, `delete /data/a`, `connect 127.0.0.1:8080`, `spawn ['sleep', '100']`,
   * `signal 123` (at most 10). Absent when there was nothing.
   */
  readonly importEffects?: readonly string[];
  /**
   * Where each statement sits (its function or class, the condition that decides whether it runs, the statement
   * before it, dead code, the `__main__` block) and the arm of each branch arc, from the module's syntax tree: what
   * the report's "why not covered" reads. Absent from sandboxes that do not describe it.
   */
  readonly structure?: ModuleStructure;
}

/**
 * An expression of a call plan. `lit` is Python source using builtins and the module's names; `ref` a dotted
 * path inside the module; `var` the value of an earlier step; `list` materialises an iterable.
 */
export type PlanExpr =
  | { readonly kind: 'lit'; readonly source: string }
  | { readonly kind: 'ref'; readonly path: string }
  | { readonly kind: 'var'; readonly index: number }
  | { readonly kind: 'attr'; readonly target: PlanExpr; readonly name: string }
  | {
      readonly kind: 'call';
      readonly callee: PlanExpr;
      readonly args: readonly PlanExpr[];
      readonly keywords: readonly (readonly [string, PlanExpr])[];
    }
  | { readonly kind: 'list'; readonly iterable: PlanExpr };

/**
 * One candidate test body: steps run in order, each step's value is `var i`; the last step is the call under
 * test. `receiver` names the step whose object's public attributes are reported after the last step.
 * A plan with `doctest` runs the doctest examples of that qualname instead.
 */
export type CallPlan =
  | {
      readonly steps: readonly PlanExpr[];
      readonly receiver?: number;
      /** Module attributes set for this plan only (restored after it): optional imports made to fail. */
      readonly patches?: readonly ModulePatch[];
      /** `sys.argv` for this plan only (restored after it), for callables that read it (`argvReaders`). */
      readonly argv?: PlanExpr;
      /** Environment variables set (a str) or removed (`null`) for this plan only (restored after it). */
      readonly env?: readonly EnvSetting[];
      readonly doctest?: undefined;
    }
  | {
      readonly doctest: string;
      readonly steps?: undefined;
      readonly patches?: undefined;
      readonly argv?: undefined;
      readonly env?: undefined;
    };

/** An environment variable a plan sets (`value` a str) or removes (`value` null). */
export interface EnvSetting {
  readonly name: string;
  readonly value: string | null;
}

/** An environment variable the module reads, and the callables that read it (or call a function that does). */
export interface EnvReader {
  readonly name: string;
  readonly users: readonly string[];
}

/** A module-level name and the Python constant it is set to (`b2a_qp` → `None`). */
export interface ModulePatch {
  readonly name: string;
  readonly source: string;
}

/**
 * A name an optional import binds, and what the module binds it to when the import fails: `try: from binascii
 * import b2a_qp` / `except ImportError: b2a_qp = None` gives `{ name: 'b2a_qp', source: 'None' }`. `users` are the
 * callables that read the name, or call a function of the module that does: with the name patched, they run the
 * module's own fallback code.
 */
export interface OptionalImport extends ModulePatch {
  readonly users: readonly string[];
}

/** A value as the sandbox saw it. */
export interface ValueDescription {
  /** Qualified type name (`int`, `shop.Cart`). */
  readonly type: string;
  readonly module: string;
  readonly repr: string;
  /** Python source rebuilding an equal value in the test's namespace, or null (then attributes are checked). */
  readonly expr: string | null;
  /** Process-independent text used to compare runs (sets sorted, addresses removed). */
  readonly canon: string;
  readonly float: boolean;
  /** `pytest.approx` can compare it (a number or a flat sequence/dict of numbers). */
  readonly approx: boolean;
  readonly nan: boolean;
  readonly len: number | null;
  readonly attrs: readonly AttributeDescription[];
  /** Python source of a few elements (first, middle, last) of a list or tuple result. */
  readonly parts?: readonly string[];
  /** Facts about a str, bytes, list, tuple or dict too long to write out (over 120 characters); null otherwise. */
  readonly summary?: ValueSummary | null;
}

/**
 * What a test can check of a value too long to write out, besides its size and start. Every field is optional;
 * sources are Python expressions of the test's namespace.
 */
export interface ValueSummary {
  /** str, bytes: Python source of its last 40 characters (or bytes). */
  readonly tail?: string;
  /** str, bytes: how often separators occur (newline, space, comma, tab; at most two): [Python source, count]. */
  readonly counts?: readonly (readonly [string, number])[];
  /** list, tuple: Python source of the first and of the last element (each at most 120 characters). */
  readonly first?: string;
  readonly last?: string;
  /** list, tuple: the size of the first or last element when that is too long to write out (and sized). */
  readonly firstLen?: number;
  readonly lastLen?: number;
  /** list, tuple of numbers: Python source of their sum; `sumFloat` when it is a float (compared with approx). */
  readonly sum?: string;
  readonly sumFloat?: boolean;
  /** list, tuple of str (or of bytes): their lengths added up. */
  readonly itemLengths?: number;
  /** dict: Python source of the first and last key with its value (not floats), as [key, value]. */
  readonly entries?: readonly (readonly [string, string])[];
}

export interface AttributeDescription {
  /** The attribute's name; `__str__` with `via: 'str'` for the object's own text (`str(obj)`). */
  readonly name: string;
  readonly expr: string;
  readonly float: boolean;
  readonly approx: boolean;
  /**
   * How a test reads an attribute whose value no literal can write (an object of a class with its own `__str__`):
   * `str` — `str(obj.name)` is `expr`; `str-items` — `[str(x) for x in obj.name]` is `expr`.
   */
  readonly via?: 'str' | 'str-items';
}

export interface ExceptionDescription {
  /** `__qualname__` of the exception type. */
  readonly type: string;
  readonly module: string;
  readonly message: string;
  /** Path inside the module under test when the type is defined there. */
  readonly path: string | null;
  /** The traceback passes through the module under test (not only through argument handling). */
  readonly inModule: boolean;
  /** The module raised it on purpose: the innermost frame is one of its own `raise` or `assert` lines. */
  readonly explicit?: boolean;
  /** The line of the module under test it was raised on, when the innermost frame is the module's own code. */
  readonly line?: number | null;
}

/** A literal argument the call changed: its position among the positional arguments, or its keyword. */
export interface ChangedArgument {
  readonly position: number | null;
  readonly keyword: string | null;
  readonly expr: string;
  readonly float: boolean;
  readonly approx: boolean;
  /** `getvalue` for an in-memory stream the call wrote to: `expr` is what `arg.getvalue()` gives after the call. */
  readonly via?: 'getvalue';
}

export type CallStatus = 'ok' | 'raised' | 'timeout' | 'invalid' | 'crashed';

/** Outcome of one plan, with the lines and branches (coverage.py numbering) it covered. */
export interface CallResult {
  readonly status: CallStatus;
  readonly lines: readonly number[];
  readonly branches: readonly Branch[];
  /** Value of the last step (status `ok`). */
  readonly value?: ValueDescription;
  /** The last step returned an iterator that was turned into a list. */
  readonly listified?: boolean;
  readonly receiverAttrs?: readonly AttributeDescription[];
  /**
   * Containers written as literal arguments of the call under test (list, dict, set, bytearray) that the call
   * changed in place, with their value afterwards (at most 120 characters of Python source).
   */
  readonly changedArgs?: readonly ChangedArgument[];
  /** Index of the step that raised (status `raised`). */
  readonly step?: number;
  readonly exception?: ExceptionDescription;
  /** What the call printed (truncated). */
  readonly stdout?: string;
  /** Files the call created in its working directory (then removed). */
  readonly sideEffects?: readonly string[];
  /**
   * What the call tried to do outside its working directory, blocked (the operation raised `PermissionError`):
   * writes, deletes, network, processes, signals, as short texts (`delete /data/a`, at most 10). Such a call
   * is never a test: the same call run by the user would really do it.
   */
  readonly outsideEffects?: readonly string[];
  /**
   * The value, receiver attributes, output or exception message showed a value of the machine's environment
   * (HOME, the working folder, a variable): those facts were dropped (`value.expr` null, no attributes, no
   * output, empty message) and no test may assert them.
   */
  readonly machineDependent?: boolean;
  readonly doctest?: { readonly attempted: number; readonly failed: number };
  /** Why a plan was `invalid` or `crashed`; `PLAN_HUNG` when it ran past its limit and the sandbox was restarted. */
  readonly error?: string;
}

/** `CallResult.error` of a `crashed` plan that ran past its limit (the sandbox was stopped and restarted). */
export const PLAN_HUNG = 'hung';

export interface SandboxOpenOptions {
  /** Fixes `PYTHONHASHSEED`, so two sessions with different seeds reveal hash-order dependence. */
  readonly hashSeed?: number;
  /** Longest wait for the module's import, in ms (a module that hangs at import costs no more than this). */
  readonly loadTimeoutMs?: number;
  /** Variables set on top of the usual environment (a perturbed machine: another `TZ`, locale, proxies). */
  readonly environment?: Readonly<Record<string, string>>;
  /** The clock the code sees moved by this many seconds (where the machine has libfaketime). */
  readonly clockShiftSeconds?: number;
}

export interface SandboxExecuteOptions {
  /** Limit of one plan, in milliseconds. */
  readonly timeoutMs: number;
  /**
   * When the caller's budget ends (epoch milliseconds): after a plan that hung or crashed, the sandbox is not
   * restarted past it, and the plans not run yet come back `crashed` (so hostile code cannot stretch a budget).
   */
  readonly deadline?: number;
}

/** One loaded module in a sandbox. */
export interface SandboxSession {
  readonly module: ModuleInterface;
  /**
   * Runs plans in order, each under `timeoutMs`. A plan that hangs beyond its limit or kills the sandbox comes
   * back `crashed`, the sandbox is restarted and the remaining plans still run. Results are in plan order.
   */
  execute(plans: readonly CallPlan[], options: SandboxExecuteOptions): Promise<CallResult[]>;
  /** Stops the sandbox and removes its temp dir. Idempotent. */
  close(): Promise<void>;
}

/**
 * Imports a Python module in an isolated, long-lived executor (its own process, temp working dir, scrubbed
 * environment) and runs call plans against it, measuring coverage per plan.
 * `open` throws `InvalidInputError` when the module cannot be imported and `EnvironmentError` when Python is unusable.
 */
export interface ExecutionSandbox {
  /** `hashSeed` fixes `PYTHONHASHSEED`, so two sessions with different seeds reveal hash-order dependence. */
  open(target: ModuleTarget, options?: SandboxOpenOptions): Promise<SandboxSession>;
}
