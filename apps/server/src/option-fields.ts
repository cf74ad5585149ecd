/**
 * The server's spelling of each option a core error message names neutrally (`TestAgentError.option`): the request
 * field a client would change, or what the server lacks. Never a CLI flag: HTTP clients do not run the CLI.
 */
const OPTION_FIELDS: Readonly<Record<string, string>> = {
  llmEndpoint: ' (this server has no LLM configured: ask for "strategy": "offline")',
  timeBudget: ' (timeBudgetSeconds)',
  resume: '',
};

/** What the server adds to a core message that names `option`; empty for an option it does not know. */
export function optionField(option: string | undefined): string {
  return option === undefined ? '' : (OPTION_FIELDS[option] ?? '');
}
