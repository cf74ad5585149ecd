import { existsSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TestRunRequest } from '@test-agent/domain';
import type { PytestRoots, RunLayout } from './pytest-run-layout';

const PLUGIN_MODULE = 'test_agent_pytest_plugin';

/** The files through which one pytest process reports its events and learns what to skip. */
export interface LaunchFiles {
  readonly eventsFile: string;
  readonly skipFile: string;
}

/**
 * The pytest command line of one process of a run (after `-m pytest`): Test Agent's plugin with its events,
 * skip and selection files, pytest-timeout's per-test limit, the roots, the ignored and the collected paths.
 * Writes the selection file when the request selects tests.
 */
export function pytestArguments(
  request: TestRunRequest,
  layout: RunLayout,
  roots: PytestRoots,
  files: LaunchFiles,
  perTestMs: number,
): string[] {
  const args = [
    ...(roots.inifile ? ['-c', roots.inifile] : []),
    '--rootdir',
    roots.rootdir,
    '--confcutdir',
    roots.confcutdir,
    '-p',
    PLUGIN_MODULE,
    '-p',
    'no:cacheprovider',
    '-q',
    '--no-header',
    '--color=no',
    '--tb=short',
    '-rN',
    '--continue-on-collection-errors',
    '--timeout',
    String(perTestMs / 1000),
    '--timeout-method',
    'signal',
    '--ta-events',
    files.eventsFile,
    '--ta-skip',
    files.skipFile,
    '--ta-import-root',
    request.target.importRoot,
    '--ta-target-module',
    request.target.moduleName,
  ];
  if (request.select) {
    const selectFile = path.join(layout.control, 'select.json');
    writeFileSync(selectFile, JSON.stringify(request.select));
    args.push('--ta-select', selectFile);
  }
  for (const ignored of request.ignorePaths ?? [])
    args.push('--ignore', existsSync(ignored) ? realpathSync(ignored) : path.resolve(ignored));
  args.push(...roots.paths);
  return args;
}
