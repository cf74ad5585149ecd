/** A branch as coverage.py reports it: from line → to line (1-based; a negative `to` means leaving the code object). */
export type Branch = readonly [from: number, to: number];

/** Raw coverage of one file, in coverage.py's terms. */
export interface FileCoverageData {
  /** Executable statement lines that ran (1-based). */
  readonly executedLines: readonly number[];
  /** Executable statement lines that did not run (1-based). */
  readonly missingLines: readonly number[];
  /** Branch arcs that ran. */
  readonly executedBranches: readonly Branch[];
  /** Branch arcs that did not run. */
  readonly missingBranches: readonly Branch[];
}

/** Covered and total counts. */
export interface Tally {
  readonly covered: number;
  readonly total: number;
}

/** The shape every `--json` output uses for coverage (as coverage.py counts it). Percentages are 0-100. */
export interface CoverageSummary {
  readonly lines: Tally;
  readonly branches: Tally;
  readonly percent: { readonly line: number; readonly branch: number; readonly combined: number };
}

const branchKey = (b: Branch): string => `${b[0]}>${b[1]}`;
const parseBranchKey = (key: string): Branch => {
  const [from, to] = key.split('>').map(Number);
  return [from, to];
};
const percent = (t: Tally): number => (t.total === 0 ? 100 : (100 * t.covered) / t.total);

/**
 * Line and branch coverage of one file. Immutable. Aggregation is a union of covered lines and branches —
 * never an average of percentages. Percentages match coverage.py: combined = (covered lines + covered
 * branches) / (statements + branches).
 */
export class CoverageReport {
  private constructor(
    readonly file: string,
    private readonly statements: ReadonlySet<number>,
    private readonly executed: ReadonlySet<number>,
    private readonly branchesAll: ReadonlySet<string>,
    private readonly branchesExecuted: ReadonlySet<string>,
  ) {}

  static fromData(file: string, data: FileCoverageData): CoverageReport {
    const executed = new Set(data.executedLines);
    const statements = new Set([...data.executedLines, ...data.missingLines]);
    const branchesExecuted = new Set(data.executedBranches.map(branchKey));
    const branchesAll = new Set([...branchesExecuted, ...data.missingBranches.map(branchKey)]);
    return new CoverageReport(file, statements, executed, branchesAll, branchesExecuted);
  }

  /** A report of `file` where nothing ran, with the same statements and branches as `shape`. */
  static empty(shape: CoverageReport): CoverageReport {
    return new CoverageReport(shape.file, shape.statements, new Set(), shape.branchesAll, new Set());
  }

  get coveredLines(): number[] {
    return [...this.executed].sort((a, b) => a - b);
  }

  get missingLines(): number[] {
    return [...this.statements].filter((l) => !this.executed.has(l)).sort((a, b) => a - b);
  }

  get coveredBranches(): Branch[] {
    return [...this.branchesExecuted].map(parseBranchKey).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  }

  get missingBranches(): Branch[] {
    return [...this.branchesAll]
      .filter((k) => !this.branchesExecuted.has(k))
      .map(parseBranchKey)
      .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  }

  get lines(): Tally {
    return { covered: this.executed.size, total: this.statements.size };
  }

  get branches(): Tally {
    return { covered: this.branchesExecuted.size, total: this.branchesAll.size };
  }

  /** Line+branch percentage (0-100), as coverage.py's total. */
  get combinedPercent(): number {
    return percent({
      covered: this.lines.covered + this.branches.covered,
      total: this.lines.total + this.branches.total,
    });
  }

  summary(): CoverageSummary {
    const lines = this.lines;
    const branches = this.branches;
    return {
      lines,
      branches,
      percent: { line: percent(lines), branch: percent(branches), combined: this.combinedPercent },
    };
  }

  /** Does this report cover a line or a branch that `other` does not? */
  addsTo(other: CoverageReport): boolean {
    for (const l of this.executed) if (!other.executed.has(l)) return true;
    for (const b of this.branchesExecuted) if (!other.branchesExecuted.has(b)) return true;
    return false;
  }

  /** Union of covered lines and branches. Both reports must describe the same file. */
  union(other: CoverageReport): CoverageReport {
    if (other.file !== this.file) {
      throw new Error(`Cannot unite coverage of different files: ${this.file} and ${other.file}`);
    }
    return new CoverageReport(
      this.file,
      new Set([...this.statements, ...other.statements]),
      new Set([...this.executed, ...other.executed]),
      new Set([...this.branchesAll, ...other.branchesAll]),
      new Set([...this.branchesExecuted, ...other.branchesExecuted]),
    );
  }

  /** The part of this report inside lines `startLine..endLine` (1-based, inclusive); branches by their source line. */
  project(startLine: number, endLine: number): CoverageReport {
    const inSpan = (l: number) => l >= startLine && l <= endLine;
    const inSpanBranch = (k: string) => inSpan(parseBranchKey(k)[0]);
    return new CoverageReport(
      this.file,
      new Set([...this.statements].filter(inSpan)),
      new Set([...this.executed].filter(inSpan)),
      new Set([...this.branchesAll].filter(inSpanBranch)),
      new Set([...this.branchesExecuted].filter(inSpanBranch)),
    );
  }

  toData(): FileCoverageData {
    return {
      executedLines: this.coveredLines,
      missingLines: this.missingLines,
      executedBranches: this.coveredBranches,
      missingBranches: this.missingBranches,
    };
  }
}
