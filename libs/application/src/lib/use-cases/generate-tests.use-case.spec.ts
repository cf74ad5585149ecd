import {
  InvalidInputError,
  type Containment,
  type ModuleTarget,
  type TestExecutor,
  type TestWorkspace,
} from '@test-agent/domain';
import { CapturingLogger } from '@test-agent/domain/testing';
import type { OfflineTestGenerator } from '../services/offline-search/offline-test-generator.service';
import type { TestFileEmitter } from '../services/test-file-assembler/test-file-emitter.service';
import type { GenerateTestsRequest } from '../generation/generation-request';
import { generationUnits } from '../testing/generation-world';
import { GenerateTests } from './generate-tests.use-case';

// Bad input is refused before any search, any Python process (the sandbox probe included) and any write.
const good: ModuleTarget = { file: '/p/pkg/good.py', importRoot: '/p', moduleName: 'pkg.good' };
const huge: ModuleTarget = { file: '/p/pkg/huge.py', importRoot: '/p', moduleName: 'pkg.huge' };
const request: GenerateTestsRequest = { path: '/p/pkg', outDir: '/p/tests', timeBudgetSeconds: 1, targetCoverage: 80 };

function setUp(targets: ModuleTarget[], workspace: Partial<TestWorkspace> = {}) {
  const calls: string[] = [];
  const record = (name: string) => async () => {
    calls.push(name);
    throw new InvalidInputError('TA_IMPORT_FAILED', `${name} called`);
  };
  const ws: TestWorkspace = {
    resolveTargets: async () => targets,
    checkOutputFolder: async () => undefined,
    checkModule: async (t) => {
      if (t.moduleName.startsWith('pkg.huge'))
        throw new InvalidInputError(
          'TA_FILE_TOO_LARGE',
          `${t.file} is 50.0 MiB, over the 10.0 MiB limit for one Python module`,
        );
    },
    pathIn: (dir, name) => `${dir}/${name}`,
    relative: () => '.',
    exists: async () => false,
    head: async () => '',
    write: async (file) => void calls.push(`write ${file}`),
    testFilesUnder: async () => [],
    ...workspace,
  };
  const offline = {
    generate: async (t: ModuleTarget) => record(`search ${t.moduleName}`)(),
  } as unknown as OfflineTestGenerator;
  const executor: TestExecutor = { run: record('pytest') } as unknown as TestExecutor;
  const fileEmitter = { emit: record('emit') } as unknown as TestFileEmitter;
  const containment: Containment = { require: async () => void calls.push('sandbox probe') } as unknown as Containment;
  const logger = new CapturingLogger();
  return {
    calls,
    logger,
    useCase: new GenerateTests({
      ...generationUnits({ executor, logger, workspace: ws, fileEmitter }, offline),
      containment,
    }),
  };
}

describe('GenerateTests refuses bad input up front', () => {
  it('refuses an unusable output folder before anything runs', async () => {
    const refusal = new InvalidInputError(
      'TA_OUTPUT_NOT_A_FOLDER',
      'The output folder /p/tests is an existing file, not a folder',
    );
    const { calls, useCase } = setUp([good], { checkOutputFolder: async () => Promise.reject(refusal) });
    await expect(useCase.execute(request)).rejects.toBe(refusal);
    expect(calls).toEqual([]);
  });

  it('refuses a single oversized module before any search', async () => {
    const { calls, useCase } = setUp([huge]);
    await expect(useCase.execute({ ...request, path: huge.file })).rejects.toMatchObject({ code: 'TA_FILE_TOO_LARGE' });
    expect(calls).toEqual([]);
  });

  it('refuses a folder whose every module is refused, before the sandbox probe', async () => {
    const { calls, useCase } = setUp([huge, { ...huge, file: '/p/pkg/huge2.py', moduleName: 'pkg.huge2' }]);
    await expect(useCase.execute(request)).rejects.toMatchObject({
      code: 'TA_NOTHING_TESTABLE',
      message: expect.stringContaining('pkg.huge: /p/pkg/huge.py is 50.0 MiB'),
    });
    expect(calls).toEqual([]);
  });

  it('in a folder, skips a refused module and searches only the others', async () => {
    const { calls, logger, useCase } = setUp([huge, good]);
    // The good module's search fails too (the fake's search throws), so nothing is testable in the end; its
    // statements are counted (a pytest run that does not import it; the fake's fails) as uncovered.
    await expect(useCase.execute(request)).rejects.toMatchObject({ code: 'TA_NOTHING_TESTABLE' });
    expect(calls).toEqual(['sandbox probe', 'search pkg.good', 'pytest']);
    expect(logger.lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'Skipping a module',
        fields: expect.objectContaining({ module: 'pkg.huge' }),
      }),
    );
  });

  it('checks the output folder against the targets found', async () => {
    const seen: unknown[] = [];
    const { useCase } = setUp([huge], { checkOutputFolder: async (...args) => void seen.push(args) });
    await expect(useCase.execute(request)).rejects.toMatchObject({ code: 'TA_FILE_TOO_LARGE' });
    expect(seen).toEqual([['/p/tests', '/p/pkg', [huge]]]);
  });
});
