import { processCleanups } from '@test-agent/infrastructure';

/**
 * Undoes what an interrupted Test Agent would leave behind: kills the detached process groups of running test
 * processes and removes their temp folders (every cleanup registered in infrastructure's `processCleanups`).
 * Synchronous and safe to call more than once; meant for the apps' SIGINT/SIGTERM handlers right before they
 * exit. Returns the errors of the cleanups that failed (none is thrown).
 */
export function runCleanups(): Error[] {
  return processCleanups.runAll();
}
