import type { ClassOutline, FunctionOutline, ImportOutline, ModuleOutline, StatementOutline } from '@test-agent/domain';
import { FakeTokenCounter } from '@test-agent/domain/testing';
import { CodeChunker } from './code-chunker.service';

// A small module and its outline, written by hand (the tree-sitter adapter's own tests check real outlines).
const SOURCE = [
  'import os', //                          1
  '', //                                   2
  'LIMIT = 3', //                          3
  '', //                                   4
  '', //                                   5
  'def helper():', //                      6
  '    return os.sep', //                  7
  '', //                                   8
  '', //                                   9
  'class Box:', //                         10
  '    """A box."""', //                   11
  '', //                                   12
  '    def __init__(self, size):', //     13
  '        self.size = size', //           14
  '', //                                   15
  '    # doubles it', //                   16
  '    def grow(self):', //                17
  '        return helper() + LIMIT', //    18
  '', //                                   19
  '', //                                   20
  'if __name__ == "__main__":', //         21
  '    helper()', //                       22
  '',
].join('\n');

const fn = (
  name: string,
  startLine: number,
  endLine: number,
  references: string[],
  owner?: string,
): FunctionOutline => ({
  kind: 'function',
  name,
  qualifiedName: owner ? `${owner}.${name}` : name,
  isAsync: false,
  decorators: [],
  startLine,
  endLine,
  defLine: startLine,
  headerEndLine: startLine,
  references,
});
const stmt = (
  startLine: number,
  endLine: number,
  defines: string[],
  references: string[],
  extra: Partial<StatementOutline> = {},
): StatementOutline => ({
  kind: 'statement',
  type: 'expression_statement',
  startLine,
  endLine,
  isDocstring: false,
  isMainGuard: false,
  defines,
  references,
  ...extra,
});
const importOs: ImportOutline = {
  kind: 'import',
  style: 'plain',
  module: 'os',
  level: 0,
  names: [{ name: 'os' }],
  boundNames: ['os'],
  conditional: false,
  startLine: 1,
  endLine: 1,
  text: 'import os',
};
const box: ClassOutline = {
  kind: 'class',
  name: 'Box',
  qualifiedName: 'Box',
  decorators: [],
  startLine: 10,
  endLine: 18,
  defLine: 10,
  headerEndLine: 10,
  bases: [],
  members: [stmt(11, 11, [], []), fn('__init__', 13, 14, [], 'Box'), fn('grow', 17, 18, ['LIMIT', 'helper'], 'Box')],
  references: ['LIMIT', 'helper'],
  headerReferences: [],
};
const OUTLINE: ModuleOutline = {
  lineCount: 22,
  imports: [importOs],
  items: [
    importOs,
    stmt(3, 3, ['LIMIT'], []),
    fn('helper', 6, 7, ['os']),
    box,
    stmt(21, 22, [], ['helper'], { type: 'if_statement', isMainGuard: true }),
  ],
  moduleNames: ['Box', 'LIMIT', 'helper', 'os'],
  errors: [],
};

const lines = SOURCE.split('\n');
const text = (start: number, end: number) =>
  lines
    .slice(start - 1, end)
    .map((l) => `${l}\n`)
    .join('');
const spans = (chunks: readonly { startLine: number; endLine: number }[]) =>
  chunks.map((c) => [c.startLine, c.endLine]);

