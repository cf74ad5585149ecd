import { CommanderError } from 'commander';
import { TestAgentError, type ErrorKind, type ErrorOption } from '@test-agent/domain';

/** Exit codes of the CLI. Documented in the README; stable for scripts. */
export const EXIT = {
  ok: 0,
  crash: 1,
  usage: 2,
  invalidInput: 3,
  config: 4,
  environment: 5,
  external: 6,
  timeout: 7,
  /** `generate` wrote tests but did not reach the coverage target. */
  targetNotReached: 10,
  /**
   * `coverage` measured the module, but not every test passed: a test failed, errored or timed out, a test module
   * could not be imported, or the run hit its time limit. The figures cover what ran; the problems are printed.
   */
  testsDidNotPass: 11,
  /** `coverage` ran no test at all (none collected, or every test module failed to import): nothing was measured by tests. */
  noTestsRan: 12,
  /** Interrupted by SIGINT (Ctrl-C); test processes and temp folders were cleaned up (128 + 2). */
  interrupted: 130,
  /** Terminated by SIGTERM; test processes and temp folders were cleaned up (128 + 15). */
  terminated: 143,
} as const;

const byKind: Record<ErrorKind, number> = {
  'invalid-input': EXIT.invalidInput,
  config: EXIT.config,
  environment: EXIT.environment,
  external: EXIT.external,
  timeout: EXIT.timeout,
  internal: EXIT.crash,
};

export interface ErrorReport {
  readonly exitCode: number;
  /** What to print on stderr: one line, or the stack under `--verbose`. */
  readonly text: string;
  /**
   * The `--json` shape of the error. With `option`, `coreMessage` is the message without the CLI's flag hint, so
   * another delivery running the CLI (the server's jobs) can add its own spelling of the option.
   */
  readonly json: {
    error: { code: string; message: string; details?: unknown; option?: ErrorOption; coreMessage?: string };
  };
}

/** What the CLI adds to a core message that names an option neutrally: its flag and config key. */
const OPTION_HINTS: Readonly<Record<string, string>> = {
  TA_SANDBOX_UNAVAILABLE: ' (--no-sandbox, or "sandbox": "off" in the config file, or TEST_AGENT_SANDBOX=off)',
  TA_OUTPUT_UNUSABLE: ' (--out)',
  TA_OUTPUT_NOT_A_FOLDER: ' (--out)',
  TA_OUTPUT_NOT_WRITABLE: ' (--out)',
  TA_OUTPUT_INSIDE_SOURCES: ' (--out)',
};

/** The CLI's spelling of each option a core message names neutrally (`TestAgentError.option`). */
const OPTION_FLAGS: Readonly<Record<ErrorOption, string>> = {
  llmEndpoint: ' (--llm-url, or LLM_PROVIDER and LLM_URL; or --strategy offline)',
  timeBudget: ' (--time-budget)',
  resume: ' (--resume)',
};

/** The flag or setting a CLI user would change, for an error that names one. */
function optionHint(error: TestAgentError): string {
  return OPTION_HINTS[error.code] ?? (error.option ? OPTION_FLAGS[error.option] : '');
}

/** The CLI's single mapping from a thrown error to an exit code and a message. */
export function mapError(error: unknown, verbose: boolean): ErrorReport {
  if (error instanceof CommanderError) {
    return {
      exitCode: error.exitCode === 0 ? EXIT.ok : EXIT.usage,
      text: '',
      json: { error: { code: error.code, message: error.message } },
    };
  }
  if (error instanceof TestAgentError) {
    const message = `${error.message}${optionHint(error)}`;
    const text = verbose ? `${error.code}: ${message}\n${error.stack ?? ''}` : `error: ${message}`;
    return {
      exitCode: byKind[error.kind],
      text,
      json: {
        error: {
          code: error.code,
          message,
          details: error.details,
          ...(error.option ? { option: error.option, coreMessage: error.message } : {}),
        },
      },
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  const text =
    verbose && error instanceof Error
      ? `${error.stack}`
      : `error: unexpected failure: ${message} (run with --verbose for details)`;
  return { exitCode: EXIT.crash, text, json: { error: { code: 'TA_INTERNAL', message } } };
}
