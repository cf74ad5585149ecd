import type { Command } from 'commander';
import { TOKENS } from '@test-agent/composition';
import { ConfigError, type ChatMessage } from '@test-agent/domain';
import type { CliContext } from '../cli-context';
import { EXIT } from '../error-handler';

const notConfigured = () =>
  new ConfigError([
    'no LLM endpoint is configured: set LLM_PROVIDER (llm-api, openai, gigachat) and LLM_URL, or LLM_CASSETTE_MODE=replay',
  ]);

/** `llm ping` (each endpoint: reachable, model, latency; exit 6 when one fails) and `llm chat` (one prompt). */
export function registerLlm(program: Command, ctx: CliContext): void {
  const llm = program.command('llm').description('talk to the configured LLM endpoints (primary and fallback)');

  llm
    .command('ping')
    .description('check each configured LLM endpoint: reachable, model, latency (exit 6 when one fails)')
    .action(async () => {
      const service = ctx.resolve().get(TOKENS.LlmService);
      if (!service.configured) throw notConfigured();
      const endpoints = await service.ping();
      const ok = endpoints.every((e) => e.ok);
      ctx.print({ ok, endpoints }, () =>
        endpoints
          .map(
            (e) =>
              `${e.ok ? 'OK  ' : 'FAIL'} ${e.role.padEnd(8)} ${e.endpoint}  model ${e.model ?? 'unknown'}  ${e.latencyMs} ms` +
              `${e.circuitOpen ? '  (circuit open)' : ''}\n     ${e.detail}`,
          )
          .join('\n'),
      );
      if (!ok) process.exitCode = EXIT.external;
    });

  llm
    .command('chat')
    .description('send one prompt through the endpoint chain (retries, fallback) and print the answer')
    .argument('<prompt...>', 'the user message')
    .option('--system <text>', 'a system message sent first')
    .option('--max-tokens <n>', 'upper bound of generated tokens', (v) => Number.parseInt(v, 10))
    .option('--temperature <t>', 'sampling temperature', (v) => Number.parseFloat(v))
    .action(async (words: string[], opts: { system?: string; maxTokens?: number; temperature?: number }) => {
      const service = ctx.resolve().get(TOKENS.LlmService);
      if (!service.configured) throw notConfigured();
      const messages: ChatMessage[] = [
        ...(opts.system ? [{ role: 'system' as const, content: opts.system }] : []),
        { role: 'user', content: words.join(' ') },
      ];
      const result = await service.chat(messages, { maxTokens: opts.maxTokens, temperature: opts.temperature });
      ctx.print(result, () => result.text);
      if (!ctx.json) {
        const usage = result.usage
          ? `, tokens ${result.usage.promptTokens} in / ${result.usage.completionTokens} out`
          : '';
        process.stderr.write(
          `-- ${result.endpoint}, model ${result.model}, ${result.latencyMs} ms, finish ${result.finishReason}${usage}\n`,
        );
      }
    });
}
