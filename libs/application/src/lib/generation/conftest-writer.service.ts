import { silentLogger, type Logger, type ModuleTarget, type TestWorkspace } from '@test-agent/domain';
import {
  GENERATED_MARKER,
  isPristineGeneratedFile,
  withDigest,
} from '../services/test-file-assembler/test-file-assembler.service';

/** Enough of a conftest.py to check its digest (ours are a few hundred characters). */
const MAX_CONFTEST_CHARS = 1_000_000;

/**
 * The generated `conftest.py` that makes the modules under test importable wherever pytest is started from, and
 * the output folder it decides: a user's conftest is never modified (unless forced).
 */
export class ConftestWriter {
  constructor(
    private readonly workspace: TestWorkspace,
    private readonly logger: Logger = silentLogger,
  ) {}

  /**
   * Where the files go: `outDir`, or `outDir/test_agent` when `outDir` holds a `conftest.py` that is the user's
   * (never modified without `force`): the generated conftest that makes the modules importable must sit beside
   * the generated tests.
   */
  async outputFolder(outDir: string, force: boolean | undefined): Promise<string> {
    const { workspace } = this;
    const conftest = workspace.pathIn(outDir, 'conftest.py');
    if (
      force ||
      !(await workspace.exists(conftest)) ||
      isPristineGeneratedFile(await workspace.head(conftest, MAX_CONFTEST_CHARS))
    ) {
      return outDir;
    }
    const folder = workspace.pathIn(outDir, 'test_agent');
    this.logger.warn('The output folder has your conftest.py; writing the generated tests into a subfolder', {
      folder,
    });
    return folder;
  }

  /**
   * Writes a `conftest.py` into `outDir` that puts the modules' import roots on `sys.path`, so plain `pytest <out>`
   * imports them; returns its path, or undefined when none was written (no module, or a conftest that is not ours).
   * An earlier run's roots are kept; a conftest edited by hand (or the user's) is left alone unless `force`.
   */
  async write(
    outDir: string,
    targets: readonly ModuleTarget[],
    force: boolean | undefined,
  ): Promise<string | undefined> {
    if (targets.length === 0) return undefined;
    const { workspace } = this;
    const file = workspace.pathIn(outDir, 'conftest.py');
    let earlier: string[] = [];
    if (await workspace.exists(file)) {
      const existing = await workspace.head(file, MAX_CONFTEST_CHARS);
      if (!isPristineGeneratedFile(existing) && !force) {
        this.logger.warn(
          'Leaving the existing conftest.py alone: make sure it puts the modules under test on sys.path',
          { file },
        );
        return undefined;
      }
      earlier = conftestRoots(existing);
    }
    const roots = [...new Set([...earlier, ...targets.map((t) => workspace.relative(outDir, t.importRoot) || '.')])];
    await workspace.write(
      file,
      withDigest(
        [`${GENERATED_MARKER}: makes the modules under test importable wherever pytest is started from.`],
        conftestBody(roots.sort()),
      ),
    );
    return file;
  }
}

/** The conftest's Python: each root, relative to the conftest's folder, put first on `sys.path`. */
function conftestBody(roots: readonly string[]): string {
  return [
    'import os',
    'import sys',
    '',
    `for _root in [${roots.map((r) => JSON.stringify(r)).join(', ')}]:`,
    '    _path = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), _root))',
    '    if _path not in sys.path:',
    '        sys.path.insert(0, _path)',
    '',
  ].join('\n');
}

/** The import roots listed by a conftest.py Test Agent wrote. */
function conftestRoots(content: string): string[] {
  const m = /^for _root in (\[.*\]):$/m.exec(content);
  return m ? (JSON.parse(m[1]) as string[]) : [];
}
