import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CodeChunker, type ChunkOptions } from '@test-agent/application';
import { resolveModelProfile } from '@test-agent/domain';
import type {
  ChunkingStrategy,
  ClassOutline,
  CodeChunk,
  FunctionOutline,
  ModuleOutline,
  RemoteTokenCounter,
  StatementOutline,
} from '@test-agent/domain';
import { TreeSitterCodeParser } from '../adapters/tree-sitter-parser/tree-sitter-code-parser.adapter';
import { GigaChatTokenCounter } from './token-counter/gigachat-token-counter.adapter';
import { QwenTokenCounter } from './token-counter/qwen-token-counter.adapter';
import { TIKTOKEN_PATTERNS, TiktokenTokenCounter } from './token-counter/tiktoken-token-counter.adapter';
import { LocalTokenCounterFactory } from './token-counter/token-counter-factory';
import { CodeIntelligenceHealthCheck } from '../health/code-intelligence-health-check';

// Token-heavy tests live together in this one file: every test file pays tiktoken's WASM start again.
// The corpus is the standard library of the python3 on PATH (docs: shared/bench/README.md).
const stdlib = execFileSync('python3', ['-c', 'import argparse, os; print(os.path.dirname(argparse.__file__))'], {
  encoding: 'utf8',
}).trim();
const read = (rel: string) => readFileSync(path.join(stdlib, rel), 'utf8');
const CORPUS = ['argparse.py', 'ipaddress.py', 'difflib.py', 'asyncio/base_events.py'];
const BOUND_MODULES = ['optparse.py', 'threading.py', 'ast.py'];

const parser = new TreeSitterCodeParser();
const cl100k = new TiktokenTokenCounter('cl100k_base');

async function chunk(source: string, options: Partial<ChunkOptions> & { maxTokens: number }) {
  const outline = parser.parse(source);
  const result = await new CodeChunker(cl100k).chunk(source, outline, { file: 'm.py', strategy: 'auto', ...options });
  return { outline, result };
}

/** Every line in exactly one chunk, in order, text unchanged; within budget unless flagged; exact token counts. */
function expectInvariants(
  source: string,
  outline: ModuleOutline,
  chunks: readonly CodeChunk[],
  maxTokens: number,
): void {
  const lines = source.split('\n');
  const lineCount = source.endsWith('\n') ? lines.length - 1 : lines.length;
  let next = 1;
  for (const c of chunks) {
    expect(c.startLine).toBe(next);
    expect(c.endLine).toBeGreaterThanOrEqual(c.startLine);
    expect(c.code).toBe(lines.slice(c.startLine - 1, c.endLine).join('\n') + (c.endLine < lines.length ? '\n' : ''));
    next = c.endLine + 1;
    expect(c.tokens).toBe(cl100k.countDirect(c.context + c.code));
    expect(c.overBudget).toBe(c.tokens > maxTokens);
    if (c.overBudget) {
      // only a single statement bigger than the budget by itself (or one line of a windowed definition) may exceed it
      const alone =
        c.kind === 'window'
          ? [c.code.trimEnd()]
          : statementsOf(outline)
              .filter((st) => st.startLine >= c.startLine && st.endLine <= c.endLine)
              .map((st) => lines.slice(st.startLine - 1, st.endLine).join('\n'));
      expect(
        alone.some(
          (text) => cl100k.countDirect(c.context + text) > maxTokens && (c.kind !== 'window' || !text.includes('\n')),
        ),
      ).toBe(true);
    }
  }
  expect(next - 1).toBe(lineCount);
  expect(chunks.map((c) => c.code).join('')).toBe(source);
}

