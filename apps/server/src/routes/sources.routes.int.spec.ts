import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { get_encoding } from '@dqbd/tiktoken';
import { createContainer, loadConfig } from '@test-agent/composition';
import { silentLogger } from '@test-agent/domain';
import { buildApp } from '../app';

// POST /v1/tokens and /v1/chunks on inline sources: the real chunker (tree-sitter) and the real tokenizer (tiktoken).
const root = path.resolve(__dirname, '../../../..');
const examples = path.join(root, 'examples');

describe('POST /v1/tokens and /v1/chunks with inline sources', () => {
  const cwd = realpathSync(mkdtempSync(path.join(tmpdir(), 'ta-sources-')));
  // The server's scratch folders go under one this spec can watch.
  const serverTmp = path.join(cwd, 'server-tmp');
  mkdirSync(serverTmp);
  const app = buildApp(
    createContainer(loadConfig({ env: {}, cwd, overrides: { apiTokens: ['spec-token'], serverRoots: [examples] } }), {
      logger: silentLogger,
    }),
    { tmpDir: serverTmp },
  );
  const auth = { authorization: 'Bearer spec-token' };
  beforeAll(() => app.ready());
  const encoder = get_encoding('cl100k_base');
  const tokens = (text: string) => encoder.encode(text).length;
  afterAll(async () => {
    encoder.free();
    await app.close();
  });
  const calculator = readFileSync(path.join(examples, 'calculator.py'), 'utf8');
  const cart = readFileSync(path.join(examples, 'shopping_cart.py'), 'utf8');
  const post = (url: string, payload: object, headers: Record<string, string> = auth) =>
    app.inject({ method: 'POST', url, headers, payload });

  it('counts the tokens of inline files, answered with the paths sent (exact cl100k counts)', async () => {
    const res = await post('/v1/tokens', {
      files: [
        { path: 'pkg/calculator.py', content: calculator },
        { path: 'pkg/cart.py', content: cart },
        { path: 'README.md', content: '# not python\n' },
      ],
    });
    expect(res.statusCode).toBe(200);
    const body = res.json() as {
      path: string;
      exactCounts: boolean;
      files: { file: string; tokens: number; characters: number }[];
      totalTokens: number;
      model: { tokenizer: string };
    };
    expect(body.model.tokenizer).toBe('cl100k_base');
    expect(body.exactCounts).toBe(true);
    expect(body.path).toBe('.');
    expect(body.files).toEqual([
      {
        file: 'pkg/calculator.py',
        lines: calculator.split('\n').length - 1,
        characters: calculator.length,
        tokens: tokens(calculator),
      },
      { file: 'pkg/cart.py', lines: cart.split('\n').length - 1, characters: cart.length, tokens: tokens(cart) },
    ]);
    expect(body.totalTokens).toBe(tokens(calculator) + tokens(cart));
  });

  it('counts one module sent as content, and a target among files', async () => {
    const one = (await post('/v1/tokens', { content: calculator })).json() as { path: string; totalTokens: number };
    expect(one).toMatchObject({ path: 'module.py', totalTokens: tokens(calculator) });
    const target = (
      await post('/v1/tokens', {
        files: [
          { path: 'a/x.py', content: calculator },
          { path: 'b/y.py', content: cart },
        ],
        target: 'b',
      })
    ).json() as { files: { file: string }[] };
    expect(target.files.map((f) => f.file)).toEqual(['b/y.py']);
  });

  it('answers the same chunks for inline content as for the file on the server', async () => {
    const inline = (
      await post('/v1/chunks', {
        files: [{ path: 'shopping_cart.py', content: cart }],
        target: 'shopping_cart.py',
        strategy: 'function',
        maxTokens: 200,
      })
    ).json() as { mode: string; chunks: { file: string; startLine: number; endLine: number; tokens: number }[] };
    const served = (
      await post('/v1/chunks', { path: path.join(examples, 'shopping_cart.py'), strategy: 'function', maxTokens: 200 })
    ).json() as typeof inline;
    expect(inline.mode).toBe('file');
    expect(inline.chunks.length).toBeGreaterThan(1);
    expect(inline.chunks.map((c) => c.file)).toEqual(inline.chunks.map(() => 'shopping_cart.py'));
    expect(inline.chunks.map(({ startLine, endLine, tokens: t }) => [startLine, endLine, t])).toEqual(
      served.chunks.map(({ startLine, endLine, tokens: t }) => [startLine, endLine, t]),
    );
    const lone = (
      await post('/v1/chunks', { content: cart, strategy: 'function', maxTokens: 200 })
    ).json() as typeof inline;
    expect(lone.chunks.map((c) => [c.file, c.startLine])).toEqual(inline.chunks.map((c) => ['module.py', c.startLine]));
  });

  it('refuses bad inline sources (400), keeps no files, and server-side paths outside serverRoots (403)', async () => {
    const scratch = () =>
      readdirSync(serverTmp)
        .filter((f) => f.startsWith('test-agent-sources-'))
        .flatMap((d) => readdirSync(path.join(serverTmp, d)));
    expect(readdirSync(serverTmp).filter((f) => f.startsWith('test-agent-sources-'))).toHaveLength(1);
    for (const url of ['/v1/tokens', '/v1/chunks']) {
      expect((await post(url, { files: [{ path: '../evil.py', content: 'X = 1\n' }] })).json()).toMatchObject({
        status: 400,
        title: 'TA_BAD_SOURCE_PATH',
      });
      expect(
        (await post(url, { content: 'X = 1\n', path: path.join(examples, 'calculator.py') })).json(),
      ).toMatchObject({ status: 400, title: 'TA_BAD_SOURCES_REQUEST' });
      expect((await post(url, {})).json()).toMatchObject({ status: 400, title: 'TA_BAD_SOURCES_REQUEST' });
      expect((await post(url, { files: [{ path: 'a.py', content: 'X = 1\n' }], target: 'b.py' })).json()).toMatchObject(
        { status: 400, title: 'TA_PATH_NOT_FOUND' },
      );
      expect((await post(url, { content: 'X = 1\n', bogus: 1 })).statusCode).toBe(400);
      expect(
        (await post(url, { path: path.join(root, 'tools', 'bench', 'chunking', 'ast_chunker.py') })).json(),
      ).toMatchObject({ status: 403, title: 'TA_PATH_OUTSIDE_SERVER_ROOTS' });
      expect((await post(url, { content: 'X = 1\n' }, {})).statusCode).toBe(401);
    }
    expect(scratch()).toEqual([]);
  });
});
