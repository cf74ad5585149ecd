import path from 'node:path';

// The bundled server with source threads, against the same server answering on its event loop: same answers,
// same problems, the threads' metrics in /metrics, and /health answered while a large module is being chunked.
const root = path.resolve(__dirname, '../../../..');
const TOKEN = 'e2e-token';
/* eslint-disable @typescript-eslint/no-require-imports */
const { ensureBuilt } = require(path.join(root, 'tools/build/build.cjs')) as { ensureBuilt: () => Promise<void> };
const { startServer, stopServer } = require(path.join(root, 'tools/bench/server/server-process.cjs')) as {
  startServer: (name: string, env: Record<string, string>) => Promise<Server>;
  stopServer: (server: Server) => Promise<void>;
};
/* eslint-enable @typescript-eslint/no-require-imports */

interface Server {
  readonly address: string;
  readonly log: readonly Record<string, unknown>[];
}

const headers = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };

const MODULE = [
  'import os',
  '',
  'class Cart:',
  '    """A cart."""',
  '',
  '    def __init__(self):',
  '        self.items = []',
  '',
  '    def add(self, name: str, price: float) -> None:',
  '        if price < 0:',
  '            raise ValueError("negative")',
  '        self.items.append((name, price))',
  '',
  '    def total(self) -> float:',
  '        return sum(p for _, p in self.items)',
  '',
  'def home() -> str:',
  '    return os.path.expanduser("~")',
  '',
].join('\n');

/** A module of `n` small functions: thousands of lines the chunker parses, splits and counts. */
const bigModule = (n: number) =>
  Array.from(
    { length: n },
    (_, i) =>
      `def f_${i}(x: int) -> int:\n    """Step ${i}."""\n    if x > ${i}:\n        return x - ${i}\n    return x + ${i}\n`,
  ).join('\n');

async function post(server: Server, route: string, body: object): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://${server.address}${route}`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

/** An answer without the fields that differ from run to run. */
function comparable(answer: { status: number; body: unknown }): unknown {
  return JSON.parse(JSON.stringify(answer), (key, value) => (key === 'durationMs' ? undefined : value));
}

describe('source threads', () => {
  jest.setTimeout(120_000);
  let threaded: Server;
  let eventLoop: Server;

  beforeAll(async () => {
    await ensureBuilt();
    [threaded, eventLoop] = await Promise.all([
      startServer('threads-2', { TEST_AGENT_API_TOKENS: TOKEN, TEST_AGENT_SOURCE_THREADS: '2' }),
      startServer('threads-0', { TEST_AGENT_API_TOKENS: TOKEN, TEST_AGENT_SOURCE_THREADS: '0' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([threaded, eventLoop].filter(Boolean).map((s) => stopServer(s as never)));
  });

  it('answers chunk previews and token counts as the event loop does, refusals included', async () => {
    const requests: [string, object][] = [
      ['/v1/chunks', { content: MODULE }],
      ['/v1/chunks', { files: [{ path: 'shop/cart.py', content: MODULE }], strategy: 'function', maxTokens: 40 }],
      [
        '/v1/tokens',
        {
          files: [
            { path: 'a.py', content: MODULE },
            { path: 'b.py', content: 'x = 1\n' },
          ],
        },
      ],
      ['/v1/chunks', { content: MODULE, files: [{ path: 'a.py', content: MODULE }] }],
      ['/v1/tokens', { path: '/etc' }],
      ['/v1/chunks', { files: [{ path: 'a.py', content: MODULE }], target: 'missing.py' }],
      ['/v1/chunks', { files: [{ path: '../evil.py', content: MODULE }] }],
    ];
    for (const [route, body] of requests) {
      const [a, b] = await Promise.all([post(threaded, route, body), post(eventLoop, route, body)]);
      expect(comparable(a)).toEqual(comparable(b));
    }
    const first = await post(threaded, '/v1/chunks', { content: MODULE });
    expect(first.status).toBe(200);
    expect((first.body as { chunks: unknown[] }).chunks.length).toBeGreaterThan(0);
    const refused = await post(threaded, '/v1/tokens', { path: '/etc' });
    expect(refused).toMatchObject({ status: 403, body: { title: 'TA_SERVER_PATHS_DISABLED' } });
  });

  it("records the threads' chunking metrics in the server's /metrics", async () => {
    const count = async () => {
      const text = await (await fetch(`http://${threaded.address}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith('test_agent_chunking_duration_seconds_count'));
      return Number(line?.split(' ').pop() ?? 0);
    };
    const before = await count();
    for (let i = 0; i < 3; i++) expect((await post(threaded, '/v1/chunks', { content: MODULE })).status).toBe(200);
    expect(await count()).toBe(before + 3);
  });

  it('answers /health while a large module is chunked', async () => {
    const content = bigModule(4000);
    let chunked = false;
    const chunking = post(threaded, '/v1/chunks', { content }).then((answer) => {
      chunked = true;
      return answer;
    });
    let answeredDuring = 0;
    while (!chunked) {
      const res = await fetch(`http://${threaded.address}/health`);
      expect(res.status).toBe(200);
      if (!chunked) answeredDuring++;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await chunking).status).toBe(200);
    expect(answeredDuring).toBeGreaterThanOrEqual(3);
  });
});
