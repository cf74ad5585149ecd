import type {
  ChunkKind,
  ChunkingStrategy,
  CodeChunk,
  ModuleOutline,
  SyntaxErrorLocation,
  TokenCounter,
} from '@test-agent/domain';
import { SourceLines } from './source-lines';
import { buildSegments, leaves, sumTokens, type ClassScope, type Segment } from './segments';

/** Options of one chunking run. */
export interface ChunkOptions {
  /** File name put on every chunk. */
  readonly file: string;
  readonly strategy: ChunkingStrategy;
  /** Tokens one chunk (context + code) may have. */
  readonly maxTokens: number;
  /** `auto`: a module of at most this many tokens (and within `maxTokens`) is one chunk. Default 4,000. */
  readonly smallModuleTokens?: number;
  /** Sliding windows repeat about this share of the budget from the previous window, as whole lines. Default 0.1. */
  readonly overlapRatio?: number;
  /** `auto`: split a class at method boundaries to fill the current chunk when it is less than this full. Default 0.5. */
  readonly fillRatio?: number;
}

/** A module cut into chunks. */
export interface ChunkedModule {
  readonly file: string;
  readonly lineCount: number;
  /** Tokens of the whole module. */
  readonly tokens: number;
  /** What was done: `single` (small module, one chunk) or the strategy that split it. */
  readonly applied: 'single' | Exclude<ChunkingStrategy, 'auto'>;
  readonly chunks: CodeChunk[];
  /** Syntax errors of the module (chunks are then built from a partial outline). */
  readonly errors: readonly SyntaxErrorLocation[];
}

export const DEFAULT_SMALL_MODULE_TOKENS = 4_000;
const DEFAULT_OVERLAP_RATIO = 0.1;
const DEFAULT_FILL_RATIO = 0.5;

interface Draft {
  readonly segments: Segment[];
  /** Scope whose context the draft carries (it starts inside that class). */
  readonly scope?: ClassScope;
  readonly contextText: string;
  readonly contextTokens: number;
  tokens: number;
  /** A chunk that takes nothing more (a whole class under the `class` strategy). */
  sealed: boolean;
}

interface Built {
  readonly startLine: number;
  readonly endLine: number;
  readonly kind: ChunkKind;
  readonly symbols: readonly string[];
  readonly context: string;
  readonly tokens: number;
  readonly references: ReadonlySet<string>;
  readonly defines: ReadonlySet<string>;
}

/**
 * Splits a module into chunks that fit a token budget. Invariants (tested on the benchmark corpus): the chunks
 * partition the module's lines in order (every line in exactly one chunk, `code`s concatenate to the source);
 * each chunk's `tokens` (context + code) is within `maxTokens` unless `overBudget` is set, which happens only
 * when a single statement or line is bigger than the budget; the same input gives the same output.
 *
 * Token counts rely on the `TokenCounter` being additive at segment boundaries (segments start at non-blank
 * lines), so each line is counted once (definitions bigger than the budget: twice, for their windows).
 */
export class CodeChunker {
  constructor(private readonly counter: TokenCounter) {}

  async chunk(source: string, outline: ModuleOutline, options: ChunkOptions): Promise<ChunkedModule> {
    const lines = new SourceLines(source);
    const segments = buildSegments(outline, lines);
    const leafSegments = leaves(segments);
    const counts = await this.counter.countMany(leafSegments.map((s) => lines.text(s.startLine, s.endLine)));
    leafSegments.forEach((s, i) => (s.tokens = counts[i]));
    const total = sumTokens(segments);
    const max = options.maxTokens;
    const base = { file: options.file, lineCount: lines.count, tokens: total, errors: outline.errors };
    if (lines.count === 0) return { ...base, applied: 'single', chunks: [] };

    const smallModule = options.smallModuleTokens ?? DEFAULT_SMALL_MODULE_TOKENS;
    if (options.strategy === 'auto' && total <= Math.min(smallModule, max)) {
      const built: Built = {
        startLine: 1,
        endLine: lines.count,
        kind: 'module',
        symbols: outline.items.flatMap((i) => (i.kind === 'function' || i.kind === 'class' ? [i.qualifiedName] : [])),
        context: '',
        tokens: total,
        references: new Set(segments.flatMap((s) => s.references)),
        defines: new Set(segments.flatMap((s) => s.defines)),
      };
      return { ...base, applied: 'single', chunks: this.finish([built], outline, lines, options) };
    }
    const applied = options.strategy === 'auto' ? 'statement' : options.strategy;
    const built = await new Packer(this.counter, lines, options, applied).pack(segments);
    return { ...base, applied, chunks: this.finish(built, outline, lines, options) };
  }

