import { CommanderError } from 'commander';
import { InvalidInputError, TestAgentError } from '@test-agent/domain';
import { EXIT, mapError } from './error-handler';

describe('mapError', () => {
  it('maps a crash to exit 1 with one line and no stack unless verbose', () => {
    const quiet = mapError(new TypeError('boom'), false);
    expect(quiet.exitCode).toBe(EXIT.crash);
    expect(quiet.text).toBe('error: unexpected failure: boom (run with --verbose for details)');
    const verbose = mapError(new TypeError('boom'), true);
    expect(verbose.text).toMatch(/^TypeError: boom\n\s+at /);
  });

  it('maps typed errors by kind', () => {
    const report = mapError(new InvalidInputError('TA_PATH_NOT_FOUND', 'No such file or directory: x.py'), false);
    expect(report.exitCode).toBe(EXIT.invalidInput);
    expect(report.text).toBe('error: No such file or directory: x.py');
    expect(report.json.error.code).toBe('TA_PATH_NOT_FOUND');
  });

  it('adds the flag of an option a core message names neutrally, and keeps the neutral message in the JSON', () => {
    const budget = mapError(
      new InvalidInputError('TA_BAD_TIME_BUDGET', 'The time budget must be a positive number of seconds, got 0', {
        option: 'timeBudget',
      }),
      false,
    );
    expect(budget.text).toBe('error: The time budget must be a positive number of seconds, got 0 (--time-budget)');
    expect(budget.json.error).toMatchObject({
      option: 'timeBudget',
      coreMessage: 'The time budget must be a positive number of seconds, got 0',
    });
    const strategy = mapError(
      new InvalidInputError('TA_STRATEGY_UNAVAILABLE', 'strategy "llm" needs an LLM: configure an LLM endpoint', {
        option: 'llmEndpoint',
      }),
      false,
    );
    expect(strategy.text).toBe(
      'error: strategy "llm" needs an LLM: configure an LLM endpoint (--llm-url, or LLM_PROVIDER and LLM_URL; or --strategy offline)',
    );
    const resume = mapError(
      new TestAgentError('TA_LLM_NETWORK', 'external', 'refused — resume the run when the LLM is back', {
        option: 'resume',
      }),
      false,
    );
    expect(resume.text).toBe('error: refused — resume the run when the LLM is back (--resume)');
  });

  it('maps usage errors to 2 and help/version to 0', () => {
    expect(
      mapError(new CommanderError(1, 'commander.unknownOption', "error: unknown option '--x'"), false).exitCode,
    ).toBe(EXIT.usage);
    expect(mapError(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'), false).exitCode).toBe(EXIT.ok);
  });
});
