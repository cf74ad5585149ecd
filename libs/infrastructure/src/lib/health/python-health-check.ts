import type { HealthCheck, HealthCheckResult } from '@test-agent/domain';
import type { PythonEnvironment } from '../python/python-environment';

/** Node, the base Python, and the venv's pytest, coverage.py and pytest-timeout. */
export class PythonHealthCheck implements HealthCheck {
  constructor(private readonly python: PythonEnvironment) {}

  async run(): Promise<HealthCheckResult[]> {
    const results: HealthCheckResult[] = [
      {
        name: 'node',
        ok: Number(process.versions.node.split('.')[0]) >= 20,
        detail: process.versions.node,
        fix: 'Install Node.js 20 or newer',
      },
    ];
    try {
      const version = await this.python.baseVersion();
      const [major, minor] = version.split('.').map(Number);
      results.push({
        name: 'python',
        ok: major === 3 && minor >= 10,
        detail: `${this.python.options.basePython} ${version}`,
        fix: 'Install Python >= 3.10 or set TEST_AGENT_PYTHON',
      });
    } catch (e) {
      results.push({
        name: 'python',
        ok: false,
        detail: (e as Error).message,
        fix: 'Install Python >= 3.10 or set TEST_AGENT_PYTHON',
      });
    }
    const fix = 'Run "test-agent setup" (or "make setup") to create the venv';
    try {
      const v = await this.python.versions();
      const ready = this.python.isReady();
      results.push(
        {
          name: 'venv',
          ok: ready,
          detail: this.python.options.venvDir,
          fix: ready ? undefined : `${fix}; its packages differ from the pinned requirements`,
        },
        { name: 'pytest', ok: true, detail: v.pytest },
        { name: 'coverage.py', ok: true, detail: v.coverage },
        { name: 'pytest-timeout', ok: true, detail: v.pytestTimeout },
      );
    } catch (e) {
      results.push({ name: 'venv', ok: false, detail: (e as Error).message, fix });
    }
    return results;
  }
}