describe('token counters', () => {
  it('uses the exact pre-tokenizer patterns shipped with the encoders', () => {
    for (const name of ['cl100k_base', 'o200k_base'] as const) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const encoder = require(`@dqbd/tiktoken/encoders/${name}.json`) as { pat_str: string };
      expect(TIKTOKEN_PATTERNS[name]).toBe(encoder.pat_str);
    }
  });

  it('counts exactly what tiktoken counts, on code and on tricky text', async () => {
    const tricky = 'x = "<|endoftext|>"  # 日本語 привет 😀\r\n\tDon\'T  WE\'LL\u00a0a\u0085b\ufeffc ſ\n\n\n   \n';
    const o200k = new TiktokenTokenCounter('o200k_base');
    for (const text of [...CORPUS.map(read), tricky]) {
      expect(await cl100k.count(text)).toBe(cl100k.countDirect(text));
      expect(await o200k.count(text)).toBe(o200k.countDirect(text));
    }
    // 19,632 for CPython 3.11.7's argparse.py; the exact figure depends on the python3 found on PATH.
    expect(await cl100k.count(read('argparse.py'))).toBeGreaterThan(19_000);
    expect(await cl100k.countMany(['', 'hello world', 'def f():\n    return 1\n'])).toEqual([0, 2, 8]);
  });

  it('counts Qwen tokens with the real Qwen tokenizer', async () => {
    const qwen = new QwenTokenCounter();
    expect(await qwen.count('Hello, my dog is cute')).toBe(6);
    const source = read('difflib.py');
    const n = await qwen.count(source);
    expect(n).toBe(qwen.countDirect(source));
    // LLM-APIS.md: on ASCII Python, cl100k is within about ±3 % of Qwen
    expect(Math.abs(n - (await cl100k.count(source))) / n).toBeLessThan(0.03);
  });

  it('estimates GigaChat locally, and asks the API when one is plugged in', async () => {
    const text = read('difflib.py');
    const local = new GigaChatTokenCounter('GigaChat-2-Max');
    expect(local.exact).toBe(false);
    expect(await local.count(text)).toBe(Math.ceil(cl100k.countDirect(text) * 1.1));
    const asked: [string, readonly string[]][] = [];
    const remote: RemoteTokenCounter = {
      countTokens: async (model, texts) => (asked.push([model, texts]), texts.map((t) => t.length)),
    };
    const exact = new GigaChatTokenCounter('GigaChat-2-Max', remote);
    expect(exact.exact).toBe(true);
    expect(await exact.countMany(['abc', 'de'])).toEqual([3, 2]);
    expect(asked).toEqual([['GigaChat-2-Max', ['abc', 'de']]]);
  });
});

describe('chunking the benchmark corpus', () => {
  jest.setTimeout(60_000);

  it('argparse.py at 1,000 tokens: nothing over budget, every line exactly once, exact lines', async () => {
    const source = read('argparse.py');
    const { outline, result } = await chunk(source, { maxTokens: 1_000 });
    expectInvariants(source, outline, result.chunks, 1_000);
    const total = cl100k.countDirect(source);
    expect(result.tokens).toBe(total);
    expect(result.chunks.filter((c) => c.overBudget)).toEqual([]);
    expect(Math.max(...result.chunks.map((c) => c.tokens))).toBeLessThanOrEqual(1_000);
    expect(result.chunks.length).toBeLessThanOrEqual(Math.floor((total / 1_000) * 1.5));
    const parseArgs = definitions(outline).find(
      (d) => d.qualifiedName === 'ArgumentParser.parse_args',
    ) as FunctionOutline;
    expect(source.split('\n')[parseArgs.defLine - 1]).toBe('    def parse_args(self, args=None, namespace=None):');
    const holder = result.chunks.filter((c) => c.startLine <= parseArgs.startLine && c.endLine >= parseArgs.endLine);
    expect(holder).toHaveLength(1);
    expect(holder[0].symbols).toContain('ArgumentParser.parse_args');
  });

  it.each(CORPUS)(
    '%s: the invariants hold for every strategy and budget, and the output is deterministic',
    async (rel) => {
      const source = read(rel);
      for (const strategy of ['auto', 'function', 'class', 'statement'] as ChunkingStrategy[]) {
        for (const maxTokens of [1_000, 4_000]) {
          const { outline, result } = await chunk(source, { strategy, maxTokens });
          expectInvariants(source, outline, result.chunks, maxTokens);
          const again = await chunk(source, { strategy, maxTokens });
          expect(again.result).toEqual(result);
        }
      }
    },
  );

  it('keeps async and decorated definitions whole with their decorators, at their exact lines', async () => {
    for (const rel of ['ipaddress.py', 'asyncio/base_events.py']) {
      const source = read(rel);
      const { outline, result } = await chunk(source, { maxTokens: 1_000 });
      const defs = definitions(outline);
      const asyncDefs = defs.filter((d) => d.kind === 'function' && d.isAsync);
      const decorated = defs.filter((d) => d.decorators.length > 0);
      expect(rel === 'ipaddress.py' ? decorated.length : asyncDefs.length).toBeGreaterThan(
        rel === 'ipaddress.py' ? 40 : 20,
      );
      const lines = source.split('\n');
      for (const d of [...asyncDefs, ...decorated]) {
        expect(lines[d.defLine - 1]).toMatch(new RegExp(`^\\s*(async\\s+)?(def|class)\\s+${d.name}\\b`));
        if (d.decorators.length > 0)
          expect(lines[d.startLine - 1].trimStart()).toBe(`@${d.decorators[0].split('\n')[0]}`);
        // the decorators and the def line are in the same chunk (the definition whole, or its first window)
        const owner = result.chunks.filter((c) => c.startLine <= d.startLine && d.startLine <= c.endLine);
        expect(owner).toHaveLength(1);
        expect(owner[0].endLine).toBeGreaterThanOrEqual(d.defLine);
      }
    }
  });

  it.each(BOUND_MODULES)('%s (about 1,700 lines) gives at most (tokens / budget) × 1.5 chunks', async (rel) => {
    const source = read(rel);
    for (const maxTokens of [1_000, 2_000, 4_000, 8_000]) {
      const { result } = await chunk(source, { maxTokens });
      expect(result.lineCount).toBeGreaterThan(1_600);
      expect(result.chunks.length).toBeLessThanOrEqual((result.tokens / maxTokens) * 1.5);
      expect(result.chunks.length).toBeGreaterThanOrEqual(Math.ceil(result.tokens / maxTokens));
    }
  });

  it('chunks a ~20k-line concatenation within the invariants', async () => {
    const source = [
      'argparse.py',
      'ipaddress.py',
      'difflib.py',
      'inspect.py',
      'typing.py',
      'tarfile.py',
      'subprocess.py',
      'mailbox.py',
    ]
      .map(read)
      .join('');
    const { outline, result } = await chunk(source, { maxTokens: 2_000 });
    expect(result.lineCount).toBeGreaterThan(20_000);
    expectInvariants(source, outline, result.chunks, 2_000);
    expect(result.chunks.length).toBeLessThanOrEqual((result.tokens / 2_000) * 1.5);
  });

  it('chunks a module with syntax errors from its partial outline', async () => {
    const source = readFileSync(
      path.join(__dirname, '../adapters/tree-sitter-parser/__fixtures__/syntax_error.py'),
      'utf8',
    );
    const { outline, result } = await chunk(source, { maxTokens: 12, strategy: 'function' });
    expect(result.errors.map((e) => e.line)).toEqual([8, 17]);
    expectInvariants(source, outline, result.chunks, 12);
    expect(result.chunks.flatMap((c) => c.symbols)).toEqual(expect.arrayContaining(['good', 'Fine.method']));
  });
});

