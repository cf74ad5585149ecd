import type { CodeChunk } from '../value-objects/code-chunk.value-object';
import type { ModuleOutline } from '../value-objects/module-outline.value-object';

/** A chunk to summarise, with the module it belongs to. */
export interface SummaryRequest {
  readonly chunk: CodeChunk;
  /** The whole module's source and outline (for structural summaries). */
  readonly source: string;
  readonly outline: ModuleOutline;
}

export interface ChunkSummary {
  readonly text: string;
  /** `llm` when a model wrote it, `structural` when built from signatures and docstrings. */
  readonly kind: 'llm' | 'structural';
  /** True when it came from the cache (no LLM call was made). */
  readonly cached: boolean;
  /** Tokens the LLM call spent (reported by the server, else estimated); absent when no call was made. */
  readonly usage?: { readonly promptTokens: number; readonly completionTokens: number };
}

/**
 * Summaries of chunks for other chunks' prompts. Each distinct chunk content is summarised once (cached by
 * content hash), never by re-reading every previous chunk.
 */
export interface CodeSummarizer {
  summarize(request: SummaryRequest): Promise<ChunkSummary>;
}
