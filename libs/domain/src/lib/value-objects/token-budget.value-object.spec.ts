import { InvalidInputError } from '../errors/test-agent.error';
import { parseChunkingStrategy } from './chunking-strategy.value-object';
import { resolveModelProfile } from './model-profile.value-object';
import { TokenBudget } from './token-budget.value-object';

describe('model profiles', () => {
  it.each([
    ['qwen2.5:7b', 'qwen', 'qwen', 32_768],
    ['Qwen2.5-7B-Instruct', 'qwen', 'qwen', 32_768],
    ['GigaChat-2-Max', 'gigachat-2', 'gigachat', 128_000],
    ['GigaChat-Pro', 'gigachat', 'gigachat', 8_192],
    ['GigaChat-Plus', 'gigachat-plus', 'gigachat', 32_768],
    ['gpt-4o-mini', 'gpt-4o', 'o200k_base', 128_000],
    ['gpt-4-turbo', 'gpt-4-turbo', 'cl100k_base', 128_000],
    ['gpt-4', 'gpt-4', 'cl100k_base', 8_192],
    ['gpt-3.5-turbo', 'gpt-3.5', 'cl100k_base', 16_385],
    ['some-local-model', 'default', 'cl100k_base', 8_192],
  ])('%s uses profile %s (%s, %d-token context)', (model, profile, tokenizer, contextWindow) => {
    expect(resolveModelProfile(model)).toMatchObject({ model, profile, tokenizer, contextWindow });
  });

  it('uses the default profile when no model is configured', () => {
    expect(resolveModelProfile(undefined)).toEqual({
      model: 'default',
      profile: 'default',
      tokenizer: 'cl100k_base',
      contextWindow: 8_192,
      reservedCompletionTokens: 1_024,
    });
  });

  it('lets configuration override the context window and the reserved completion', () => {
    expect(
      resolveModelProfile('qwen2.5:7b', { contextWindow: 131_072, reservedCompletionTokens: 8_192 }),
    ).toMatchObject({ contextWindow: 131_072, reservedCompletionTokens: 8_192, tokenizer: 'qwen' });
  });
});

describe('TokenBudget', () => {
  it('is floor(0.9 × context) − reserved completion − prompt overhead', () => {
    // floor(0.9 × 32768) = 29491; − 4096 − 1500 = 23895
    expect(TokenBudget.forModel(resolveModelProfile('qwen2.5:7b')).maxTokens).toBe(23_895);
    // floor(0.9 × 8192) = 7372; − 1024 − 1000 = 5348
    expect(TokenBudget.forModel(resolveModelProfile(undefined), 1_000).maxTokens).toBe(5_348);
    // floor(0.9 × 1001) = 900 (not 900.9 rounded up); − 100 − 0 = 800
    expect(
      TokenBudget.forModel(resolveModelProfile('x', { contextWindow: 1_001, reservedCompletionTokens: 100 }), 0)
        .maxTokens,
    ).toBe(800);
  });

  it('refuses a budget with no room for code', () => {
    const profile = resolveModelProfile('gpt-4', { contextWindow: 2_000 });
    expect(() => TokenBudget.forModel(profile, 1_500)).toThrow(InvalidInputError);
    expect(() => TokenBudget.forModel(profile, 1_500)).toThrow(
      'floor(0.9 × 2000) − 1024 reserved − 1500 prompt overhead = -724 tokens',
    );
  });

  it('takes an explicit maximum, a positive integer only', () => {
    expect(TokenBudget.ofMaxTokens(1_000).toJSON()).toEqual({
      maxTokens: 1_000,
      source: 'explicit',
      contextWindow: undefined,
      reservedCompletionTokens: undefined,
      promptOverheadTokens: undefined,
    });
    for (const bad of [0, -5, 1.5, Number.NaN]) expect(() => TokenBudget.ofMaxTokens(bad)).toThrow(InvalidInputError);
  });
});

describe('parseChunkingStrategy', () => {
  it('accepts the four strategies and names them when given another', () => {
    expect(['auto', 'function', 'class', 'statement'].map(parseChunkingStrategy)).toEqual([
      'auto',
      'function',
      'class',
      'statement',
    ]);
    expect(() => parseChunkingStrategy('sliding')).toThrow(
      'Unknown chunking strategy "sliding": use one of auto, function, class, statement',
    );
  });
});
