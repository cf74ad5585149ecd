import type { Command } from 'commander';
import type { CliContext } from '../cli-context';
import { registerDoctor } from './doctor.command';
import { registerSetup } from './setup.command';

/** Every command of the CLI, in `--help` order. A new command adds one line here. */
export const COMMANDS: ReadonlyArray<(program: Command, ctx: CliContext) => void> = [registerSetup, registerDoctor];
