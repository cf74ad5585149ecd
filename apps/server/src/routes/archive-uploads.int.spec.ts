import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { pack, type Header } from 'tar-stream';
import { createContainer, loadConfig } from '@test-agent/composition';
import { silentLogger } from '@test-agent/domain';
import { buildApp } from '../app';

// Archive uploads over multipart/form-data: real tar.gz (tar-stream, and the system tar for the listing) and real
// zip files (written by Python's zipfile), every hostile entry refused before anything is written.
const root = path.resolve(__dirname, '../../../..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureBuilt } = require(path.join(root, 'tools/build/build.cjs')) as { ensureBuilt: () => Promise<void> };

type Entry = Partial<Header> & { name: string; content?: string | Buffer };

/** A .tar.gz of `entries` (tar-stream writes any entry type: links, devices, `..` names). */
async function tarGz(entries: Entry[]): Promise<Buffer> {
  const tar = pack();
  const done = (async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of tar) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  })();
  for (const { content, ...header } of entries) tar.entry(header, content ?? '');
  tar.finalize();
  return gzipSync(await done);
}

/** A multipart/form-data body: `archive` (named `filename`) and the other fields. */
async function form(
  archive: Buffer | undefined,
  fields: Record<string, string>,
  filename = 'sources.tar.gz',
  field = 'archive',
): Promise<{ payload: Buffer; headers: Record<string, string> }> {
  const data = new FormData();
  for (const [k, v] of Object.entries(fields)) data.append(k, v);
  if (archive) data.append(field, new Blob([archive]), filename);
  const request = new Request('http://localhost/', { method: 'POST', body: data });
  return {
    payload: Buffer.from(await request.arrayBuffer()),
    headers: { 'content-type': request.headers.get('content-type')! },
  };
}

