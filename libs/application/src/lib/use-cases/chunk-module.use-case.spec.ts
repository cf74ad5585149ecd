import { InvalidInputError, type CodeParser } from '@test-agent/domain';
import { FakeTokenCounterFactory, InMemoryPythonSourceReader } from '@test-agent/domain/testing';
import { ChunkModule } from './chunk-module.use-case';
import { CountTokens } from './count-tokens.use-case';

/** A parser that sees every module as plain statements (the chunker's own tests cover real outlines). */
const plainParser: CodeParser = {
  parse: (source) => ({
    lineCount: source.split('\n').length - 1,
    imports: [],
    items: [],
    moduleNames: [],
    errors: [],
  }),
};

const files = {
  '/p/pkg/a.py': 'x = 1\ny = 2\n',
  '/p/pkg/__init__.py': '',
  '/p/pkg/sub/b.py': 'def f():\n    return 1\n',
  '/p/pkg/bad.py': new Uint8Array([0, 1, 2]),
  '/p/empty.py': '  \n',
  '/p/notes.txt': 'hello',
};

function make(defaults = {}) {
  const counters = new FakeTokenCounterFactory();
  const reader = new InMemoryPythonSourceReader(files);
  const chunkModule = new ChunkModule({ reader, parser: plainParser, counters, defaults });
  return { chunkModule, counters, countTokens: new CountTokens({ reader, chunkModule }) };
}

describe('ChunkModule', () => {
  it('chunks one file with the budget of the configured model', async () => {
    const { chunkModule, counters } = make({ model: 'qwen2.5:7b', promptOverheadTokens: 1_000 });
    const r = await chunkModule.execute({ path: '/p/pkg/a.py' });
    expect(r.mode).toBe('file');
    expect(r.model).toMatchObject({ model: 'qwen2.5:7b', tokenizer: 'qwen' });
    expect(r.budget.maxTokens).toBe(29_491 - 4_096 - 1_000);
    expect(counters.profiles[0].tokenizer).toBe('qwen');
    expect(r.chunks.map((c) => [c.file, c.startLine, c.endLine, c.kind, c.tokens])).toEqual([
      ['/p/pkg/a.py', 1, 2, 'module', 6],
    ]);
  });

  it('takes --max-tokens and --model over the defaults', async () => {
    const { chunkModule } = make({ model: 'qwen2.5:7b' });
    const r = await chunkModule.execute({ path: '/p/pkg/a.py', maxTokens: 3, model: 'gpt-4o' });
    expect(r.model.tokenizer).toBe('o200k_base');
    expect(r.budget.toJSON()).toMatchObject({ maxTokens: 3, source: 'explicit' });
    expect(r.chunks.map((c) => [c.startLine, c.endLine, c.tokens, c.overBudget])).toEqual([[1, 2, 6, true]]);
  });

  it('in package mode chunks every module, skipping empty and unreadable files with the reason', async () => {
    const { chunkModule } = make();
    const r = await chunkModule.execute({ path: '/p/pkg' });
    expect(r.mode).toBe('package');
    expect(r.files.map((f) => f.file)).toEqual(['/p/pkg/a.py', '/p/pkg/sub/b.py']);
    expect(r.skipped).toEqual([
      { file: '/p/pkg/__init__.py', reason: 'empty' },
      { file: '/p/pkg/bad.py', reason: '/p/pkg/bad.py is a binary file, not Python source' },
    ]);
    expect(r.chunks.map((c) => c.file)).toEqual(['/p/pkg/a.py', '/p/pkg/sub/b.py']);
  });

  it('honours exclude patterns in package mode', async () => {
    const r = await make().chunkModule.execute({ path: '/p/pkg', exclude: ['sub/'] });
    expect(r.files.map((f) => f.file)).toEqual(['/p/pkg/a.py']);
  });

  it.each([
    ['/p/missing.py', 'TA_PATH_NOT_FOUND'],
    ['/p/empty.py', 'TA_EMPTY_MODULE'],
    ['/p/notes.txt', 'TA_NOT_PYTHON'],
    ['/p/pkg/bad.py', 'TA_BINARY_FILE'],
  ])('rejects %s with %s', async (path, code) => {
    const error = await make()
      .chunkModule.execute({ path })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ code });
  });

  it('rejects a folder without Python files', async () => {
    const reader = new InMemoryPythonSourceReader({ '/q/readme.md': '# hi' });
    const chunkModule = new ChunkModule({ reader, parser: plainParser, counters: new FakeTokenCounterFactory() });
    await expect(chunkModule.execute({ path: '/q' })).rejects.toMatchObject({
      code: 'TA_NO_PYTHON_FILES',
      message: 'No Python files (.py) under /q',
    });
  });
});

describe('CountTokens', () => {
  it('counts a file and a package with the model tokenizer', async () => {
    const { countTokens } = make();
    const one = await countTokens.execute({ path: '/p/pkg/sub/b.py' });
    expect(one.files).toEqual([{ file: '/p/pkg/sub/b.py', lines: 2, characters: 22, tokens: 4 }]);
    const all = await countTokens.execute({ path: '/p/pkg', model: 'gpt-4' });
    expect(all.model.tokenizer).toBe('cl100k_base');
    expect(all.totalTokens).toBe(6 + 4 + 0);
    expect(all.skipped).toEqual([
      { file: '/p/pkg/bad.py', reason: '/p/pkg/bad.py is a binary file, not Python source' },
    ]);
  });
});
