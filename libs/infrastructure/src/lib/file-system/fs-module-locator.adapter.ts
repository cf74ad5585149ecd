import type { ModuleLocator, ModuleTarget } from '@test-agent/domain';
import { resolveModuleTarget } from './python-source';

/** `ModuleLocator` on the local file system: finds the import root and module name the way the project imports it (see `resolveModuleTarget`). */
export class FsModuleLocator implements ModuleLocator {
  async locate(file: string): Promise<ModuleTarget> {
    return resolveModuleTarget(file);
  }
}
