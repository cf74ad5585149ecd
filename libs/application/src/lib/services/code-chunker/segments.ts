import type { ClassOutline, FunctionOutline, ModuleOutline, OutlineItem, StatementOutline } from '@test-agent/domain';
import type { SourceLines } from './source-lines';

/** A class whose members may be chunked apart from its header: they then carry `contextText` as context. */
export interface ClassScope {
  readonly name: string;
  readonly parent?: ClassScope;
  /** Header lines (`class X(...):`) of the enclosing classes and of this one. */
  readonly headerText: string;
  /** `headerText`, then this class's `__init__` signature lines. */
  readonly contextText: string;
}

/**
 * A run of source lines the chunker moves as one piece. Segments of a module partition its lines; each starts at
 * a non-blank line (blank lines stay at the end of the segment before), so BPE token counts of consecutive
 * segments add up exactly to the count of their concatenation.
 */
export interface Segment {
  readonly startLine: number;
  readonly endLine: number;
  /** Tokens of the segment's text (for a split class: the sum of its children). */
  tokens: number;
  readonly kind: 'import' | 'statement' | 'function' | 'class' | 'class-header';
  /** `func`, `Class`, `Class.method`; statements list the names they bind. */
  readonly symbols: readonly string[];
  /** Module-level names this segment binds (definitions, assignments, imports). */
  readonly defines: readonly string[];
  /** Module-level names this segment uses. */
  readonly references: readonly string[];
  /** The class this segment sits in (its members' context); undefined at module level. */
  readonly scope?: ClassScope;
  /** The class a segment belongs to for grouping (a class header belongs to its own class); '' at module level. */
  readonly group: string;
  /** Header first, then members: present when the class can be split at member boundaries. */
  readonly children?: Segment[];
  /** The definition, for sliding windows. */
  readonly fn?: FunctionOutline;
}

interface Placed<T> {
  readonly item: T;
  readonly start: number;
}

/** Places block boundaries at item starts (comments above attached), merging items that share lines. */
function place<T extends { startLine: number; endLine: number }>(
  lines: SourceLines,
  items: readonly T[],
  floor: number,
): Placed<T[]>[] {
  const placed: Placed<T[]>[] = [];
  let prevEnd = floor;
  for (const item of items) {
    const start = lines.attachComments(item.startLine, prevEnd);
    const last = placed[placed.length - 1];
    if (last && start <= prevEnd) last.item.push(item);
    else placed.push({ item: [item], start });
    prevEnd = Math.max(prevEnd, item.endLine);
  }
  return placed;
}

const unique = (xs: Iterable<string>): string[] => [...new Set(xs)].sort();

/** Builds the segment tree of a module (top-level segments; classes with member children). */
export function buildSegments(outline: ModuleOutline, lines: SourceLines): Segment[] {
  const total = lines.count;
  if (total === 0) return [];
  if (outline.items.length === 0) {
    return [
      {
        startLine: 1,
        endLine: total,
        tokens: 0,
        kind: 'statement',
        symbols: [],
        defines: [],
        references: [],
        group: '',
      },
    ];
  }
  const placed = place(lines, outline.items, 0);
  return placed.map((p, i) => {
    const start = i === 0 ? 1 : p.start;
    const end = i + 1 < placed.length ? placed[i + 1].start - 1 : total;
    return segmentOf(p.item, start, end, lines, undefined);
  });
}

function segmentOf(
  items: readonly OutlineItem[],
  start: number,
  end: number,
  lines: SourceLines,
  scope: ClassScope | undefined,
): Segment {
  const group = scope?.name ?? '';
  if (items.length > 1) {
    return {
      startLine: start,
      endLine: end,
      tokens: 0,
      kind: 'statement',
      symbols: unique(items.flatMap(symbolsOf)),
      defines: scope ? [] : unique(items.flatMap(definesOf)),
      references: unique(items.flatMap((i) => ('references' in i ? i.references : []))),
      scope,
      group,
    };
  }
  const item = items[0];
  switch (item.kind) {
    case 'import':
      return {
        startLine: start,
        endLine: end,
        tokens: 0,
        kind: 'import',
        symbols: [],
        defines: scope ? [] : item.boundNames,
        references: [],
        scope,
        group,
      };
    case 'statement':
      return {
        startLine: start,
        endLine: end,
        tokens: 0,
        kind: 'statement',
        symbols: symbolsOf(item),
        defines: scope ? [] : item.defines,
        references: item.references,
        scope,
        group,
      };
    case 'function':
      return {
        startLine: start,
        endLine: end,
        tokens: 0,
        kind: 'function',
        symbols: [item.qualifiedName],
        defines: scope ? [] : [item.name],
        references: item.references,
        scope,
        group,
        fn: item,
      };
    case 'class':
      return classSegment(item, start, end, lines, scope);
  }
}

function symbolsOf(item: OutlineItem): string[] {
  if (item.kind === 'function' || item.kind === 'class') return [item.qualifiedName];
  if (item.kind === 'statement') return item.isMainGuard ? ['__main__'] : [...item.defines];
  return [];
}

function definesOf(item: OutlineItem): string[] {
  if (item.kind === 'function' || item.kind === 'class') return [item.name];
  if (item.kind === 'statement') return [...item.defines];
  return [...item.boundNames];
}

function classSegment(
  cls: ClassOutline,
  start: number,
  end: number,
  lines: SourceLines,
  parent: ClassScope | undefined,
): Segment {
  const base = {
    startLine: start,
    endLine: end,
    tokens: 0,
    kind: 'class' as const,
    symbols: [cls.qualifiedName],
    defines: parent ? [] : [cls.name],
    references: cls.references,
    scope: parent,
    group: parent?.name ?? '',
  };
  const members = cls.members.filter((m) => m.startLine > cls.headerEndLine);
  if (members.length === 0 || members.length !== cls.members.length) return base;
  const init = members.find((m): m is FunctionOutline => m.kind === 'function' && m.name === '__init__');
  const header = lines.text(cls.defLine, cls.headerEndLine);
  const headerText = (parent?.headerText ?? '') + header;
  const initText = init ? lines.text(init.defLine, init.headerEndLine) : '';
  const scope: ClassScope = { name: cls.qualifiedName, parent, headerText, contextText: headerText + initText };
  const placed = place(
    lines,
    members as readonly (FunctionOutline | ClassOutline | StatementOutline)[],
    cls.headerEndLine,
  );
  const headerSegment: Segment = {
    startLine: start,
    endLine: placed[0].start - 1,
    tokens: 0,
    kind: 'class-header',
    symbols: [cls.qualifiedName],
    defines: parent ? [] : [cls.name],
    references: cls.headerReferences,
    scope: parent,
    group: cls.qualifiedName,
  };
  const children = placed.map((p, i) =>
    segmentOf(p.item, p.start, i + 1 < placed.length ? placed[i + 1].start - 1 : end, lines, scope),
  );
  return { ...base, children: [headerSegment, ...children] };
}

/** Leaf segments of a tree, in line order (the ones whose tokens are counted). */
export function leaves(segments: readonly Segment[]): Segment[] {
  const out: Segment[] = [];
  const visit = (s: Segment): void => {
    if (s.children) s.children.forEach(visit);
    else out.push(s);
  };
  segments.forEach(visit);
  return out;
}

/** Sets each split class's tokens to the sum of its children (after the leaves were counted). */
export function sumTokens(segments: readonly Segment[]): number {
  let total = 0;
  for (const s of segments) {
    if (s.children) s.tokens = sumTokens(s.children);
    total += s.tokens;
  }
  return total;
}
