import type { Command } from 'commander';
import { TOKENS } from '@test-agent/composition';
import type { CliContext } from '../cli-context';

/** `doctor`: every health check, one line each, OK or FAIL with the fix; exit 5 when any fails. */
export function registerDoctor(program: Command, ctx: CliContext): void {
  program
    .command('doctor')
    .description('check Node, Python, the venv, pytest, coverage.py and configured LLM endpoints')
    .action(async () => {
      const container = ctx.resolve();
      const checks = (await Promise.all(container.getAll(TOKENS.HealthCheck).map((c) => c.run()))).flat();
      const ok = checks.every((c) => c.ok);
      ctx.print({ ok, checks }, () =>
        checks
          .map(
            (c) =>
              `${c.ok ? 'OK  ' : 'FAIL'} ${c.name.padEnd(16)} ${c.detail}${!c.ok && c.fix ? `\n     fix: ${c.fix}` : ''}`,
          )
          .join('\n'),
      );
      if (!ok) process.exitCode = 5;
    });
}
