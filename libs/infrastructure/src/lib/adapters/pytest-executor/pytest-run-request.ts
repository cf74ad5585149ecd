import { existsSync } from 'node:fs';
import path from 'node:path';
import { InvalidInputError, type TestRunRequest } from '@test-agent/domain';
import { clockShiftEnvironment } from '../../process/faketime';
import type { Shadowing } from './pytest-run-tally';

/**
 * Checks a run request before anything is started.
 * @throws InvalidInputError for both or neither of `testFiles`/`testPaths`, an empty `testPaths`, a test file name
 *   outside the run or not `.py`, a missing test path or module.
 */
export function validateRequest(request: TestRunRequest): void {
  const hasFiles = request.testFiles !== undefined;
  const hasPaths = request.testPaths !== undefined;
  if (hasFiles === hasPaths) {
    throw new InvalidInputError(
      'TA_BAD_TEST_RUN',
      'A test run needs either testFiles or testPaths (exactly one of them)',
    );
  }
  for (const file of request.testFiles ?? []) {
    const normal = path.posix.normalize(file.name);
    if (path.isAbsolute(file.name) || normal.startsWith('..') || !normal.endsWith('.py')) {
      throw new InvalidInputError(
        'TA_BAD_TEST_FILE_NAME',
        `Test file name must be a relative path to a .py file inside the run: ${file.name}`,
      );
    }
  }
  if (hasPaths && request.testPaths?.length === 0) {
    throw new InvalidInputError('TA_BAD_TEST_RUN', 'testPaths is empty');
  }
  for (const p of request.testPaths ?? []) {
    if (!existsSync(p)) throw new InvalidInputError('TA_PATH_NOT_FOUND', `No such test file or folder: ${p}`);
  }
  if (!existsSync(request.target.file)) {
    throw new InvalidInputError('TA_PATH_NOT_FOUND', `No such module: ${request.target.file}`);
  }
}

/** The error of a target whose name resolves to another module (a standard-library one, or a dependency). */
export function shadowingError(request: TestRunRequest, shadowed: Shadowing): InvalidInputError {
  const file = path.basename(request.target.file);
  const what =
    request.target.moduleName === shadowed.module ? file : `${shadowed.module} (the top-level package of ${file})`;
  const kind = shadowed.stdlib ? 'the standard library module' : 'the module';
  const where = shadowed.stdlib ? '' : ` (${shadowed.origin}), which pytest or coverage.py needs`;
  return new InvalidInputError(
    shadowed.stdlib ? 'TA_MODULE_SHADOWS_STDLIB' : 'TA_MODULE_SHADOWS_DEPENDENCY',
    `${what} shadows ${kind} ${shadowed.module}${where}, so tests cannot import it as yours; rename it`,
    { details: { module: shadowed.module, origin: shadowed.origin } },
  );
}

/** A run's perturbation of the environment pytest sees: the request's variables and, if asked, a moved clock. */
export function perturbedEnvironment(
  request: TestRunRequest,
  env: Readonly<Record<string, string>>,
): Record<string, string> {
  return {
    ...(request.environment ?? {}),
    ...(request.clockShiftSeconds ? clockShiftEnvironment(request.clockShiftSeconds, env) : {}),
  };
}
