// The TypeScript half of the chunking benchmark: for each file, parse + outline (tree-sitter), count (tiktoken
// cl100k_base, cold caches every run) and pack, `repeat` times; prints one JSON line per file with median timings.
// Started by run-chunking-bench.cjs, which bundles this file and runs the Python reference beside it.
import { readFileSync } from 'node:fs';
import { CodeChunker } from '@test-agent/application';
import { TiktokenTokenCounter, TreeSitterCodeParser } from '@test-agent/infrastructure';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const [maxTokens, repeat, ...files] = process.argv.slice(2);
  const parser = new TreeSitterCodeParser();
  const counter = new TiktokenTokenCounter('cl100k_base');
  // Warm up once per process, as the Python side does (encoder built, JIT warm): not part of the figures.
  const warm = readFileSync(files[0], 'utf8');
  await new CodeChunker(counter).chunk(warm, parser.parse(warm), {
    file: files[0],
    strategy: 'auto',
    maxTokens: Number(maxTokens),
  });
  for (const file of files) {
    const source = readFileSync(file, 'utf8');
    const parse: number[] = [];
    const pack: number[] = [];
    const total: number[] = [];
    let chunks = 0;
    let tokens = 0;
    let lines = 0;
    for (let i = 0; i < Number(repeat); i++) {
      counter.clearCache(); // cold counts: no piece or text is remembered from a previous run
      const t0 = performance.now();
      const outline = parser.parse(source);
      const t1 = performance.now();
      const result = await new CodeChunker(counter).chunk(source, outline, {
        file,
        strategy: 'auto',
        maxTokens: Number(maxTokens),
      });
      const t2 = performance.now();
      parse.push(t1 - t0);
      pack.push(t2 - t1);
      total.push(t2 - t0);
      chunks = result.chunks.length;
      tokens = result.tokens;
      lines = result.lineCount;
    }
    process.stdout.write(
      `${JSON.stringify({ file, lines, tokens, chunks, parseMs: median(parse), countPackMs: median(pack), totalMs: median(total) })}\n`,
    );
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
