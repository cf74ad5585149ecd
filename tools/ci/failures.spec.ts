import path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { failuresOf } = require(path.join(__dirname, 'failures.cjs')) as {
  failuresOf: (text: string) => { suites: string[]; failures: string[] };
};

describe('the failure summary at the end of a test run', () => {
  it('collects the failing suites and each failing test with its first lines, colours stripped', () => {
    const log = [
      '\x1b[7m PASS \x1b[27m server apps/server/src/app.spec.ts',
      ' FAIL  server apps/server/src/sources/source-threads.e2e.spec.ts (12 s)',
      '  ● source threads › answers /health while a large module is chunked',
      '',
      '    expect(received).toBeGreaterThanOrEqual(expected)',
      '    Expected: >= 3',
      '  ● Console',
      '    console.log hello',
      '  ● source threads › records metrics',
      '    timed out',
      ' PASS  cli apps/cli/src/cli.e2e.spec.ts',
      'Summary of all failing tests',
      ' FAIL  server apps/server/src/sources/source-threads.e2e.spec.ts (12 s)',
      '  ● source threads › records metrics',
      '    timed out',
    ].join('\n');
    expect(failuresOf(log)).toEqual({
      suites: ['FAIL  server apps/server/src/sources/source-threads.e2e.spec.ts (12 s)'],
      failures: [
        [
          '  ● source threads › answers /health while a large module is chunked',
          '    expect(received).toBeGreaterThanOrEqual(expected)',
          '    Expected: >= 3',
        ].join('\n'),
        ['  ● source threads › records metrics', '    timed out'].join('\n'),
      ],
    });
  });

  it('finds nothing in a green log', () => {
    expect(failuresOf(' PASS  tools tools/ci/failures.spec.ts\nTests: 2 passed')).toEqual({ suites: [], failures: [] });
  });
});