describe('CodeChunker', () => {
  const chunker = () => new CodeChunker(new FakeTokenCounter());

  it('keeps a module under the small-module threshold as one chunk (the old behaviour)', async () => {
    const result = await chunker().chunk(SOURCE, OUTLINE, { file: 'box.py', strategy: 'auto', maxTokens: 1_000 });
    expect(result.applied).toBe('single');
    expect(result.chunks).toHaveLength(1);
    expect(result.chunks[0]).toMatchObject({
      kind: 'module',
      startLine: 1,
      endLine: 22,
      code: SOURCE,
      context: '',
      tokens: FakeTokenCounter.words(SOURCE),
      symbols: ['helper', 'Box'],
      imports: ['import os'],
      dependencies: [],
      overBudget: false,
    });
  });

  it('splits a class at method boundaries; the methods carry the class header and __init__ signature', async () => {
    // words: import 2, LIMIT 3, helper 4, Box 19 (header 2, docstring 2, __init__ 6, grow 9), main guard 5
    const result = await chunker().chunk(SOURCE, OUTLINE, { file: 'box.py', strategy: 'auto', maxTokens: 16 });
    expect(result.applied).toBe('statement');
    expect(spans(result.chunks)).toEqual([
      [1, 12],
      [13, 15],
      [16, 20],
      [21, 22],
    ]);
    const [head, init, grow, main] = result.chunks;
    // Box (19) is over the budget: its header and docstring fill the first chunk
    expect(head).toMatchObject({
      kind: 'mixed',
      symbols: ['LIMIT', 'helper', 'Box'],
      context: '',
      imports: ['import os'],
      dependencies: [],
      tokens: 13,
    });
    const context = 'class Box:\n    def __init__(self, size):\n';
    expect(init).toMatchObject({
      kind: 'methods',
      symbols: ['Box.__init__'],
      context,
      tokens: 5 + 6,
      dependencies: [],
    });
    expect(grow).toMatchObject({
      kind: 'methods',
      symbols: ['Box.grow'],
      context,
      tokens: 5 + 9,
      dependencies: ['LIMIT', 'helper'],
      imports: [],
    });
    expect(grow.code).toBe(text(16, 20));
    expect(main).toMatchObject({ kind: 'statements', symbols: ['__main__'], dependencies: ['helper'], tokens: 5 });
    expect(result.chunks.map((c) => c.code).join('')).toBe(SOURCE);
    for (const c of result.chunks) expect(c.tokens).toBe(FakeTokenCounter.words(c.context + c.code));
  });

  it('function strategy: definitions and module statements never share a chunk, classes always split', async () => {
    const result = await chunker().chunk(SOURCE, OUTLINE, { file: 'box.py', strategy: 'function', maxTokens: 1_000 });
    expect(result.chunks.map((c) => [c.kind, c.startLine, c.endLine])).toEqual([
      ['statements', 1, 5],
      ['function', 6, 9],
      ['methods', 10, 20],
      ['statements', 21, 22],
    ]);
  });

  it('class strategy: a class fitting the budget is a chunk of its own', async () => {
    const result = await chunker().chunk(SOURCE, OUTLINE, { file: 'box.py', strategy: 'class', maxTokens: 1_000 });
    expect(result.chunks.map((c) => [c.kind, c.startLine, c.endLine])).toEqual([
      ['mixed', 1, 9],
      ['class', 10, 20],
      ['statements', 21, 22],
    ]);
  });

  it('cuts a definition bigger than the budget into line windows with overlap measured in lines', async () => {
    const body = Array.from({ length: 20 }, (_, i) => `    v${i} = ${i}`);
    const source = ['def big(a, b):', ...body, '    return a', ''].join('\n');
    const big = fn('big', 1, 22, []);
    const outline: ModuleOutline = { lineCount: 22, imports: [], items: [big], moduleNames: ['big'], errors: [] };
    // 3 words per line but the last (2); budget 20: first window 6 lines (18); then signature (3) + overlap + 3 lines.
    const result = await chunker().chunk(source, outline, {
      file: 'big.py',
      strategy: 'statement',
      maxTokens: 20,
      overlapRatio: 0.3,
    });
    expect(result.chunks.every((c) => c.kind === 'window' && c.tokens <= 20 && !c.overBudget)).toBe(true);
    expect(spans(result.chunks)).toEqual([
      [1, 6],
      [7, 9],
      [10, 12],
      [13, 15],
      [16, 18],
      [19, 22],
    ]);
    // overlap = floor(0.3 × 20) = 6 tokens = the last 2 lines (3 tokens each) of the previous window, plus the signature
    expect(result.chunks[1].context).toBe('def big(a, b):\n    v3 = 3\n    v4 = 4\n');
    expect(result.chunks[1].tokens).toBe(3 + 6 + 9);
    expect(result.chunks.map((c) => c.code).join('')).toBe(source);
  });

  it('flags a single statement bigger than the budget instead of cutting it', async () => {
    const source = 'DATA = {\n    "a": 1,\n    "b": 2,\n}\ndef f():\n    return DATA\n';
    const outline: ModuleOutline = {
      lineCount: 6,
      imports: [],
      items: [stmt(1, 4, ['DATA'], []), fn('f', 5, 6, ['DATA'])],
      moduleNames: ['DATA', 'f'],
      errors: [],
    };
    const result = await chunker().chunk(source, outline, { file: 'data.py', strategy: 'auto', maxTokens: 5 });
    expect(result.chunks.map((c) => [c.kind, c.startLine, c.endLine, c.tokens, c.overBudget])).toEqual([
      ['statements', 1, 4, 8, true],
      ['function', 5, 6, 4, false],
    ]);
    expect(result.chunks[1].dependencies).toEqual(['DATA']);
  });

  it('gives the same chunks for the same input', async () => {
    const a = await chunker().chunk(SOURCE, OUTLINE, { file: 'box.py', strategy: 'auto', maxTokens: 16 });
    const b = await chunker().chunk(SOURCE, OUTLINE, { file: 'box.py', strategy: 'auto', maxTokens: 16 });
    expect(b).toEqual(a);
  });
});
