import 'reflect-metadata';
import { createProgram } from './program';
import { mapError } from './error-handler';

/** Composition root of the CLI: parse argv, run one command, map any error to an exit code once. */
async function main(argv: string[]): Promise<void> {
  const program = createProgram(process.env);
  try {
    await program.parseAsync(argv);
  } catch (error) {
    const opts = program.opts<{ verbose?: boolean; json?: boolean }>();
    const report = mapError(error, Boolean(opts.verbose) || argv.includes('--verbose') || argv.includes('-v'));
    if (report.text) process.stderr.write(`${report.text}\n`);
    if (opts.json && report.exitCode !== 0 && report.exitCode !== 2) process.stdout.write(`${JSON.stringify(report.json, null, 2)}\n`);
    process.exitCode = report.exitCode;
  }
}

void main(process.argv);