describe('CodeIntelligenceHealthCheck', () => {
  it('reports the tokenizer of the configured model and the parser as usable', async () => {
    const results = await new CodeIntelligenceHealthCheck(
      new TreeSitterCodeParser(),
      new LocalTokenCounterFactory(),
      resolveModelProfile('gpt-4'),
    ).run();
    expect(results.map((r) => [r.name, r.ok])).toEqual([
      ['tokenizer', true],
      ['parser', true],
    ]);
    expect(results[0].detail).toMatch(/^cl100k_base \(exact\) for model gpt-4: 13 tokens on the sample in \d+ ms$/);
  });

  it('fails the tokenizer check, with the fix, when GigaChat cannot count', async () => {
    const remote: RemoteTokenCounter = { countTokens: async () => Promise.reject(new Error('401 Unauthorized')) };
    const [tokenizer] = await new CodeIntelligenceHealthCheck(
      new TreeSitterCodeParser(),
      new LocalTokenCounterFactory({ gigachatRemote: remote }),
      resolveModelProfile('GigaChat-2-Max'),
    ).run();
    expect(tokenizer).toEqual({
      name: 'tokenizer',
      ok: false,
      detail: '401 Unauthorized',
      fix: expect.stringContaining('GIGACHAT_AUTH_KEY'),
    });
  });
});

function statementsOf(outline: ModuleOutline): StatementOutline[] {
  const out: StatementOutline[] = [];
  const visit = (items: readonly ModuleOutline['items'][number][]): void => {
    for (const i of items) {
      if (i.kind === 'statement') out.push(i);
      if (i.kind === 'class') visit(i.members);
    }
  };
  visit(outline.items);
  return out;
}

function definitions(outline: ModuleOutline): (FunctionOutline | ClassOutline)[] {
  const out: (FunctionOutline | ClassOutline)[] = [];
  const visit = (items: readonly ModuleOutline['items'][number][]): void => {
    for (const i of items) {
      if (i.kind === 'function') out.push(i);
      if (i.kind === 'class') {
        out.push(i);
        visit(i.members);
      }
    }
  };
  visit(outline.items);
  return out;
}
