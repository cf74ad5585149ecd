import type { Command } from 'commander';
import { TOKENS } from '@test-agent/composition';
import type { ChunkModuleResult } from '@test-agent/application';
import { InvalidInputError, parseChunkingStrategy, type CodeChunk } from '@test-agent/domain';
import type { CliContext } from '../cli-context';

interface ChunkOptions {
  strategy?: string;
  maxTokens?: string;
  model?: string;
  exclude?: string[];
  code?: boolean;
}

/** Parses a positive integer flag; throws `InvalidInputError` (exit 3) otherwise. */
export function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n <= 0)
    throw new InvalidInputError('TA_BAD_FLAG', `${flag} must be a positive integer, got "${value}"`);
  return n;
}

function chunkJson(c: CodeChunk, withCode: boolean): Record<string, unknown> {
  const base = {
    file: c.file,
    index: c.index,
    kind: c.kind,
    symbols: c.symbols,
    startLine: c.startLine,
    endLine: c.endLine,
    tokens: c.tokens,
    overBudget: c.overBudget,
    imports: c.imports,
    dependencies: c.dependencies,
  };
  return withCode ? { ...base, context: c.context, code: c.code } : base;
}

function render(r: ChunkModuleResult): string {
  const out: string[] = [
    `${r.path}: ${r.chunks.length} chunk(s), budget ${r.budget.maxTokens} tokens/chunk, model ${r.model.model} (${r.model.tokenizer}${r.exactCounts ? '' : ', estimated'}), strategy ${r.strategy}`,
  ];
  const multi = r.files.length > 1;
  for (const f of r.files) {
    if (multi) out.push('', `${f.file}: ${f.lines} lines, ${f.tokens} tokens, ${f.chunkCount} chunk(s) (${f.applied})`);
    else out.push(`${f.lines} lines, ${f.tokens} tokens (${f.applied})`);
    for (const e of f.errors.slice(0, 5))
      out.push(`  syntax error at line ${e.line}, column ${e.column}: ${e.message}`);
    out.push('', 'chunk  kind        lines          tokens  symbols');
    for (const c of r.chunks.filter((c) => c.file === f.file)) {
      const symbols =
        c.symbols.length > 4
          ? `${c.symbols.slice(0, 4).join(', ')}, +${c.symbols.length - 4} more`
          : c.symbols.join(', ');
      out.push(
        `${String(c.index).padStart(5)}  ${c.kind.padEnd(10)}  ${`${c.startLine}-${c.endLine}`.padEnd(13)}  ${String(c.tokens).padStart(6)}${c.overBudget ? '!' : ' '} ${symbols}`,
      );
    }
  }
  if (r.chunks.some((c) => c.overBudget))
    out.push('', '! over the budget: a single statement or line bigger than the budget cannot be split');
  for (const s of r.skipped) out.push(`skipped ${s.file}: ${s.reason}`);
  return out.join('\n');
}

/** `chunk <path>`: split a module (or every module of a package) into chunks that fit the model. */
export function registerChunk(program: Command, ctx: CliContext): void {
  program
    .command('chunk')
    .description('split a Python module (or a folder of modules) into chunks that fit the model context')
    .argument('<path>', 'a .py file, or a folder (every .py file under it, .gitignore and venvs skipped)')
    .option('--strategy <name>', 'auto, function, class or statement (default: auto, or TEST_AGENT_CHUNK_STRATEGY)')
    .option('--max-tokens <n>', 'tokens per chunk (default: computed from the model context window)')
    .option('--model <name>', 'model whose tokenizer and context apply (default: LLM_MODEL)')
    .option('--exclude <pattern...>', 'folder mode: .gitignore-style patterns to skip')
    .option('--code', "with --json: include each chunk's code and context")
    .action(async (path: string, opts: ChunkOptions) => {
      const request = {
        path,
        strategy: opts.strategy === undefined ? undefined : parseChunkingStrategy(opts.strategy),
        maxTokens: opts.maxTokens === undefined ? undefined : positiveInt('--max-tokens', opts.maxTokens),
        model: opts.model,
        exclude: opts.exclude,
      };
      const result = await ctx.resolve().get(TOKENS.ChunkModule).execute(request);
      const json = {
        path: result.path,
        mode: result.mode,
        model: result.model,
        exactCounts: result.exactCounts,
        budget: result.budget,
        strategy: result.strategy,
        files: result.files,
        skipped: result.skipped,
        durationMs: result.durationMs,
        chunks: result.chunks.map((c) => chunkJson(c, Boolean(opts.code))),
      };
      ctx.print(json, () => render(result));
    });
}
