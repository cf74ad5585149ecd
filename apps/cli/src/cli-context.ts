import { createContainer, loadConfig, type ConfigOverrides, type TestAgentConfig } from '@test-agent/composition';
import type { Container } from 'inversify';

/** Options every command accepts (declared on the root program). */
export interface GlobalOptions {
  json?: boolean;
  verbose?: boolean;
  config?: string;
  logLevel?: string;
  /** `--no-sandbox`: false. */
  sandbox?: boolean;
  /** `--python <path>`: the interpreter that runs the code under test. */
  python?: string;
}

/**
 * What a command needs from the CLI: the configuration (flags > file > env > defaults), the container
 * (built lazily, once), and output helpers that honour `--json`. stdout carries results only; logs go to stderr.
 */
export class CliContext {
  private container?: Container;
  private config?: TestAgentConfig;

  constructor(
    private readonly globals: () => GlobalOptions,
    readonly env: Readonly<Record<string, string | undefined>>,
    readonly stdout: NodeJS.WritableStream = process.stdout,
    readonly isTty: boolean = Boolean(process.stderr.isTTY),
  ) {}

  get json(): boolean {
    return Boolean(this.globals().json);
  }

  /** Loads configuration once; command flags that map to settings are passed as `overrides`. */
  loadConfig(overrides: ConfigOverrides = {}): TestAgentConfig {
    if (!this.config) {
      const g = this.globals();
      this.config = loadConfig({
        env: this.env,
        configFile: g.config,
        cwd: process.cwd(),
        overrides: {
          ...(g.logLevel ? { logLevel: g.logLevel } : {}),
          ...(g.verbose ? { logLevel: 'debug' } : {}),
          ...(g.sandbox === false ? { sandbox: 'off' } : {}),
          ...(g.python ? { projectPython: g.python } : {}),
          ...overrides,
        },
        // A quiet console: the summary and warnings; info lines only when the user asks for them.
        defaults: { logLevel: 'warn' },
      });
    }
    return this.config;
  }

  /** The application container (composition root of the CLI). */
  resolve(overrides: ConfigOverrides = {}): Container {
    this.container ??= createContainer(this.loadConfig(overrides), { isTty: this.isTty });
    return this.container;
  }

  /** Prints a result: JSON (one object) under `--json`, otherwise the human rendering. */
  print(result: unknown, human: () => string): void {
    this.stdout.write(this.json ? `${JSON.stringify(result, null, 2)}\n` : `${human()}\n`);
  }
}
