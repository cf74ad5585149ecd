import 'reflect-metadata';
import { runCleanups } from '@test-agent/composition';
import { createProgram } from './program';
import { EXIT, mapError } from './error-handler';

/**
 * Ctrl-C or SIGTERM: kill the test processes (detached groups, which the terminal's signal does not reach) and
 * remove their temp folders, then exit 130 / 143 like a shell-interrupted command.
 */
function exitOnSignal(signal: 'SIGINT' | 'SIGTERM', code: number): void {
  process.once(signal, () => {
    for (const error of runCleanups())
      process.stderr.write(`warning: cleanup after ${signal} failed: ${error.message}\n`);
    process.stderr.write(`interrupted (${signal})\n`);
    process.exit(code);
  });
}
exitOnSignal('SIGINT', EXIT.interrupted);
exitOnSignal('SIGTERM', EXIT.terminated);

/** Composition root of the CLI: parse argv, run one command, map any error to an exit code once. */
async function main(argv: string[]): Promise<void> {
  const program = createProgram(process.env);
  try {
    await program.parseAsync(argv);
  } catch (error) {
    const opts = program.opts<{ verbose?: boolean; json?: boolean }>();
    const report = mapError(error, Boolean(opts.verbose) || argv.includes('--verbose') || argv.includes('-v'));
    if (report.text) process.stderr.write(`${report.text}\n`);
    if (opts.json && report.exitCode !== 0 && report.exitCode !== 2)
      process.stdout.write(`${JSON.stringify(report.json, null, 2)}\n`);
    process.exitCode = report.exitCode;
  }
}

void main(process.argv);
