#!/usr/bin/env node
// Prints the failing jest suites and tests of a test log again, at its end: CI shows only the last lines of a run,
// and with several projects in parallel a failure scrolls far above them. Usage: failures.cjs LOG
const { readFileSync } = require('node:fs');

const MAX_LINES_PER_FAILURE = 25;
const MAX_FAILURES = 8;

function failuresOf(text) {
  // eslint-disable-next-line no-control-regex
  const lines = text.replace(/\x1b\[[0-9;]*m/g, '').split('\n');
  const suites = [...new Set(lines.filter((l) => /^\s*FAIL\s/.test(l)).map((l) => l.trim()))];
  const failures = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*● /.test(lines[i]) || /^\s*● Console\s*$/.test(lines[i])) continue;
    const block = [lines[i]];
    for (let j = i + 1; j < lines.length && block.length < MAX_LINES_PER_FAILURE; j++) {
      if (/^\s*● /.test(lines[j]) || /^\s*(PASS|FAIL)\s/.test(lines[j])) break;
      if (lines[j].trim()) block.push(lines[j]);
    }
    failures.push(block.join('\n'));
  }
  return { suites, failures: [...new Set(failures)] };
}

if (require.main === module) {
  const { suites, failures } = failuresOf(readFileSync(process.argv[2], 'utf8'));
  if (suites.length || failures.length) {
    console.log('\n==== failing suites ====');
    for (const suite of suites) console.log(suite);
    console.log(
      `==== failing tests (${failures.length}${failures.length > MAX_FAILURES ? `, first ${MAX_FAILURES}` : ''}) ====`,
    );
    for (const failure of failures.slice(0, MAX_FAILURES)) console.log(`${failure}\n`);
  }
}

module.exports = { failuresOf };
