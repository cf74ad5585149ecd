import type { HealthCheck, HealthCheckResult } from '@test-agent/domain';
import { projectRootAbove, type ProjectPython } from '../python/project-python';

/** The interpreter that would run code under test in `cwd`'s project, how it was found, and its tooling. */
export class ProjectPythonHealthCheck implements HealthCheck {
  constructor(
    private readonly python: ProjectPython,
    private readonly cwd: string,
  ) {}

  async run(): Promise<HealthCheckResult[]> {
    const root = projectRootAbove(this.cwd) ?? this.cwd;
    try {
      const r = await this.python.inspect(root);
      const pytest = r.pytest ? `its own pytest ${r.pytest}` : "pytest from Test Agent's tooling";
      return [
        { name: 'project python', ok: true, detail: `${r.executable} ${r.version} (from ${r.source}; ${pytest})` },
      ];
    } catch (e) {
      return [
        {
          name: 'project python',
          ok: false,
          detail: (e as Error).message,
          fix: 'Set the project interpreter (setting projectPython), activate the project venv, or install python3',
        },
      ];
    }
  }
}
