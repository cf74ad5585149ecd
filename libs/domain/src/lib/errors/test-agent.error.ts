/**
 * What kind of failure an error is. Deliveries map kinds to exit codes (CLI) and HTTP status (server) in one
 * place each; the core never knows about either.
 */
export type ErrorKind =
  /** The user's input is wrong: a missing file, a binary file, a bad flag value. */
  | 'invalid-input'
  /** Configuration is invalid or incomplete. */
  | 'config'
  /** A required local component is missing or broken (Python, the venv, pytest). */
  | 'environment'
  /** An external service (an LLM endpoint) failed. */
  | 'external'
  /** Work did not finish in the time allowed. */
  | 'timeout'
  /** A bug in Test Agent. */
  | 'internal';

/**
 * Base of every error Test Agent throws on purpose. `code` is unique per failure (`TA_...`) and stable, so
 * embedders can branch on it; `message` is one line a user can act on and never carries a secret.
 */
export class TestAgentError extends Error {
  constructor(
    readonly code: string,
    readonly kind: ErrorKind,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown>; option?: ErrorOption },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.details = options?.details;
    this.option = options?.option;
  }

  /** Structured, secret-free facts for `--json` output and problem+json bodies. */
  readonly details?: Record<string, unknown>;

  /**
   * The option the message names neutrally ("the time budget", "an LLM endpoint", "resume"): each delivery adds
   * its own spelling of it (a CLI flag, a request field).
   */
  readonly option?: ErrorOption;
}

/** Options a core error message may name; the deliveries map each to a flag or a field. */
export type ErrorOption = 'timeBudget' | 'llmEndpoint' | 'resume';

/** Input the user gave cannot be used (missing path, non-UTF-8 file, empty module, ...). */
export class InvalidInputError extends TestAgentError {
  constructor(
    code: string,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown>; option?: ErrorOption },
  ) {
    super(code, 'invalid-input', message, options);
  }
}

/** Configuration values are invalid; `problems` lists every one of them, not just the first. */
export class ConfigError extends TestAgentError {
  constructor(readonly problems: readonly string[]) {
    super('TA_CONFIG_INVALID', 'config', `Invalid configuration: ${problems.join('; ')}`, { details: { problems } });
  }
}

/** A local component Test Agent needs (Python, its venv, pytest, coverage.py) is missing or unusable. */
export class EnvironmentError extends TestAgentError {
  constructor(code: string, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(code, 'environment', message, options);
  }
}
