import { createHash } from 'node:crypto';
import { structuralSummary } from '@test-agent/application';
import {
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

/** Most tokens a summary may have; summaries travel in other chunks' prompts, so they stay short. */
export const SUMMARY_MAX_TOKENS = 160;

const SYSTEM =
  'You summarise Python code for an engineer who writes tests for other parts of the same module. ' +
  'Give at most four short lines: each public name with its signature, what it returns, the exceptions it raises ' +
  'and any side effects. No code blocks, no preamble.';

/**
 * Summarises chunks with the configured LLM, or structurally (signatures, bases, docstrings) when no LLM is
 * configured. Each content is summarised once per process: results are cached by the SHA-256 of the chunk's
 * code. When the LLM call fails, the failure is logged as a warning with its reason and the structural summary
 * is used for this chunk (the generation call that follows reports LLM outages as errors on its own).
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

  summarize(request: SummaryRequest): Promise<ChunkSummary> {
    const key = createHash('sha256').update(request.chunk.code).digest('hex');
    const hit = this.cache.get(key);
    if (hit) return hit.then(({ usage: _spent, ...s }) => ({ ...s, cached: true }));
    const pending = this.compute(request);
    this.cache.set(key, pending);
    return pending;
  }

  private async compute(request: SummaryRequest): Promise<ChunkSummary> {
    const structural = () => ({ text: structuralSummary(request.source, request.outline, request.chunk), kind: 'structural' as const, cached: false });
    if (!this.llm) return structural();
    const started = Date.now();
    try {
      const messages: ChatMessage[] = [
        { role: 'system', content: SYSTEM },
        { role: 'user', content: `\`\`\`python\n${request.chunk.code}\`\`\`` },
      ];
      const result = await this.llm.chat(messages, { maxTokens: SUMMARY_MAX_TOKENS, temperature: 0 });
      const text = result.text.replace(/```\w*\n?/g, '').trim();
      if (!text) throw new Error('empty summary');
      const usage = result.usage
        ? { promptTokens: result.usage.promptTokens, completionTokens: result.usage.completionTokens }
        : this.counter
          ? { promptTokens: (await this.counter.countMany(messages.map((m) => m.content))).reduce((a, n) => a + n, 0), completionTokens: await this.counter.count(result.text) }
          : undefined;
      return { text, kind: 'llm', cached: false, ...(usage ? { usage } : {}) };
    } catch (e) {
      this.logger.child('summarizer').warn('LLM summary failed; using the structural summary', {
        chunk: request.chunk.index,
        symbols: request.chunk.symbols.join(','),
        error: (e as Error).message,
      });
      return structural();
    } finally {
      this.metrics.observe('test_agent_summarization_duration_seconds', (Date.now() - started) / 1000, { model: this.model });
    }
  }
}
