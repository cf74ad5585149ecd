/**
 * Environment variables a test subprocess must never see. Names are matched case-insensitively; the value test
 * catches credentials embedded in URLs (`scheme://user:password@host`) under innocent names like `DATABASE_URL`.
 */
const SECRET_NAME = /KEY|TOKEN|SECRET|PASSW|PASSPHRASE|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE/i;
const DROPPED_PREFIX =
  /^(GIGACHAT_|LLM_|TEST_AGENT_|AWS_|AZURE_|GOOGLE_|OPENAI_|ANTHROPIC_|NPM_|PIP_|PYTHON|PYTEST_|COV_CORE_|COVERAGE_|VIRTUAL_ENV|CONDA_)/i;
const CREDENTIAL_URL = /:\/\/[^/\s:@]+:[^/\s@]+@/;

/** Whether a variable of the parent environment is withheld from test subprocesses. */
export function isWithheldVariable(name: string, value: string): boolean {
  return SECRET_NAME.test(name) || DROPPED_PREFIX.test(name) || CREDENTIAL_URL.test(value);
}

/**
 * The environment of a test subprocess: `base` without secrets, Python and pytest settings of the caller
 * (`PYTHON*`, `PYTEST_*`, `COVERAGE_*`, which could change what runs), then `overrides` on top.
 */
export function scrubEnvironment(
  base: Readonly<Record<string, string | undefined>>,
  overrides: Readonly<Record<string, string>>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) {
    if (value !== undefined && !isWithheldVariable(name, value)) env[name] = value;
  }
  return { ...env, ...overrides };
}
