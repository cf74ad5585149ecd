import type { Command } from 'commander';
import type { CliContext } from '../cli-context';
import { registerDoctor } from './doctor.command';
import { registerSetup } from './setup.command';
import { registerGenerate } from './generate.command';
import { registerLlm } from './llm.command';
import { registerCoverage } from './coverage.command';
import { registerChunk } from './chunk.command';
import { registerTokens } from './tokens.command';

/** Every command of the CLI, in `--help` order. A new command adds one line here. */
export const COMMANDS: ReadonlyArray<(program: Command, ctx: CliContext) => void> = [
  registerSetup,
  registerGenerate,
  registerCoverage,
  registerDoctor,
  registerLlm,
  registerChunk,
  registerTokens,
];
