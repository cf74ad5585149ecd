/** One name bound by an import statement. */
interface ImportedName {
  readonly name: string;
  readonly alias?: string;
}

const IMPORT = /^import\s+(.+)$/s;
const FROM = /^from\s+(\.*[\w.]*)\s+import\s+(.+)$/s;
const DOTTED = /^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$/;
const IDENT = /^[A-Za-z_]\w*$/;
const MAX_LINE = 100;

function parseNames(list: string, dotted: boolean): ImportedName[] | undefined {
  const names: ImportedName[] = [];
  for (const part of list.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const m = /^(\S+)(?:\s+as\s+(\S+))?$/.exec(item);
    if (!m || !(dotted ? DOTTED : IDENT).test(m[1]) || (m[2] !== undefined && !IDENT.test(m[2]))) return undefined;
    names.push(m[2] ? { name: m[1], alias: m[2] } : { name: m[1] });
  }
  return names.length > 0 ? names : undefined;
}

const render = (n: ImportedName) => (n.alias ? `${n.name} as ${n.alias}` : n.name);
const stripComment = (s: string) => s.replace(/#.*$/gm, '');

/**
 * Merges import statements into a deduplicated, sorted block: `from __future__` first, then `import x` lines,
 * then `from x import a, b` lines (one per module, names merged and sorted, wrapped in parentheses past 100
 * characters). Statements it cannot parse (conditional imports, `try:` blocks) are kept verbatim, once,
 * after the others. Returns the lines of the block.
 */
export function mergeImports(statements: readonly string[]): string[] {
  const plain = new Set<string>();
  const from = new Map<string, Set<string>>();
  const future = new Set<string>();
  const verbatim: string[] = [];
  const seenVerbatim = new Set<string>();
  for (const raw of statements) {
    const text = stripComment(raw).replace(/\\\n/g, ' ').trim();
    const fromMatch = FROM.exec(text);
    const importMatch = fromMatch ? null : IMPORT.exec(text);
    if (fromMatch) {
      const list = fromMatch[2].replace(/[()]/g, ' ').replace(/\s+/g, ' ').trim();
      const names = list === '*' ? [{ name: '*' }] : parseNames(list, false);
      if (names) {
        const module = fromMatch[1];
        let target = module === '__future__' ? future : from.get(module);
        if (!target) from.set(module, (target = new Set()));
        for (const n of names) target.add(render(n));
        continue;
      }
    } else if (importMatch) {
      const names = parseNames(importMatch[1].replace(/\s+/g, ' '), true);
      if (names) {
        for (const n of names) plain.add(render(n));
        continue;
      }
    }
    const kept = raw.trimEnd();
    if (kept.trim() !== '' && !seenVerbatim.has(kept)) {
      seenVerbatim.add(kept);
      verbatim.push(kept);
    }
  }
  const lines: string[] = [];
  if (future.size > 0) lines.push(`from __future__ import ${[...future].sort().join(', ')}`);
  for (const name of [...plain].sort(byModule)) lines.push(`import ${name}`);
  for (const module of [...from.keys()].sort(byModule)) {
    const names = [...(from.get(module) ?? [])].sort();
    const line = `from ${module} import ${names.join(', ')}`;
    lines.push(
      line.length <= MAX_LINE ? line : `from ${module} import (\n${names.map((n) => `    ${n},`).join('\n')}\n)`,
    );
  }
  return [...lines, ...verbatim];
}

function byModule(a: string, b: string): number {
  return a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : a < b ? -1 : a > b ? 1 : 0;
}

/** Names an import block binds at module level (`import a.b` binds `a`; `from x import y as z` binds `z`). */
export function importedNames(statements: readonly string[]): Set<string> {
  const bound = new Set<string>();
  for (const raw of statements) {
    const text = stripComment(raw).replace(/\\\n/g, ' ').trim();
    const fromMatch = FROM.exec(text);
    if (fromMatch) {
      for (const n of parseNames(fromMatch[2].replace(/[()]/g, ' '), false) ?? []) bound.add(n.alias ?? n.name);
      continue;
    }
    const importMatch = IMPORT.exec(text);
    if (importMatch) for (const n of parseNames(importMatch[1], true) ?? []) bound.add(n.alias ?? n.name.split('.')[0]);
  }
  return bound;
}

/**
 * Keeps only what `used` needs of the import statements: names of `from x import a, b` that are used, `import x`
 * when `x` is used; wildcard imports and statements it cannot parse are kept as they are. Lets tests that share
 * one answer's import block be judged apart: a bad name imported for one test never breaks the others.
 */
export function pruneImports(statements: readonly string[], used: ReadonlySet<string>): string[] {
  const kept: string[] = [];
  for (const raw of statements) {
    const text = stripComment(raw).replace(/\\\n/g, ' ').trim();
    const fromMatch = FROM.exec(text);
    if (fromMatch) {
      const list = fromMatch[2].replace(/[()]/g, ' ').replace(/\s+/g, ' ').trim();
      const names = list === '*' ? undefined : parseNames(list, false);
      if (names) {
        const needed = names.filter((n) => used.has(n.alias ?? n.name));
        if (needed.length > 0) kept.push(`from ${fromMatch[1]} import ${needed.map(render).join(', ')}`);
        continue;
      }
    } else {
      const importMatch = IMPORT.exec(text);
      const names = importMatch ? parseNames(importMatch[1].replace(/\s+/g, ' '), true) : undefined;
      if (names) {
        const needed = names.filter((n) => used.has(n.alias ?? n.name.split('.')[0]));
        if (needed.length > 0) kept.push(`import ${needed.map(render).join(', ')}`);
        continue;
      }
    }
    kept.push(raw);
  }
  return kept;
}

/** Names pytest collects from a test module by default (`python_functions = test*`, `python_classes = Test*`). */
const COLLECTED = /^(test|Test)/;

/**
 * Import statements that bind no name pytest would collect as a test: `from m import test` (a function of the module
 * under test named `test...`, or a class `Test...`) becomes `from m import test as m_test`, and `renames` maps each
 * such name to the alias its uses in the file must take. Without it, pytest would run the module's own `test()` as
 * one more test of the file.
 */
export function shieldFromCollection(statements: readonly string[]): {
  readonly statements: string[];
  readonly renames: ReadonlyMap<string, string>;
} {
  const renames = new Map<string, string>();
  const out = statements.map((raw) => {
    const text = stripComment(raw).replace(/\\\n/g, ' ').trim();
    const fromMatch = FROM.exec(text);
    const names = fromMatch ? parseNames(fromMatch[2].replace(/[()]/g, ' ').replace(/\s+/g, ' ').trim(), false) : null;
    if (!fromMatch || !names || !names.some((n) => COLLECTED.test(n.alias ?? n.name))) return raw;
    const module = fromMatch[1];
    const prefix = module.split('.').pop()!.replace(/^_+/, '') || 'module';
    const shielded = names.map((n) => {
      const bound = n.alias ?? n.name;
      if (!COLLECTED.test(bound)) return n;
      // A module named like a test module (`jinja2.tests`) must not give a name pytest collects again.
      const alias = COLLECTED.test(prefix) ? `module_${prefix}_${bound}` : `${prefix}_${bound}`;
      renames.set(bound, alias);
      return { name: n.name, alias };
    });
    return `from ${module} import ${shielded.map(render).join(', ')}`;
  });
  return { statements: out, renames };
}
