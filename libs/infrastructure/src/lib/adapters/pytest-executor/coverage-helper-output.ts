import { CoverageReport, InvalidInputError, type FileCoverageData, type TestRunResult } from '@test-agent/domain';

/** One file's data as `test_agent_coverage_report.py` prints it. */
interface CoverageHelperFile {
  readonly executed_lines: number[];
  readonly missing_lines: number[];
  readonly executed_branches: [number, number][];
  readonly missing_branches: [number, number][];
}

/** What `test_agent_coverage_report.py` prints (JSON): the whole run and, on request, each test (context). */
interface CoverageHelperOutput {
  readonly file: string;
  readonly error?: string;
  readonly measured?: boolean;
  readonly whole?: CoverageHelperFile;
  readonly contexts?: Record<string, CoverageHelperFile>;
}

/**
 * The coverage of `file` from the helper's output: the whole run and, with `perTest`, each test's.
 * @throws InvalidInputError when coverage.py cannot measure the file (it cannot parse it).
 */
export function coverageFromHelper(
  stdout: string,
  file: string,
  perTest: boolean,
): Pick<TestRunResult, 'coverage' | 'perTest'> {
  const parsed = JSON.parse(stdout) as CoverageHelperOutput;
  if (parsed.error || !parsed.whole) {
    throw new InvalidInputError(
      'TA_TARGET_NOT_PYTHON',
      `coverage.py cannot measure ${file}: ${parsed.error ?? 'no report'}`,
    );
  }
  const coverage = CoverageReport.fromData(file, toData(parsed.whole));
  if (!perTest) return { coverage };
  const reports = new Map<string, CoverageReport>();
  for (const [context, data] of Object.entries(parsed.contexts ?? {})) {
    reports.set(context, CoverageReport.fromData(file, toData(data)));
  }
  return { coverage, perTest: reports };
}

function toData(file: CoverageHelperFile): FileCoverageData {
  return {
    executedLines: file.executed_lines,
    missingLines: file.missing_lines,
    executedBranches: file.executed_branches.map(([a, b]) => [a, b] as const),
    missingBranches: file.missing_branches.map(([a, b]) => [a, b] as const),
  };
}
