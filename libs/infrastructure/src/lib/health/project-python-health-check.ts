import path from 'node:path';
import type { HealthCheck, HealthCheckResult } from '@test-agent/domain';
import { projectRoot, type ProjectPython } from '../python/project-python';

/** The interpreter that would run code under test in `cwd`'s project, how it was found, and its tooling. */
export class ProjectPythonHealthCheck implements HealthCheck {
  constructor(
    private readonly python: ProjectPython,
    private readonly cwd: string,
  ) {}

  async run(): Promise<HealthCheckResult[]> {
    const root = projectRoot({ file: path.join(this.cwd, '__probe__.py'), importRoot: this.cwd, moduleName: '__probe__' });
    try {
      const r = await this.python.inspect(root);
      const pytest = r.pytest ? `its own pytest ${r.pytest}` : "pytest from Test Agent's tooling";
      return [{ name: 'project python', ok: true, detail: `${r.executable} ${r.version} (from ${r.source}; ${pytest})` }];
    } catch (e) {
      return [{ name: 'project python', ok: false, detail: (e as Error).message, fix: 'Set the project interpreter (setting projectPython), activate the project venv, or install python3' }];
    }
  }
}
