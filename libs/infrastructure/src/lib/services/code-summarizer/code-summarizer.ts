import { createHash } from 'node:crypto';
import { structuralSummary } from '@test-agent/application';
import {
  LlmError,
  noopMetrics,
  silentLogger,
  type ChunkSummary,
  type CodeSummarizer,
  type LlmClient,
  type Logger,
  type Metrics,
  type SummaryRequest,
  type ChatMessage,
  type TokenCounter,
} from '@test-agent/domain';

/** Summaries kept per process (a long-running server must not grow without bound). */
export const MAX_CACHED_SUMMARIES = 2_000;

/** The model answered with nothing usable. */
class EmptySummaryError extends Error {
  constructor() {
    super('the model answered with an empty summary');
  }
}

/** Most tokens a summary may have; summaries travel in other chunks' prompts, so they stay short. */
export const SUMMARY_MAX_TOKENS = 160;

const SYSTEM =
  'You summarise Python code for an engineer who writes tests for other parts of the same module. ' +
  'Give at most four short lines: each public name with its signature, what it returns, the exceptions it raises ' +
  'and any side effects. No code blocks, no preamble.';

/**
 * Summarises chunks with the configured LLM, or structurally (signatures, bases, docstrings) when no LLM is
 * configured. Each content is summarised once per process: results are cached by the SHA-256 of the chunk's
 * code. When the LLM call fails (an `LlmError`, or an empty answer), the failure is logged as a warning with its
 * reason and the structural summary is used for this chunk, without caching it; the generation call that follows
 * reports LLM outages as errors on its own. Any other error propagates.
 */
export class CachingCodeSummarizer implements CodeSummarizer {
  private readonly cache = new Map<string, Promise<ChunkSummary>>();

  constructor(
    private readonly llm: LlmClient | undefined,
    private readonly logger: Logger = silentLogger,
    private readonly metrics: Metrics = noopMetrics,
    private readonly model = 'structural',
    /** Counts tokens of a call whose server reports no usage. */
    private readonly counter?: TokenCounter,
  ) {}

  async summarize(request: SummaryRequest): Promise<ChunkSummary> {
    const key = createHash('sha256').update(request.chunk.code).digest('hex');
    const hit = this.cache.get(key);
    if (hit) {
      // Most recently used last: the oldest entry is the first to go.
      this.cache.delete(key);
      this.cache.set(key, hit);
      const { usage: _spent, ...summary } = await hit;
      return { ...summary, cached: true };
    }
    const pending = this.compute(request);
    this.cache.set(key, pending);
    if (this.cache.size > MAX_CACHED_SUMMARIES) this.cache.delete(this.cache.keys().next().value as string);
    const summary = await pending;
    // A structural stand-in for a failed LLM call is not remembered: the next request tries the LLM again.
    if (summary.kind === 'structural' && this.llm) this.cache.delete(key);
    return summary;
  }

  private async compute(request: SummaryRequest): Promise<ChunkSummary> {
    const structural = () => ({
      text: structuralSummary(request.source, request.outline, request.chunk),
      kind: 'structural' as const,
      cached: false,
    });
    if (!this.llm) return structural();
    const started = Date.now();
    try {
      const messages: ChatMessage[] = [
        { role: 'system', content: SYSTEM },
        { role: 'user', content: `\`\`\`python\n${request.chunk.code}\`\`\`` },
      ];
      const result = await this.llm.chat(messages, { maxTokens: SUMMARY_MAX_TOKENS, temperature: 0 });
      const text = result.text.replace(/```\w*\n?/g, '').trim();
      if (!text) throw new EmptySummaryError();
      const usage = result.usage
        ? { promptTokens: result.usage.promptTokens, completionTokens: result.usage.completionTokens }
        : this.counter
          ? {
              promptTokens: (await this.counter.countMany(messages.map((m) => m.content))).reduce((a, n) => a + n, 0),
              completionTokens: await this.counter.count(result.text),
            }
          : undefined;
      return { text, kind: 'llm', cached: false, ...(usage ? { usage } : {}) };
    } catch (e) {
      if (!(e instanceof LlmError) && !(e instanceof EmptySummaryError)) throw e;
      this.logger.child('summarizer').warn('LLM summary failed; using the structural summary', {
        chunk: request.chunk.index,
        symbols: request.chunk.symbols.join(','),
        error: (e as Error).message,
      });
      return structural();
    } finally {
      this.metrics.observe('test_agent_summarization_duration_seconds', (Date.now() - started) / 1000, {
        model: this.model,
      });
    }
  }
}
