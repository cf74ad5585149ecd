/** What one health check found. `fix` tells the user what to do when `ok` is false. */
export interface HealthCheckResult {
  readonly name: string;
  readonly ok: boolean;
  /** Version, location or reason, one line, no secrets. */
  readonly detail: string;
  readonly fix?: string;
}

/**
 * One readiness check (Node, Python, pytest, coverage.py, the venv, tokenizer, an LLM endpoint). Used by the
 * CLI `doctor` command and the server's `/health/ready`. Never throws: failures are results.
 */
export interface HealthCheck {
  run(): Promise<HealthCheckResult[]>;
}
