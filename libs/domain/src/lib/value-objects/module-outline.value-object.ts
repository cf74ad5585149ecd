/**
 * The outline of one Python module, as a `CodeParser` sees it. Every line number is 1-based and every span is
 * inclusive at both ends (`startLine..endLine`), exactly as an editor shows them.
 */
export interface LineSpan {
  /** First line, 1-based. */
  readonly startLine: number;
  /** Last line, 1-based, inclusive. */
  readonly endLine: number;
}

/** One name an import statement brings in: `import a.b as c` gives `{ name: 'a.b', alias: 'c' }`. */
export interface ImportedName {
  readonly name: string;
  readonly alias?: string;
}

/** An `import` or `from ... import ...` statement, at module level or nested in a module-level `try`/`if`/`with`. */
export interface ImportOutline extends LineSpan {
  readonly kind: 'import';
  /** `import x` is `plain`; `from x import y` (including `from __future__`) is `from`. */
  readonly style: 'plain' | 'from';
  /** Dotted module name; '' for `from . import x`. For `plain` imports, the first imported module. */
  readonly module: string;
  /** Number of leading dots of a relative import (0 for absolute imports). */
  readonly level: number;
  /** Imported names; `[{ name: '*' }]` for a wildcard import. */
  readonly names: readonly ImportedName[];
  /** Names the statement binds in the module namespace (`import a.b` binds `a`; `import a as b` binds `b`). */
  readonly boundNames: readonly string[];
  /** True when the import sits inside a module-level `try`, `if` or `with` (an optional dependency). */
  readonly conditional: boolean;
  /** Source text of the statement. */
  readonly text: string;
}

/** A `def` or `async def`, at module level or in a class. Decorator lines belong to the definition. */
export interface FunctionOutline extends LineSpan {
  readonly kind: 'function';
  readonly name: string;
  /** `Class.method` for methods, `name` for module-level functions. */
  readonly qualifiedName: string;
  readonly isAsync: boolean;
  /** Decorator expressions without the `@`, in source order. */
  readonly decorators: readonly string[];
  /** Line of the `def` keyword (after any decorators). */
  readonly defLine: number;
  /** Last line of the header (the line holding the `:` that opens the body). */
  readonly headerEndLine: number;
  /** Module-level names this definition uses (sorted, itself excluded; local shadowing is not resolved). */
  readonly references: readonly string[];
}

/** A module- or class-level statement that is not a definition or an import (assignments, `if __name__ ...`). */
export interface StatementOutline extends LineSpan {
  readonly kind: 'statement';
  /** tree-sitter node type, e.g. `expression_statement`, `if_statement`, `ERROR` for unparsable text. */
  readonly type: string;
  /** The module docstring (first statement, a string literal). */
  readonly isDocstring: boolean;
  /** An `if __name__ == "__main__":` block. */
  readonly isMainGuard: boolean;
  /** Names the statement binds at its level (assignment targets, conditionally defined functions/classes/imports). */
  readonly defines: readonly string[];
  /** Module-level names it uses (sorted). */
  readonly references: readonly string[];
}

/** A `class`, with its members in source order. */
export interface ClassOutline extends LineSpan {
  readonly kind: 'class';
  readonly name: string;
  readonly qualifiedName: string;
  readonly decorators: readonly string[];
  readonly defLine: number;
  readonly headerEndLine: number;
  /** Base-class and keyword expressions as written, e.g. `['Base', 'metaclass=Meta']`. */
  readonly bases: readonly string[];
  /** Methods, nested classes and class-level statements, in source order. */
  readonly members: readonly (FunctionOutline | ClassOutline | StatementOutline)[];
  /** Module-level names used anywhere in the class (sorted). */
  readonly references: readonly string[];
  /** Module-level names used by the decorators and base classes only (sorted). */
  readonly headerReferences: readonly string[];
}

/** One top-level statement of a module. */
export type OutlineItem = ImportOutline | FunctionOutline | ClassOutline | StatementOutline;

/** Where the parser could not make sense of the text. */
export interface SyntaxErrorLocation {
  /** 1-based line and 1-based column of the start of the bad text. */
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  /** e.g. `unexpected "(:"`, `missing ")"`. */
  readonly message: string;
}

/**
 * The outline of a module. `items` lists every top-level statement in source order; comments and blank lines
 * are not items. With syntax errors the outline is partial: what parsed is there, the rest appears as
 * `ERROR` statements, and `errors` says where.
 */
export interface ModuleOutline {
  /** Number of lines of the source (a final newline does not start a new line). */
  readonly lineCount: number;
  readonly docstring?: LineSpan & { readonly text: string };
  /** Every import, including conditional ones, in source order. */
  readonly imports: readonly ImportOutline[];
  readonly items: readonly OutlineItem[];
  /** Names bound at module level (definitions, assignments, imports), sorted. */
  readonly moduleNames: readonly string[];
  readonly errors: readonly SyntaxErrorLocation[];
}

/** Module-level functions of an outline (sync, async, decorated), in source order. */
export function outlineFunctions(outline: ModuleOutline): FunctionOutline[] {
  return outline.items.filter((i): i is FunctionOutline => i.kind === 'function');
}

/** Module-level classes of an outline, in source order. */
export function outlineClasses(outline: ModuleOutline): ClassOutline[] {
  return outline.items.filter((i): i is ClassOutline => i.kind === 'class');
}
