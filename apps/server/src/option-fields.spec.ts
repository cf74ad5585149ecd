import { serverMessage } from './jobs/generation-runner';
import { optionField } from './option-fields';

describe('the server names options by its own fields, never by CLI flags', () => {
  it('rebuilds a job failure from the CLI’s neutral message and the option it names', () => {
    expect(
      serverMessage({
        code: 'TA_STRATEGY_UNAVAILABLE',
        message: 'strategy "llm" needs an LLM: configure an LLM endpoint (--llm-url, or --strategy offline)',
        option: 'llmEndpoint',
        coreMessage: 'strategy "llm" needs an LLM: configure an LLM endpoint',
      }),
    ).toBe(
      'strategy "llm" needs an LLM: configure an LLM endpoint (this server has no LLM configured: ask for "strategy": "offline")',
    );
    expect(serverMessage({ code: 'TA_PATH_NOT_FOUND', message: 'No such file or directory: x.py' })).toBe(
      'No such file or directory: x.py',
    );
  });

  it('spells the time budget as the request field and adds nothing for resume (jobs cannot resume)', () => {
    expect(optionField('timeBudget')).toBe(' (timeBudgetSeconds)');
    expect(optionField('resume')).toBe('');
    expect(optionField(undefined)).toBe('');
  });
});