  /** Adds code, imports and cross-chunk dependencies. */
  private finish(
    built: readonly Built[],
    outline: ModuleOutline,
    lines: SourceLines,
    options: ChunkOptions,
  ): CodeChunk[] {
    const importsByName = new Map<string, Set<number>>();
    outline.imports.forEach((imp, i) => {
      for (const name of imp.boundNames) {
        if (!importsByName.has(name)) importsByName.set(name, new Set());
        importsByName.get(name)?.add(i);
      }
    });
    const definedSomewhere = new Set<string>();
    for (const b of built) for (const d of b.defines) if (!isOnlyImported(d, b, outline)) definedSomewhere.add(d);
    return built.map((b, index) => {
      const importIndexes = new Set<number>();
      for (const r of b.references) for (const i of importsByName.get(r) ?? []) importIndexes.add(i);
      const dependencies = [...b.references].filter((r) => !b.defines.has(r) && definedSomewhere.has(r)).sort();
      return {
        file: options.file,
        index,
        kind: b.kind,
        symbols: b.symbols,
        startLine: b.startLine,
        endLine: b.endLine,
        code: lines.text(b.startLine, b.endLine),
        context: b.context,
        imports: [...importIndexes].sort((x, y) => x - y).map((i) => outline.imports[i].text),
        dependencies,
        tokens: b.tokens,
        overBudget: b.tokens > options.maxTokens,
      };
    });
  }
}

/** A name a chunk "defines" only because one of its imports binds it does not make it a dependency target. */
function isOnlyImported(name: string, b: Built, outline: ModuleOutline): boolean {
  return (
    outline.imports.some(
      (imp) => imp.startLine >= b.startLine && imp.endLine <= b.endLine && imp.boundNames.includes(name),
    ) &&
    !outline.items.some(
      (i) => i.kind !== 'import' && i.startLine >= b.startLine && i.endLine <= b.endLine && definesName(i, name),
    )
  );
}

function definesName(item: ModuleOutline['items'][number], name: string): boolean {
  if (item.kind === 'function' || item.kind === 'class') return item.name === name;
  if (item.kind === 'statement') return item.defines.includes(name);
  return false;
}

class Packer {
  private readonly out: Built[] = [];
  private current?: Draft;
  private readonly contextTokens = new Map<string, number>();

  constructor(
    private readonly counter: TokenCounter,
    private readonly lines: SourceLines,
    private readonly options: ChunkOptions,
    private readonly strategy: Exclude<ChunkingStrategy, 'auto'>,
  ) {}

  private get max(): number {
    return this.options.maxTokens;
  }

  async pack(segments: readonly Segment[]): Promise<Built[]> {
    const queue = [...segments];
    const fill = (this.options.strategy === 'auto' ? (this.options.fillRatio ?? DEFAULT_FILL_RATIO) : 0) * this.max;
    while (queue.length > 0) {
      const seg = queue.shift() as Segment;
      if (this.strategy === 'function' && seg.children) {
        queue.unshift(...seg.children);
        continue;
      }
      const cur = this.current;
      if (cur && !cur.sealed && this.canJoin(cur, seg) && cur.tokens + seg.tokens <= this.max) {
        cur.segments.push(seg);
        cur.tokens += seg.tokens;
        continue;
      }
      // auto: a class that does not fit is split at member boundaries to fill the chunk when the chunk is less than
      // `fillRatio` full or the class is big anyway (over half the budget): fewer, fuller chunks.
      if (
        fill > 0 &&
        seg.children &&
        cur &&
        !cur.sealed &&
        this.canJoin(cur, seg) &&
        (seg.tokens > this.max / 2 || this.max - cur.tokens >= fill)
      ) {
        queue.unshift(...seg.children);
        continue;
      }
      this.close();
      const context = await this.contextOf(seg.scope);
      if (context.tokens + seg.tokens <= this.max) {
        this.current = {
          segments: [seg],
          scope: seg.scope,
          contextText: context.text,
          contextTokens: context.tokens,
          tokens: context.tokens + seg.tokens,
          sealed: this.strategy === 'class' && seg.kind === 'class',
        };
        continue;
      }
      if (seg.children) {
        queue.unshift(...seg.children);
        continue;
      }
      if (seg.kind === 'function' && seg.fn && seg.endLine > seg.startLine) {
        await this.windows(seg, context);
        continue;
      }
      // A single statement bigger than the budget: one chunk, flagged over budget.
      this.current = {
        segments: [seg],
        scope: seg.scope,
        contextText: context.text,
        contextTokens: context.tokens,
        tokens: context.tokens + seg.tokens,
        sealed: true,
      };
      this.close();
    }
    this.close();
    return this.out;
  }

