import { CoverageReport, type CodeChunk, type ModuleOutline } from '@test-agent/domain';
import { FakeTokenCounter } from '@test-agent/domain/testing';
import { ContextBuilder, coveredBodies } from './context-builder.service';
import { moduleSkeleton, structuralSummary } from './module-skeleton';

// A small module, its outline as the tree-sitter parser reports it, and two chunks.
const source = [
  'import math', //                                  1
  'LIMIT = 10', //                                   2
  '', //                                             3
  'class Shape:', //                                 4
  '    """A shape with an area."""', //              5
  '    def area(self) -> float:', //                 6
  '        """Area in square units."""', //          7
  '        return 0.0', //                           8
  '', //                                             9
  'def biggest(shapes: list) -> float:', //          10
  '    """Largest area, capped at LIMIT."""', //     11
  '    best = max(s.area() for s in shapes)', //     12
  '    if best > LIMIT:', //                         13
  '        return LIMIT', //                         14
  '    return math.floor(best)', //                  15
].join('\n');

const area = {
  kind: 'function',
  name: 'area',
  qualifiedName: 'Shape.area',
  isAsync: false,
  decorators: [],
  startLine: 6,
  endLine: 8,
  defLine: 6,
  headerEndLine: 6,
  references: [],
} as const;
const outline: ModuleOutline = {
  lineCount: 15,
  imports: [],
  moduleNames: ['LIMIT', 'Shape', 'biggest', 'math'],
  errors: [],
  items: [
    {
      kind: 'import',
      style: 'plain',
      module: 'math',
      level: 0,
      names: [{ name: 'math' }],
      boundNames: ['math'],
      conditional: false,
      text: 'import math',
      startLine: 1,
      endLine: 1,
    },
    {
      kind: 'statement',
      type: 'expression_statement',
      isDocstring: false,
      isMainGuard: false,
      defines: ['LIMIT'],
      references: [],
      startLine: 2,
      endLine: 2,
    },
    {
      kind: 'class',
      name: 'Shape',
      qualifiedName: 'Shape',
      decorators: [],
      defLine: 4,
      headerEndLine: 4,
      bases: [],
      members: [area],
      references: [],
      headerReferences: [],
      startLine: 4,
      endLine: 8,
    },
    {
      kind: 'function',
      name: 'biggest',
      qualifiedName: 'biggest',
      isAsync: false,
      decorators: [],
      startLine: 10,
      endLine: 15,
      defLine: 10,
      headerEndLine: 10,
      references: ['LIMIT', 'math'],
    },
  ],
};
const chunk = (
  index: number,
  startLine: number,
  endLine: number,
  symbols: string[],
  dependencies: string[],
): CodeChunk => ({
  file: '/src/shapes.py',
  index,
  kind: 'function',
  symbols,
  startLine,
  endLine,
  code:
    source
      .split('\n')
      .slice(startLine - 1, endLine)
      .join('\n') + '\n',
  context: '',
  imports: [],
  dependencies,
  tokens: 0,
  overBudget: false,
});
const chunks = [chunk(0, 1, 9, ['math', 'LIMIT', 'Shape'], []), chunk(1, 10, 15, ['biggest'], ['LIMIT', 'math'])];
const coverage = CoverageReport.fromData('/src/shapes.py', {
  executedLines: [1, 2, 4, 6, 10],
  missingLines: [8, 12, 13, 14, 15],
  executedBranches: [],
  missingBranches: [
    [13, 14],
    [13, 15],
  ],
});

describe('module skeleton', () => {
  it('keeps imports, constants, headers, first docstring lines, and replaces bodies by ...', () => {
    expect(moduleSkeleton(source, outline)).toBe(
      [
        'import math',
        'LIMIT = 10',
        '',
        'class Shape:',
        '    """A shape with an area."""',
        '    def area(self) -> float:',
        '        """Area in square units."""',
        '        ...',
        '',
        'def biggest(shapes: list) -> float:',
        '    """Largest area, capped at LIMIT."""',
        '    ...',
      ].join('\n'),
    );
  });

  it('limits the skeleton to given names but keeps imports', () => {
    expect(moduleSkeleton(source, outline, new Set(['LIMIT']))).toBe('import math\nLIMIT = 10');
  });

  it('summarises a chunk from its structure', () => {
    expect(structuralSummary(source, outline, chunks[0])).toBe(
      'module-level: LIMIT\nclass Shape — A shape with an area.; methods: area',
    );
    expect(structuralSummary(source, outline, chunks[1])).toBe(
      'def biggest(shapes: list) -> float — Largest area, capped at LIMIT.',
    );
  });
});

