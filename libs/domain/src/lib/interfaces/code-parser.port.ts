import type { ModuleOutline } from '../value-objects/module-outline.value-object';

/**
 * Parses Python source into a module outline. Never throws on bad Python: a syntax error gives a partial
 * outline and its locations in `ModuleOutline.errors`. Synchronous and side-effect free.
 */
export interface CodeParser {
  /** `source` is the module text (UTF-8 decoded, BOM removed). Line numbers in the result are 1-based. */
  parse(source: string): ModuleOutline;
}
