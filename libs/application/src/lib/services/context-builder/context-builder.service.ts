import type {
  ChatMessage,
  ClassOutline,
  CodeChunk,
  CoverageReport,
  FunctionOutline,
  ModuleOutline,
  TokenCounter,
} from '@test-agent/domain';
import { PromptBuilder, type LineRange } from '../prompt-builder/prompt-builder.service';
import { moduleSkeleton, structuralSummary } from './module-skeleton';

/** Tokens a chat protocol adds per message (role markers), counted on top of the contents. */
export const MESSAGE_OVERHEAD_TOKENS = 4;

export interface ChunkPromptRequest {
  /** The module's source text and outline. */
  readonly source: string;
  readonly outline: ModuleOutline;
  /** All chunks of the module, and the one to write tests for. */
  readonly chunks: readonly CodeChunk[];
  readonly chunk: CodeChunk;
  /** Current coverage of the module (accepted tests so far): what is still missing gets marked. */
  readonly coverage: CoverageReport;
  readonly moduleName: string;
  readonly importStatement: string;
  /** Summaries by chunk index (LLM or structural); a missing one is built structurally. */
  readonly summaries?: ReadonlyMap<number, string>;
  /** Tokens the rest of the conversation needs on top of this prompt (a repair turn, a follow-up). */
  readonly reserveTokens?: number;
}

export interface FittedPrompt {
  readonly messages: ChatMessage[];
  /** Tokens of the whole prompt, as the model's tokenizer counts them (plus message overheads). */
  readonly tokens: number;
  /** What was left out to fit, e.g. `summary of chunk 3`, `skeleton outside the chunk's dependencies`. */
  readonly dropped: readonly string[];
  /** True when even the smallest form is over budget; such a prompt must not be sent. */
  readonly overBudget: boolean;
}

/** Sum of message tokens as the model sees them. */
export async function countMessages(counter: TokenCounter, messages: readonly ChatMessage[]): Promise<number> {
  const counts = await counter.countMany(messages.map((m) => m.content));
  return counts.reduce((a, b) => a + b + MESSAGE_OVERHEAD_TOKENS, 0);
}

const topName = (symbol: string) => symbol.split('.')[0];

/** A covered function body shorter than this stays in the prompt (leaving it out saves next to nothing). */
const MIN_ELIDED_LINES = 3;

/**
 * Bodies of the functions and methods inside `chunk` that the tests already cover fully (every line, every
 * branch): the prompt shows their signatures only and focuses on the functions with gaps.
 */
export function coveredBodies(outline: ModuleOutline, chunk: CodeChunk, coverage: CoverageReport): LineRange[] {
  const lastLine = chunk.startLine + chunk.code.replace(/\n$/, '').split('\n').length - 1;
  const span = coverage.project(chunk.startLine, chunk.endLine);
  const gapIn = (from: number, to: number) =>
    span.missingLines.some((l) => l >= from && l <= to) || span.missingBranches.some(([b]) => b >= from && b <= to);
  const ranges: LineRange[] = [];
  const visit = (items: readonly (FunctionOutline | ClassOutline | { kind: string })[]) => {
    for (const item of items) {
      if (item.kind === 'class') visit((item as ClassOutline).members);
      if (item.kind !== 'function') continue;
      const fn = item as FunctionOutline;
      const body = { from: fn.headerEndLine + 1, to: fn.endLine };
      if (fn.defLine < chunk.startLine || body.to > lastLine || body.to - body.from + 1 < MIN_ELIDED_LINES) continue;
      if (!gapIn(fn.defLine, fn.endLine)) ranges.push(body);
    }
  };
  visit(outline.items);
  return ranges;
}

/**
 * Builds the prompt for one chunk and fits it into the prompt budget in priority order: the chunk's code with
 * its uncovered lines marked always; then a skeleton of the names the chunk uses; then summaries of the chunks
 * it depends on (in dependency order); then the rest of the module skeleton. Counted with the model's tokenizer.
 */
export class ContextBuilder {
  constructor(
    private readonly counter: TokenCounter,
    /** floor(0.9 × context window) − reserved completion tokens: the most a whole prompt may have. */
    private readonly promptBudgetTokens: number,
    private readonly prompts = new PromptBuilder(),
  ) {}

  get budget(): number {
    return this.promptBudgetTokens;
  }

  /** Chunks holding definitions `chunk` depends on, in the order of its dependencies. */
  dependencyChunks(chunks: readonly CodeChunk[], chunk: CodeChunk): CodeChunk[] {
    const found: CodeChunk[] = [];
    for (const name of chunk.dependencies) {
      const owner = chunks.find((c) => c.index !== chunk.index && c.symbols.some((s) => topName(s) === name));
      if (owner && !found.includes(owner)) found.push(owner);
    }
    return found;
  }

  async unitTestPrompt(request: ChunkPromptRequest): Promise<FittedPrompt> {
    const { chunk, coverage, source, outline } = request;
    const span = coverage.project(chunk.startLine, chunk.endLine);
    const elided = coveredBodies(outline, chunk, coverage);
    const excerpt = {
      code: chunk.code.replace(/\n$/, ''),
      startLine: chunk.startLine,
      missingLines: span.missingLines,
      missingBranches: span.missingBranches,
      ...(elided.length ? { elided } : {}),
    };
    const deps = this.dependencyChunks(request.chunks, chunk);
    const summaries = deps.map((c) => ({
      index: c.index,
      text: request.summaries?.get(c.index) ?? structuralSummary(source, outline, c),
    }));
    const used = new Set([...chunk.dependencies, ...chunk.symbols.map(topName)]);
    const full = moduleSkeleton(source, outline);
    const reduced = moduleSkeleton(source, outline, used);

    // Candidates from richest to leanest; the first that fits wins.
    const candidates: { skeleton: string; summaries: number; dropped: string[]; compact?: boolean }[] = [
      { skeleton: full, summaries: summaries.length, dropped: [] },
    ];
    for (let k = summaries.length; k >= 0; k--) {
      candidates.push({
        skeleton: reduced,
        summaries: k,
        dropped: [
          "skeleton outside the chunk's dependencies",
          ...summaries.slice(k).map((s) => `summary of chunk ${s.index}`),
        ],
      });
    }
    const allSummaries = summaries.map((s) => `summary of chunk ${s.index}`);
    candidates.push({ skeleton: '', summaries: 0, dropped: ['module skeleton', ...allSummaries] });
    // Last resort: the uncovered lines listed after the code instead of every line numbered and marked.
    candidates.push({
      skeleton: reduced,
      summaries: 0,
      compact: true,
      dropped: ["skeleton outside the chunk's dependencies", ...allSummaries, 'line marks'],
    });
    candidates.push({
      skeleton: '',
      summaries: 0,
      compact: true,
      dropped: ['module skeleton', ...allSummaries, 'line marks'],
    });

    const limit = this.promptBudgetTokens - (request.reserveTokens ?? 0);
    let last: FittedPrompt | undefined;
    for (const candidate of candidates) {
      const messages = this.prompts.unitTests({
        moduleName: request.moduleName,
        importStatement: request.importStatement,
        skeleton: candidate.skeleton,
        summaries: summaries.slice(0, candidate.summaries).map((s) => s.text.replace(/\n/g, '; ')),
        excerpt,
        symbols: chunk.symbols,
        compact: candidate.compact,
      });
      const tokens = await countMessages(this.counter, messages);
      last = { messages, tokens, dropped: candidate.dropped, overBudget: tokens > limit };
      if (!last.overBudget) return last;
    }
    return last as FittedPrompt;
  }
}