describe('ContextBuilder', () => {
  const request = {
    source,
    outline,
    chunks,
    chunk: chunks[1],
    coverage,
    moduleName: 'shapes',
    importStatement: 'import shapes',
  };

  it('puts everything in when the budget allows, with uncovered lines marked', async () => {
    const fitted = await new ContextBuilder(new FakeTokenCounter(), 10_000).unitTestPrompt(request);
    expect(fitted.overBudget).toBe(false);
    expect(fitted.dropped).toEqual([]);
    const user = fitted.messages[1].content;
    expect(user).toContain('class Shape:');
    expect(user).toContain('- module-level: LIMIT; class Shape — A shape with an area.; methods: area');
    expect(user).toContain('>>13:     if best > LIMIT:  # branch not taken: line 14, line 15');
    expect(user).toContain('>>15:     return math.floor(best)');
  });

  it('shows only the signature of a function the tests cover fully, focusing the prompt on the ones with gaps', async () => {
    const whole = chunk(0, 1, 15, ['math', 'LIMIT', 'Shape', 'biggest'], []);
    const biggestCovered = CoverageReport.fromData('/src/shapes.py', {
      executedLines: [1, 2, 4, 6, 10, 12, 13, 14, 15],
      missingLines: [8],
      executedBranches: [
        [13, 14],
        [13, 15],
      ],
      missingBranches: [],
    });
    expect(coveredBodies(outline, whole, biggestCovered)).toEqual([{ from: 11, to: 15 }]);
    const fitted = await new ContextBuilder(new FakeTokenCounter(), 10_000).unitTestPrompt({
      ...request,
      chunks: [whole],
      chunk: whole,
      coverage: biggestCovered,
    });
    const user = fitted.messages[1].content;
    expect(user).toContain(
      '  10: def biggest(shapes: list) -> float:\n          ...  # lines 11-15 left out: covered already\n```',
    );
    expect(user).not.toContain('return math.floor(best)');
    // A body of fewer than three lines stays; so does every function with a gap.
    expect(user).toContain('>> 8:         return 0.0');
    expect(coveredBodies(outline, whole, coverage)).toEqual([]);
  });

  it('drops the rest of the skeleton, then summaries, to fit a smaller budget — and counts what it sends', async () => {
    const counter = new FakeTokenCounter();
    const roomy = await new ContextBuilder(counter, 10_000).unitTestPrompt(request);
    const tight = await new ContextBuilder(counter, roomy.tokens - 5).unitTestPrompt(request);
    expect(tight.overBudget).toBe(false);
    expect(tight.tokens).toBeLessThanOrEqual(roomy.tokens - 5);
    expect(tight.dropped[0]).toBe("skeleton outside the chunk's dependencies");
    expect(tight.messages[1].content).not.toContain('def area(self)');
    const words = tight.messages.reduce((n, m) => n + FakeTokenCounter.words(m.content) + 4, 0);
    expect(tight.tokens).toBe(words);
  });

  it('falls back to listing the gaps after the code before giving up', async () => {
    const counter = new FakeTokenCounter();
    const lean = await new ContextBuilder(counter, 10_000).unitTestPrompt(request);
    const leanest = await new ContextBuilder(counter, 210).unitTestPrompt(request);
    expect(lean.messages[1].content).toContain('>>15:');
    expect(leanest.overBudget).toBe(false);
    expect(leanest.dropped).toContain('line marks');
    expect(leanest.messages[1].content).toContain('Lines that never run yet: 12-15.');
    expect(leanest.messages[1].content).not.toContain('>>15:');
  });

  it('reports over budget rather than sending a prompt that cannot fit', async () => {
    const fitted = await new ContextBuilder(new FakeTokenCounter(), 20).unitTestPrompt(request);
    expect(fitted.overBudget).toBe(true);
    expect(fitted.dropped).toContain('module skeleton');
  });

  it('leaves room for the rest of the conversation when asked', async () => {
    const counter = new FakeTokenCounter();
    const roomy = await new ContextBuilder(counter, 10_000).unitTestPrompt(request);
    const withReserve = await new ContextBuilder(counter, roomy.tokens).unitTestPrompt({
      ...request,
      reserveTokens: 10,
    });
    expect(withReserve.tokens).toBeLessThanOrEqual(roomy.tokens - 10);
  });
});
