import { LlmHttpError, type CodeChunk } from '@test-agent/domain';
import { CapturingLogger, FakeLlmClient, InMemoryMetrics } from '@test-agent/domain/testing';
import { TreeSitterCodeParser } from '../../adapters/tree-sitter-parser/tree-sitter-code-parser.adapter';
import { CachingCodeSummarizer } from './code-summarizer';

const source = 'def area(w: float, h: float) -> float:\n    """Area of a rectangle."""\n    return w * h\n';
const outline = new TreeSitterCodeParser().parse(source);
const chunk: CodeChunk = {
  file: 'geo.py',
  index: 0,
  kind: 'function',
  symbols: ['area'],
  startLine: 1,
  endLine: 3,
  code: source,
  context: '',
  imports: [],
  dependencies: [],
  tokens: 20,
  overBudget: false,
};

describe('CachingCodeSummarizer', () => {
  it('summarises each content once, then serves it from the cache', async () => {
    const llm = new FakeLlmClient('fake http://llm', [{ text: 'area(w, h) -> float: w*h.' }]);
    const metrics = new InMemoryMetrics();
    const summarizer = new CachingCodeSummarizer(llm, undefined, metrics, 'qwen2.5:7b');
    const first = await summarizer.summarize({ chunk, source, outline });
    const second = await summarizer.summarize({ chunk: { ...chunk, index: 7 }, source, outline });
    expect(first).toEqual({ text: 'area(w, h) -> float: w*h.', kind: 'llm', cached: false });
    expect(second).toEqual({ text: 'area(w, h) -> float: w*h.', kind: 'llm', cached: true });
    expect(llm.calls).toHaveLength(1);
    expect(llm.calls[0].messages[1].content).toContain('return w * h');
    expect(metrics.records.filter((r) => r.name === 'test_agent_summarization_duration_seconds')).toHaveLength(1);
  });

  it('builds a structural summary without an LLM', async () => {
    const summary = await new CachingCodeSummarizer(undefined).summarize({ chunk, source, outline });
    expect(summary).toEqual({
      text: 'def area(w: float, h: float) -> float — Area of a rectangle.',
      kind: 'structural',
      cached: false,
    });
  });

  it('falls back to the structural summary when the LLM fails, and logs why', async () => {
    const logger = new CapturingLogger();
    const llm = new FakeLlmClient('fake http://llm', [
      { error: new LlmHttpError('fake http://llm', 503, 'Service Unavailable') },
    ]);
    const summary = await new CachingCodeSummarizer(llm, logger).summarize({ chunk, source, outline });
    expect(summary.kind).toBe('structural');
    expect(logger.lines).toEqual([
      expect.objectContaining({
        level: 'warn',
        component: 'summarizer',
        message: 'LLM summary failed; using the structural summary',
      }),
    ]);
    expect(String(logger.lines[0].fields?.error)).toContain('Service Unavailable');
  });

  it('does not remember a fallback: the next request tries the LLM again', async () => {
    const llm = new FakeLlmClient('fake http://llm', [
      { error: new LlmHttpError('fake http://llm', 503, 'Service Unavailable') },
      { text: 'area(w, h): w*h.' },
    ]);
    const summarizer = new CachingCodeSummarizer(llm, new CapturingLogger());
    expect((await summarizer.summarize({ chunk, source, outline })).kind).toBe('structural');
    expect(await summarizer.summarize({ chunk, source, outline })).toMatchObject({
      kind: 'llm',
      text: 'area(w, h): w*h.',
      cached: false,
    });
    expect(llm.calls).toHaveLength(2);
  });

  it('lets errors that are not LLM failures propagate', async () => {
    const llm = new FakeLlmClient('fake http://llm', [{ error: new TypeError('a bug') }]);
    await expect(new CachingCodeSummarizer(llm).summarize({ chunk, source, outline })).rejects.toThrow('a bug');
  });
});
