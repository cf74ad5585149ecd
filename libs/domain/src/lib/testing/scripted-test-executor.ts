import type { TestExecutor, TestRunRequest, TestRunResult } from '../interfaces/test-executor.port';

/**
 * `TestExecutor` for specs: answers each run with `respond(request, callIndex)` and records every request in
 * `requests`, so a spec can assert what was run (files, selections, limits) and script flaky behaviour.
 */
export class ScriptedTestExecutor implements TestExecutor {
  readonly requests: TestRunRequest[] = [];

  constructor(
    private readonly respond: (request: TestRunRequest, call: number) => TestRunResult | Promise<TestRunResult>,
  ) {}

  async run(request: TestRunRequest): Promise<TestRunResult> {
    const call = this.requests.length;
    this.requests.push(request);
    return this.respond(request, call);
  }
}
