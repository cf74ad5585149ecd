import { Command } from 'commander';
import { CliContext, type GlobalOptions } from './cli-context';
import { COMMANDS } from './commands';

export const VERSION = '0.1.0';

/** Builds the commander program. Errors are not handled here: `main.ts` maps them once. */
export function createProgram(
  env: Readonly<Record<string, string | undefined>>,
  stdout?: NodeJS.WritableStream,
): Command {
  const program = new Command('test-agent');
  const ctx = new CliContext(() => program.opts<GlobalOptions>(), env, stdout);
  program
    .description('Writes pytest tests for Python code that pass, are not flaky and reach the coverage target.')
    .version(VERSION, '-V, --version')
    .option('--json', 'print results as one JSON object on stdout')
    .option('-v, --verbose', 'debug logs, and stack traces on errors')
    .option('-c, --config <file>', 'JSON config file (default: ./test-agent.config.json when present)')
    .option('--log-level <level>', 'error, warn, info or debug (env LOG_LEVEL)')
    .option(
      '--python <path>',
      "interpreter that runs the code under test (config projectPython; default: $VIRTUAL_ENV, the project's .venv/venv, else python3)",
    )
    .option(
      '--no-sandbox',
      'run the code under test unconfined, without bubblewrap (config sandbox: off); only for code you trust',
    )
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text.trimEnd().split('\n')[0] + '\n') });
  for (const register of COMMANDS) register(program, ctx);
  for (const command of program.commands) command.exitOverride();
  return program;
}
