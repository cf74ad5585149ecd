import { compactRanges, formatBranch } from '@test-agent/domain';
import type { ModuleGenerationReport } from './generation-report';

/** Rows of the "Why not covered" table per module; the rest are counted (the JSON report has them all). */
export const UNCOVERED_ROWS_PER_MODULE = 30;

/** Text in a Markdown table cell: its own characters, not emphasis, code, links, HTML (`<locals>`) or cell breaks. */
function cell(text: string): string {
  return text.replace(/[\\`*_[\]<|]/g, (c) => `\\${c}`);
}

/**
 * The Markdown report's "Why not covered": one row per group of uncovered lines and branches with one reason
 * (lines, branches, reason, what it names), at most `UNCOVERED_ROWS_PER_MODULE` per module, then how many more.
 */
export function uncoveredMarkdownLines(modules: readonly ModuleGenerationReport[]): string[] {
  const explained = modules.filter((m) => m.uncovered?.length);
  if (explained.length === 0) return [];
  const out = [
    '## Why not covered',
    '',
    'The most likely reason for each uncovered line and branch: what a test written by hand has to do.',
    '',
    '| module | lines | branches | reason | detail |',
    '|---|---|---|---|---|',
  ];
  for (const m of explained) {
    const groups = m.uncovered!;
    for (const g of groups.slice(0, UNCOVERED_ROWS_PER_MODULE))
      out.push(
        `| ${m.module} | ${compactRanges(g.lines) || '—'} | ${g.branches.map(formatBranch).join(', ') || '—'} | ${g.kind} | ${cell(g.detail)} |`,
      );
    const more = groups.length - UNCOVERED_ROWS_PER_MODULE;
    if (more > 0)
      out.push(`| ${m.module} | … | … | … | ${more} more group${more === 1 ? '' : 's'} in the JSON report |`);
  }
  return [...out, ''];
}
