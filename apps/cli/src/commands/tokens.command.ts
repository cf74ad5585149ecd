import type { Command } from 'commander';
import { TOKENS } from '@test-agent/composition';
import type { CliContext } from '../cli-context';

/** `tokens <path>`: tokens of a module (or of every module of a folder) for a model's tokenizer. */
export function registerTokens(program: Command, ctx: CliContext): void {
  program
    .command('tokens')
    .description("count a Python module's tokens with the model's tokenizer")
    .argument('<path>', 'a .py file, or a folder (every .py file under it)')
    .option('--model <name>', 'model whose tokenizer applies (default: LLM_MODEL)')
    .option('--exclude <pattern...>', 'folder mode: .gitignore-style patterns to skip')
    .action(async (path: string, opts: { model?: string; exclude?: string[] }) => {
      const r = await ctx.resolve().get(TOKENS.CountTokens).execute({ path, model: opts.model, exclude: opts.exclude });
      ctx.print(r, () => {
        const how = `${r.model.tokenizer}${r.exactCounts ? '' : ', estimated'}, model ${r.model.model}, context ${r.model.contextWindow}, chunk budget ${r.budget.maxTokens}`;
        if (r.files.length === 1) return `${r.files[0].tokens} tokens (${r.files[0].lines} lines; ${how})`;
        return [
          ...r.files.map((f) => `${String(f.tokens).padStart(8)}  ${f.file}`),
          `${String(r.totalTokens).padStart(8)}  total (${r.files.length} files; ${how})`,
        ].join('\n');
      });
    });
}