  private canJoin(cur: Draft, seg: Segment): boolean {
    if (this.strategy === 'statement') return true;
    const last = cur.segments[cur.segments.length - 1];
    if (last.group !== seg.group) return false;
    if (this.strategy === 'class') return seg.kind !== 'class';
    // function: at module level, definitions and statements do not share chunks
    if (seg.group === '') return isDefinition(last) === isDefinition(seg);
    return true;
  }

  private async contextOf(scope: ClassScope | undefined): Promise<{ text: string; tokens: number }> {
    if (!scope) return { text: '', tokens: 0 };
    let tokens = this.contextTokens.get(scope.contextText);
    if (tokens === undefined) {
      tokens = await this.counter.count(scope.contextText);
      this.contextTokens.set(scope.contextText, tokens);
    }
    return { text: scope.contextText, tokens };
  }

  private close(): void {
    const cur = this.current;
    if (!cur) return;
    this.current = undefined;
    const segs = cur.segments;
    this.out.push({
      startLine: segs[0].startLine,
      endLine: segs[segs.length - 1].endLine,
      kind: kindOf(segs),
      symbols: [...new Set(segs.flatMap((s) => s.symbols))],
      context: cur.contextText,
      tokens: cur.tokens,
      references: new Set(segs.flatMap((s) => allReferences(s))),
      defines: new Set(segs.flatMap((s) => s.defines)),
    });
  }

  /**
   * Sliding windows over one definition bigger than the budget. Lines are grouped (a non-blank line and the
   * blank lines after it) and counted; each window takes as many groups as fit after its context (the class
   * header, the definition's signature, and overlap: the last lines of the previous window worth at most
   * `overlapRatio × budget` tokens, counted per line, never the whole previous window).
   */
  private async windows(seg: Segment, owner: { text: string; tokens: number }): Promise<void> {
    const fn = seg.fn as NonNullable<Segment['fn']>;
    const groups: { start: number; end: number }[] = [];
    for (let n = seg.startLine; n <= seg.endLine; n++) {
      if (groups.length > 0 && this.lines.isBlank(n)) groups[groups.length - 1].end = n;
      else groups.push({ start: n, end: n });
    }
    const tokens = await this.counter.countMany(groups.map((g) => this.lines.text(g.start, g.end)));
    const signature = this.lines.text(fn.defLine, fn.headerEndLine);
    const signatureTokens = await this.counter.count(signature);
    const overlapBudget = Math.floor(this.max * (this.options.overlapRatio ?? DEFAULT_OVERLAP_RATIO));
    let overlap = { from: 0, to: 0, tokens: 0 }; // groups [from, to)
    let signatureFits = true;
    let i = 0;
    while (i < groups.length) {
      const first = i === 0;
      const withSignature =
        signatureFits && !first && (overlap.from === overlap.to || groups[overlap.from].start > fn.headerEndLine);
      const contextTokens = owner.tokens + (withSignature ? signatureTokens : 0) + overlap.tokens;
      let j = i;
      let sum = 0;
      while (j < groups.length && contextTokens + sum + tokens[j] <= this.max) sum += tokens[j++];
      if (j === i && overlap.tokens > 0) {
        overlap = { from: 0, to: 0, tokens: 0 };
        continue;
      }
      if (j === i && withSignature) {
        signatureFits = false;
        continue;
      }
      if (j === i) sum = tokens[j++]; // one line over the budget even alone: flagged
      const overlapText =
        overlap.from < overlap.to ? this.lines.text(groups[overlap.from].start, groups[overlap.to - 1].end) : '';
      this.out.push({
        startLine: groups[i].start,
        endLine: groups[j - 1].end,
        kind: 'window',
        symbols: seg.symbols,
        context: owner.text + (withSignature ? signature : '') + overlapText,
        tokens: contextTokens + sum,
        references: new Set(seg.references),
        defines: new Set(first ? seg.defines : []),
      });
      let from = j;
      let overlapTokens = 0;
      while (from - 1 > i && overlapTokens + tokens[from - 1] <= overlapBudget) overlapTokens += tokens[--from];
      overlap = { from, to: j, tokens: overlapTokens };
      signatureFits = true;
      i = j;
    }
  }
}

function isDefinition(s: Segment): boolean {
  return s.kind === 'function' || s.kind === 'class';
}

function allReferences(s: Segment): readonly string[] {
  return s.children ? s.children.flatMap(allReferences) : s.references;
}

function kindOf(segs: readonly Segment[]): ChunkKind {
  if (segs.every((s) => s.group === '' && s.kind === 'function')) return 'function';
  if (segs.every((s) => s.group === '' && s.kind === 'class')) return 'class';
  if (segs.every((s) => s.group === '' && (s.kind === 'statement' || s.kind === 'import'))) return 'statements';
  const group = segs[0].group;
  if (group !== '' && segs.every((s) => s.group === group)) return 'methods';
  return 'mixed';
}
