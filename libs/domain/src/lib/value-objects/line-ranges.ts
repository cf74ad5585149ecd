import type { Branch } from './coverage-report.value-object';

/** Sorted line numbers as ranges: `[1, 2, 3, 7, 9, 10]` → `1-3, 7, 9-10`. */
export function compactRanges(lines: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    let j = i;
    while (j + 1 < lines.length && lines[j + 1] === lines[j] + 1) j++;
    parts.push(j > i ? `${lines[i]}-${lines[j]}` : `${lines[i]}`);
    i = j;
  }
  return parts.join(', ');
}

/** A branch as people read it: `12->14`, or `12->exit` when it leaves the code object. */
export function formatBranch([from, to]: Branch): string {
  return to < 0 ? `${from}->exit` : `${from}->${to}`;
}
