import type { Command } from 'commander';
import { TOKENS } from '@test-agent/composition';
import type { CliContext } from '../cli-context';

/** `setup`: create or repair Test Agent's Python venv (pytest, coverage.py, pytest-timeout). */
export function registerSetup(program: Command, ctx: CliContext): void {
  program
    .command('setup')
    .description("create or repair Test Agent's Python venv (pinned pytest, coverage.py, pytest-timeout)")
    .option('--venv <dir>', 'venv folder (default: .venv in the Test Agent folder, or TEST_AGENT_VENV)')
    .action(async (opts: { venv?: string }) => {
      const container = ctx.resolve(opts.venv ? { venvDir: opts.venv } : {});
      const python = container.get(TOKENS.PythonEnvironment);
      const interpreter = await python.ensure();
      const versions = await python.versions();
      ctx.print({ venv: python.options.venvDir, python: interpreter, versions }, () =>
        [
          `venv: ${python.options.venvDir}`,
          `python ${versions.python}, pytest ${versions.pytest}, coverage ${versions.coverage}, pytest-timeout ${versions.pytestTimeout}`,
        ].join('\n'),
      );
    });
}
