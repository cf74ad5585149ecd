import type {
  ClassOutline,
  CodeChunk,
  FunctionOutline,
  ModuleOutline,
  OutlineItem,
  StatementOutline,
} from '@test-agent/domain';

/** Lines `start..end` (1-based, inclusive) of `lines`. */
const slice = (lines: readonly string[], start: number, end: number) => lines.slice(start - 1, end);

/** The first line of the docstring right after a definition's header, if there is one. */
export function docstringFirstLine(
  lines: readonly string[],
  headerEndLine: number,
  endLine: number,
): string | undefined {
  for (let n = headerEndLine + 1; n <= endLine; n++) {
    const text = lines[n - 1]?.trim() ?? '';
    if (text === '') continue;
    const m = /^[rRuUbB]?("""|'''|"|')(.*)$/.exec(text);
    if (!m) return undefined;
    const rest = m[2];
    const close = rest.indexOf(m[1]);
    const first = (close >= 0 ? rest.slice(0, close) : rest).trim();
    if (first) return first;
    const next = lines[n]?.trim();
    return next && !next.startsWith(m[1]) ? next : undefined;
  }
  return undefined;
}

function functionSkeleton(lines: readonly string[], f: FunctionOutline, indent = ''): string[] {
  const header = slice(lines, f.startLine, f.headerEndLine);
  const bodyIndent = `${indent}    `;
  const doc = docstringFirstLine(lines, f.headerEndLine, f.endLine);
  return [...header, ...(doc ? [`${bodyIndent}"""${doc.replace(/"""/g, "'''")}"""`] : []), `${bodyIndent}...`];
}

function statementSkeleton(lines: readonly string[], s: StatementOutline): string[] {
  if (s.isDocstring || s.isMainGuard || s.type === 'ERROR') return [];
  const text = slice(lines, s.startLine, s.endLine);
  if (text.length <= 2 && text.join('').length <= 160) return text;
  if (s.defines.length > 0) {
    const indent = /^(\s*)/.exec(text[0])?.[1] ?? '';
    return s.defines.map((name) => `${indent}${name} = ...`);
  }
  return [];
}

function classSkeleton(lines: readonly string[], c: ClassOutline): string[] {
  const out = [...slice(lines, c.startLine, c.headerEndLine)];
  const doc = docstringFirstLine(lines, c.headerEndLine, c.endLine);
  const memberIndent = /^(\s*)/.exec(lines[c.defLine - 1] ?? '')?.[1] ?? '';
  if (doc) out.push(`${memberIndent}    """${doc.replace(/"""/g, "'''")}"""`);
  let body = 0;
  for (const member of c.members) {
    const part =
      member.kind === 'function'
        ? functionSkeleton(lines, member, `${memberIndent}    `)
        : member.kind === 'class'
          ? classSkeleton(lines, member)
          : statementSkeleton(lines, member);
    out.push(...part);
    body += part.length;
  }
  if (body === 0 && !doc) out.push(`${memberIndent}    ...`);
  return out;
}

function itemSkeleton(lines: readonly string[], item: OutlineItem): string[] {
  switch (item.kind) {
    case 'import':
      return [item.text];
    case 'function':
      return functionSkeleton(lines, item);
    case 'class':
      return classSkeleton(lines, item);
    case 'statement':
      return statementSkeleton(lines, item);
  }
}

const boundNames = (item: OutlineItem): readonly string[] =>
  item.kind === 'import' ? item.boundNames : item.kind === 'statement' ? item.defines : [item.name];

/**
 * The module's skeleton: imports, constants, class headers and every signature with its docstring's first line,
 * bodies replaced by `...`. With `only`, definitions and statements are limited to those binding one of the
 * names (imports are always kept, they are short and tell the model what is available).
 */
export function moduleSkeleton(source: string, outline: ModuleOutline, only?: ReadonlySet<string>): string {
  const lines = source.split('\n');
  const parts: string[] = [];
  for (const item of outline.items) {
    if (only && item.kind !== 'import' && !boundNames(item).some((n) => only.has(n))) continue;
    const part = itemSkeleton(lines, item);
    if (part.length === 0) continue;
    if ((item.kind === 'function' || item.kind === 'class') && parts.length > 0) parts.push('');
    parts.push(...part);
  }
  return parts.join('\n');
}

/** The top-level outline items that start inside the chunk's lines. */
export function itemsOfChunk(outline: ModuleOutline, chunk: Pick<CodeChunk, 'startLine' | 'endLine'>): OutlineItem[] {
  const inside: OutlineItem[] = [];
  const visit = (item: OutlineItem | ClassOutline['members'][number]) => {
    if (item.startLine > chunk.endLine || item.endLine < chunk.startLine) return;
    if (item.startLine >= chunk.startLine && item.endLine <= chunk.endLine) inside.push(item as OutlineItem);
    else if (item.kind === 'class') item.members.forEach(visit);
  };
  outline.items.forEach(visit);
  return inside;
}

/**
 * A summary of a chunk built from its structure alone (no LLM): each definition's signature and first docstring
 * line, each class's bases and methods, the names module statements bind. One line per definition.
 */
export function structuralSummary(
  source: string,
  outline: ModuleOutline,
  chunk: Pick<CodeChunk, 'startLine' | 'endLine'>,
): string {
  const lines = source.split('\n');
  const out: string[] = [];
  for (const item of itemsOfChunk(outline, chunk)) {
    if (item.kind === 'function') {
      const signature = slice(lines, item.defLine, item.headerEndLine)
        .map((l) => l.trim())
        .join(' ')
        .replace(/:\s*$/, '');
      const doc = docstringFirstLine(lines, item.headerEndLine, item.endLine);
      out.push(`${signature}${doc ? ` — ${doc}` : ''}`);
    } else if (item.kind === 'class') {
      const methods = item.members.filter((m): m is FunctionOutline => m.kind === 'function').map((m) => m.name);
      const doc = docstringFirstLine(lines, item.headerEndLine, item.endLine);
      const bases = item.bases.length ? `(${item.bases.join(', ')})` : '';
      out.push(
        `class ${item.name}${bases}${doc ? ` — ${doc}` : ''}${methods.length ? `; methods: ${methods.join(', ')}` : ''}`,
      );
    } else if (item.kind === 'statement' && item.defines.length > 0) {
      out.push(`module-level: ${item.defines.join(', ')}`);
    }
  }
  return out.join('\n');
}
