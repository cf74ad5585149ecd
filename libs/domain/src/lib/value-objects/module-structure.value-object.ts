/**
 * Where each statement of a module sits, from its syntax tree: what the report's "why not covered" reads (see
 * `ModuleInterface.structure`). Line numbers are coverage.py's statement lines (1-based, a statement's first line).
 *
 * Arms: `true`/`false` of an `if`/`elif`/`while`/`case` (its body, or the way past it); `enter`/`complete` of a
 * `for` (its body, or the end of the loop); `raise` (an `except` line, reached when the `try` body raised);
 * `except` (a handler's body: the exception matched); `else` (a `try`'s `else`: the body did not raise); `call`
 * (the arc out of the body of a definition written on one line, taken when it is called).
 */
export type StructureArm = 'true' | 'false' | 'enter' | 'complete' | 'raise' | 'except' | 'else' | 'call';

/** One statement line and the way to it. */
export interface StatementContext {
  readonly line: number;
  /** Qualname of the function or class whose body holds it (`C.m`, `outer.<locals>.inner`); '' at module level. */
  readonly scope: string;
  /** The compound statement whose arm it opens: its header line and the arm (absent when `previous` leads to it). */
  readonly guard?: readonly [line: number, arm: StructureArm];
  /** The statement run just before it (the one before in its block, or the `try`/`with`/`match` it opens). */
  readonly previous?: number;
  /** No way leads to it: the statement on this line, before it in its block, always leaves (`sys.exit(...)`). */
  readonly deadAfter?: number;
  /** It sits under `if __name__ == "__main__":`. */
  readonly main?: boolean;
}

/** A function or class body. */
export interface StructureScope {
  readonly qualname: string;
  readonly kind: 'function' | 'class';
  /** The `def`/`class` line. */
  readonly line: number;
  /** The first statement of the body (absent when coverage.py counts none). */
  readonly body?: number;
}

/** A compound statement's header and what decides it, as written (on one line, at most 80 characters). */
export interface StructureHeader {
  readonly line: number;
  /** `main` is `if __name__ == "__main__":` at module level. */
  readonly kind: 'if' | 'main' | 'while' | 'for' | 'try' | 'except' | 'case';
  /** The condition (`isinstance(x, bytes)`), `target in iterable` of a `for`, an `except`'s types, a `case`'s pattern. */
  readonly text: string;
}

export interface ModuleStructure {
  /** Every statement coverage.py counts, by line. */
  readonly statements: readonly StatementContext[];
  readonly scopes: readonly StructureScope[];
  readonly headers: readonly StructureHeader[];
  /** The statements some `deadAfter` names, with their source line (`sys.exit(code)`). */
  readonly leaving: readonly { readonly line: number; readonly text: string }[];
  /** coverage.py's branch arcs the worker could name an arm for: `[from, to, arm]`. */
  readonly arcs: readonly (readonly [from: number, to: number, arm: StructureArm])[];
}
