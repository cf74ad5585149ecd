import type { GenerateTestsReport } from './generation-report';

/** The JSON report: the run's report as `GenerateTestsReport`, indented, one trailing newline. */
export function renderJsonReport(report: GenerateTestsReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
