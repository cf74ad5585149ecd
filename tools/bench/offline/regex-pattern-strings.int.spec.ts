// The offline search on a module whose only function parses its input with a module-level compiled regular
// expression: the real worker harvests the pattern and generates strings from it, and a few seconds of search
// cover the parser. Without the pattern's strings (the same module, `patterns` hidden) the same search does not.
import path from 'node:path';
import { OfflineSearchEngine } from '@test-agent/application';
import type { SandboxSession } from '@test-agent/domain';
import { PythonEnvironment, PythonWorkerExecutionSandbox, resolveModuleTarget } from '@test-agent/infrastructure';

const venv = path.resolve(__dirname, '../../../.venv');
const env = new PythonEnvironment({ venvDir: venv, basePython: 'python3', pipArgs: [] });
const fixture = path.join(__dirname, '__fixtures__', 'version_parser.py');
const VERSION_RE = String.raw`^(\d+)\.(\d+)(?:\.(\d+))?(?:-(alpha|beta|rc)(\d+))?$`;

describe('offline search on a regex-driven parser (real worker)', () => {
  let session: SandboxSession;
  beforeAll(async () => {
    session = await new PythonWorkerExecutionSandbox(env, { baseEnv: process.env, hangGraceMs: 1500 }).open(
      resolveModuleTarget(fixture),
    );
  }, 60_000);
  afterAll(() => session.close());

  it('harvests the module-level compiled pattern for the function that uses it, with the parameter it matches', () => {
    const [found, ...others] = session.module.patterns?.parse_version ?? [];
    expect(others).toEqual([]);
    expect(found).toMatchObject({ pattern: VERSION_RE, flags: 0, subjects: ['text'] });
    const re = new RegExp(VERSION_RE);
    expect(found.matches.length).toBeGreaterThanOrEqual(8);
    expect(found.matches.every((s) => re.test(s))).toBe(true);
    // Every alternative of the stage group, and the optional parts both present and absent.
    for (const stage of ['-alpha', '-beta', '-rc']) expect(found.matches.some((s) => s.includes(stage))).toBe(true);
    expect(found.matches.some((s) => /^\d+\.\d+$/.test(s))).toBe(true);
    expect(found.nearMisses).toContain('');
    expect(found.nearMisses.some((s) => re.test(s))).toBe(false);
    expect(session.module.paramHints.parse_version?.text).toContainEqual({ kind: 'builtin', name: 'str' });
  });

  it('covers at least 90 % line+branch in a few seconds from the pattern', async () => {
    const outcome = await new OfflineSearchEngine().search(session, fixture, { timeBudgetMs: 4000, seed: 1 });
    expect(outcome.coverage.combinedPercent).toBeGreaterThanOrEqual(90);
  }, 30_000);

  it('does not get there without the strings made from the pattern', async () => {
    const blind: SandboxSession = {
      module: { ...session.module, patterns: undefined },
      execute: (plans, options) => session.execute(plans, options),
      close: async () => undefined,
    };
    const outcome = await new OfflineSearchEngine().search(blind, fixture, { timeBudgetMs: 4000, seed: 1 });
    expect(outcome.coverage.combinedPercent).toBeLessThan(90);
  }, 30_000);
});
