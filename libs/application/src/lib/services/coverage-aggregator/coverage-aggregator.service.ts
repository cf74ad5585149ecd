import { InvalidInputError, type Branch, type CoverageReport, type CoverageSummary } from '@test-agent/domain';

/** The part of a chunk the projection needs; a `CodeChunk` fits as is. */
export interface ChunkSpan {
  /** Position of the chunk in its file, 0-based. */
  readonly index: number;
  /** First line of the chunk, 1-based. */
  readonly startLine: number;
  /** Last line of the chunk, 1-based, inclusive. */
  readonly endLine: number;
  /** Definitions in the chunk, shown in tables. */
  readonly symbols?: readonly string[];
  readonly kind?: string;
}

/** One row of the per-chunk table: the chunk's own statements and branches (a branch belongs to its source line). */
export interface ChunkCoverageRow {
  readonly index: number;
  readonly startLine: number;
  readonly endLine: number;
  readonly symbols: readonly string[];
  readonly kind?: string;
  readonly summary: CoverageSummary;
  readonly missingLines: readonly number[];
  readonly missingBranches: readonly Branch[];
}

/** What one report adds over another: the lines and branches only it covers. */
export interface CoverageGain {
  readonly lines: readonly number[];
  readonly branches: readonly Branch[];
}

/**
 * Aggregates coverage across chunks, runs and tests. Always a union of covered lines and branches (never an
 * average of percentages), so the total is exactly what running every contributing test together covers.
 */
export class CoverageAggregator {
  /**
   * The union of reports of one file. Throws `InvalidInputError` for an empty list (there is no file to
   * describe) and when the reports describe different files.
   */
  union(reports: readonly CoverageReport[]): CoverageReport {
    if (reports.length === 0) throw new InvalidInputError('TA_NO_COVERAGE', 'There is no coverage report to aggregate');
    const files = new Set(reports.map((r) => r.file));
    if (files.size > 1) {
      throw new InvalidInputError(
        'TA_COVERAGE_FILES_DIFFER',
        `Coverage of different files cannot be united: ${[...files].join(', ')}`,
      );
    }
    return reports.slice(1).reduce((acc, r) => acc.union(r), reports[0]);
  }

  /** The lines and branches `candidate` covers that `base` does not. Empty when it adds nothing. */
  gain(base: CoverageReport, candidate: CoverageReport): CoverageGain {
    const lines = new Set(base.coveredLines);
    const branches = new Set(base.coveredBranches.map(([a, b]) => `${a}>${b}`));
    return {
      lines: candidate.coveredLines.filter((l) => !lines.has(l)),
      branches: candidate.coveredBranches.filter(([a, b]) => !branches.has(`${a}>${b}`)),
    };
  }

  /**
   * The per-chunk table: `report` projected onto each chunk's line span, in chunk order. Chunks partition the
   * module, so the rows' counts add up to the module's; a chunk with no statement reports 0/0 (100 %).
   */
  perChunk(report: CoverageReport, chunks: readonly ChunkSpan[]): ChunkCoverageRow[] {
    return [...chunks]
      .sort((a, b) => a.index - b.index)
      .map((chunk) => {
        const part = report.project(chunk.startLine, chunk.endLine);
        return {
          index: chunk.index,
          startLine: chunk.startLine,
          endLine: chunk.endLine,
          symbols: chunk.symbols ?? [],
          ...(chunk.kind ? { kind: chunk.kind } : {}),
          summary: part.summary(),
          missingLines: part.missingLines,
          missingBranches: part.missingBranches,
        };
      });
  }
}