describe('POST /v1/generations with an archive upload', () => {
  jest.setTimeout(240_000);
  const work = realpathSync(mkdtempSync(path.join(tmpdir(), 'ta-archives-')));
  // The server's temp folders (its job folders among them) go under a folder this spec can watch.
  const serverTmp = path.join(work, 'server-tmp');
  mkdirSync(serverTmp);
  process.env.TEST_AGENT_FLAKY_RERUNS = '2';
  const MiB = 1024 * 1024;
  // The archives are unpacked on the built server's source threads, as in production.
  const build = () =>
    buildApp(
      createContainer(
        loadConfig({
          env: {},
          cwd: work,
          overrides: {
            flakyReruns: 2,
            apiTokens: ['spec-token'],
            archiveMaxBytes: 4 * MiB,
            archiveMaxEntries: 5_000,
            archiveMaxUnpackedBytes: 16 * MiB,
            maxTimeBudgetSeconds: 60,
          },
        }),
        { logger: silentLogger },
      ),
      { tmpDir: serverTmp, sourceThreadScript: path.join(root, 'dist/apps/server/source-thread.js') },
    );
  let app: ReturnType<typeof build>;
  const auth = { authorization: 'Bearer spec-token' };
  // Started before the refusals look at the server's temp folder (starting writes the server's job config).
  beforeAll(async () => {
    await ensureBuilt();
    app = build();
    await app.ready();
  });
  const calculator = readFileSync(path.join(root, 'examples', 'calculator.py'));
  afterAll(async () => {
    await app.close();
  });

  /** Every file under the server's temp folder (job folders hold the sources they were sent). */
  const written = (dir = serverTmp): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? written(path.join(dir, e.name)) : [path.join(dir, e.name)],
    );
  const post = async (
    archive: Buffer | undefined,
    fields: Record<string, string>,
    filename?: string,
    headers = auth,
    field?: string,
  ) => {
    const body = await form(archive, fields, filename, field);
    return app.inject({
      method: 'POST',
      url: '/v1/generations',
      headers: { ...headers, ...body.headers },
      payload: body.payload,
    });
  };
  const zip = (kind: string): Buffer => {
    const out = path.join(work, `${kind}.zip`);
    const made = spawnSync(
      'python3',
      [path.join(__dirname, '__fixtures__', 'make_zip.py'), out, kind, path.join(root, 'examples', 'calculator.py')],
      { encoding: 'utf8' },
    );
    expect(made.stderr).toBe('');
    return readFileSync(out);
  };
  const waitFor = async (id: string) => {
    for (;;) {
      const job = (await app.inject({ method: 'GET', url: `/v1/generations/${id}`, headers: auth })).json() as {
        state: string;
        report?: { targetMet: boolean; modules: { module: string }[] };
      };
      if (!['queued', 'running'].includes(job.state)) return job;
      await new Promise((r) => setTimeout(r, 300));
    }
  };

  it('runs a job on a .tar.gz upload, options as form fields, exactly as on inline files', async () => {
    const archive = await tarGz([
      { name: './', type: 'directory' },
      { name: './calc/', type: 'directory' },
      { name: './calc/calculator.py', content: calculator },
    ]);
    const res = await post(archive, { target: 'calc', timeBudgetSeconds: '5', strategy: 'offline' });
    expect(res.statusCode).toBe(202);
    const { id } = res.json() as { id: string };
    expect(res.headers.location).toBe(`/v1/generations/${id}`);
    const job = await waitFor(id);
    expect(job).toMatchObject({ state: 'completed', report: { targetMet: true } });
    const tests = await app.inject({ method: 'GET', url: `/v1/generations/${id}/tests`, headers: auth });
    const listing = spawnSync('tar', ['-tz'], { input: tests.rawPayload, encoding: 'utf8' });
    expect(listing.stdout.split('\n')).toContain('test_calculator.py');
    // The job's sources were written where the refusals below look for files.
    expect(written().filter((f) => f.endsWith(path.join('src', 'calc', 'calculator.py')))).toHaveLength(1);
  });

  it('runs a job on a .zip upload', async () => {
    const res = await post(zip('ok'), { target: 'calc/calculator.py', timeBudgetSeconds: '5' }, 'sources.zip');
    expect(res.statusCode).toBe(202);
    const job = await waitFor((res.json() as { id: string }).id);
    expect(job).toMatchObject({ state: 'completed', report: { targetMet: true } });
  });

  describe('refuses hostile archives with 400 before anything is written', () => {
    let before: string[];
    beforeEach(() => {
      before = written();
    });
    afterEach(() => {
      // No job folder or file appeared, and nothing escaped next to the server's temp folder.
      expect(written()).toEqual(before);
      expect(readdirSync(work).filter((f) => f.includes('evil'))).toEqual([]);
    });

    it.each([
      [
        'a "../" name',
        [
          { name: 'ok.py', content: 'X = 1\n' },
          { name: '../evil.py', content: 'X = 1\n' },
        ],
        'TA_BAD_SOURCE_PATH',
      ],
      ['an absolute name', [{ name: '/tmp/evil.py', content: 'X = 1\n' }], 'TA_BAD_SOURCE_PATH'],
      ['a ".." inside a name', [{ name: 'pkg/../../evil.py', content: 'X = 1\n' }], 'TA_BAD_SOURCE_PATH'],
      [
        'a symbolic link',
        [
          { name: 'ok.py', content: 'X = 1\n' },
          { name: 'link.py', type: 'symlink', linkname: '/etc/passwd' },
        ],
        'TA_ARCHIVE_LINK',
      ],
      [
        'a hard link',
        [
          { name: 'ok.py', content: 'X = 1\n' },
          { name: 'hard.py', type: 'link', linkname: 'ok.py' },
        ],
        'TA_ARCHIVE_LINK',
      ],
      ['a fifo', [{ name: 'pipe', type: 'fifo' }], 'TA_ARCHIVE_SPECIAL_FILE'],
      ['a device', [{ name: 'null', type: 'character-device', devmajor: 1, devminor: 3 }], 'TA_ARCHIVE_SPECIAL_FILE'],
    ] as [string, Entry[], string][])('tar.gz with %s', async (_what, entries, code) => {
      const res = await post(await tarGz(entries), { target: '.' });
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: 400, title: code });
    });

    it('tar.gz with 10,000 files', async () => {
      const entries = Array.from({ length: 10_000 }, (_, i) => ({ name: `pkg/m${i}.py`, content: `X = ${i}\n` }));
      const res = await post(await tarGz(entries), { target: '.' });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ title: 'TA_ARCHIVE_TOO_MANY_ENTRIES' });
      expect((res.json() as { detail: string }).detail).toContain('5000');
    });

    it('a tar.gz bomb: 100 MiB of zeros in a 100 KiB upload', async () => {
      const bomb = await tarGz([{ name: 'big.py', content: Buffer.alloc(100 * MiB) }]);
      expect(bomb.length).toBeLessThan(MiB);
      const res = await post(bomb, { target: '.' });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ title: 'TA_ARCHIVE_TOO_LARGE_UNPACKED' });
    });

    it.each([
      ['slip', 'TA_BAD_SOURCE_PATH'],
      ['absolute', 'TA_BAD_SOURCE_PATH'],
      ['symlink', 'TA_ARCHIVE_LINK'],
      ['many', 'TA_ARCHIVE_TOO_MANY_ENTRIES'],
      ['bomb', 'TA_ARCHIVE_TOO_LARGE_UNPACKED'],
    ])('zip: %s', async (kind, code) => {
      const res = await post(zip(kind), { target: '.' }, 'sources.zip');
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ title: code });
    });

    it('zip whose headers understate what it inflates to (the bytes are counted, not the headers believed)', async () => {
      const res = await post(zip('liar'), { target: '.' }, 'sources.zip');
      expect(res.statusCode).toBe(400);
      expect(['TA_ARCHIVE_TOO_LARGE_UNPACKED', 'TA_BAD_ARCHIVE']).toContain((res.json() as { title: string }).title);
    });

    it('a file that is no archive, a missing target, an unknown field, a budget over the limit', async () => {
      expect((await post(Buffer.from('just text'), { target: '.' })).json()).toMatchObject({
        status: 400,
        title: 'TA_BAD_ARCHIVE',
      });
      expect((await post(await tarGz([{ name: 'a.py', content: 'X = 1\n' }]), {})).statusCode).toBe(400);
      expect(
        (await post(await tarGz([{ name: 'a.py', content: 'X = 1\n' }]), { target: 'b.py' })).json(),
      ).toMatchObject({ status: 400, title: 'TA_PATH_NOT_FOUND' });
      expect(
        (await post(await tarGz([{ name: 'a.py', content: 'X = 1\n' }]), { target: '.', sandbox: 'off' })).statusCode,
      ).toBe(400);
      expect(
        (
          await post(await tarGz([{ name: 'a.py', content: 'X = 1\n' }]), { target: '.', timeBudgetSeconds: '100000' })
        ).json(),
      ).toMatchObject({ status: 400, title: 'TA_BUDGET_TOO_LARGE' });
      expect(
        (
          await post(await tarGz([{ name: 'a.py', content: 'X = 1\n' }]), { target: '.' }, 'x.tar.gz', auth, 'sources')
        ).json(),
      ).toMatchObject({ status: 400, title: 'TA_BAD_UPLOAD' });
      // Neither JSON nor multipart: not validated by either schema, so refused.
      const text = await app.inject({
        method: 'POST',
        url: '/v1/generations',
        headers: { ...auth, 'content-type': 'text/plain' },
        payload: '{"files": []}',
      });
      expect(text.json()).toMatchObject({ status: 415, title: 'TA_UNSUPPORTED_MEDIA_TYPE' });
    });
  });

  it('refuses a 100 MB upload with 413, on its Content-Length and on a body without one', async () => {
    const big = await form(Buffer.alloc(100 * 1000 * 1000, 1), { target: '.' });
    const declared = await app.inject({
      method: 'POST',
      url: '/v1/generations',
      headers: { ...auth, ...big.headers },
      payload: big.payload,
    });
    expect(declared.statusCode).toBe(413);
    expect(declared.json()).toMatchObject({ title: 'TA_ARCHIVE_TOO_LARGE' });
    // Streamed (no Content-Length): cut off by the multipart limit.
    const ten = await form(Buffer.alloc(10 * MiB, 1), { target: '.' });
    const streamed = await app.inject({
      method: 'POST',
      url: '/v1/generations',
      headers: { ...auth, ...ten.headers },
      payload: Readable.from([ten.payload]),
    });
    expect(streamed.statusCode).toBe(413);
    expect(streamed.json()).toMatchObject({ title: 'TA_ARCHIVE_TOO_LARGE' });
    // A body cut short is the client's fault: 400, not 500.
    const cut = await app.inject({
      method: 'POST',
      url: '/v1/generations',
      headers: { ...auth, ...ten.headers },
      payload: Readable.from([ten.payload.subarray(0, MiB)]),
    });
    expect(cut.json()).toMatchObject({ status: 400, title: 'TA_BAD_UPLOAD' });
  });

  it('refuses an upload without a token (401) before reading it', async () => {
    const res = await post(
      await tarGz([{ name: 'a.py', content: 'X = 1\n' }]),
      { target: '.' },
      'a.tar.gz',
      {} as typeof auth,
    );
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ title: 'TA_UNAUTHENTICATED' });
  });
});
