import type { ModuleTarget } from '../value-objects/module-target.value-object';

/** Finds how a Python file is imported by its users (import root and dotted name). */
export interface ModuleLocator {
  /**
   * The module target of `file` (resolved, absolute). Throws `InvalidInputError` for a missing path, a file that
   * is not `.py`, or a name that cannot be imported (`TA_PATH_NOT_FOUND`, `TA_NOT_PYTHON`, `TA_BAD_MODULE_NAME`).
   */
  locate(file: string): Promise<ModuleTarget>;
}
