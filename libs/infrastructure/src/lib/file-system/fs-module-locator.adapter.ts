import type { ModuleLocator, ModuleTarget } from '@test-agent/domain';
import { resolveModuleTarget } from './python-source';

/** `ModuleLocator` on the local file system: walks up while folders are packages (see `resolveModuleTarget`). */
export class FsModuleLocator implements ModuleLocator {
  async locate(file: string): Promise<ModuleTarget> {
    return resolveModuleTarget(file);
  }
}
