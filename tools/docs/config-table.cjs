#!/usr/bin/env node
// Prints the README's configuration table from the settings table (libs/composition/src/lib/config/settings.ts),
// or with --write replaces the table between the README's markers. The README spec checks every setting is listed.
const path = require('node:path');
const fs = require('node:fs');
const Module = require('node:module');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '../..');
const entry = path.join(root, 'libs/composition/src/lib/config/settings.ts');
const { outputFiles } = esbuild.buildSync({
  entryPoints: [entry],
  bundle: true,
  write: false,
  platform: 'node',
  format: 'cjs',
  packages: 'external',
});
const m = new Module(entry, module);
m.paths = Module._nodeModulePaths(root);
m._compile(outputFiles[0].text, entry);
const { SETTINGS } = m.exports;

const show = (v) => (v === undefined ? '—' : Array.isArray(v) ? (v.length ? `\`${v.join(' ')}\`` : 'none') : String(v));
const rows = SETTINGS.map(
  (s) => `| ${s.key} | \`${s.env}\` | ${show(s.default)} | ${s.description}${s.secret ? ' (secret)' : ''} |`,
);
const table = ['| key | environment variable | default | meaning |', '|---|---|---|---|', ...rows].join('\n');

if (process.argv.includes('--write')) {
  const file = path.join(root, 'README.md');
  const text = fs.readFileSync(file, 'utf8');
  const start = '<!-- config-table:start -->';
  const end = '<!-- config-table:end -->';
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < 0) throw new Error(`README.md lacks the ${start} / ${end} markers`);
  fs.writeFileSync(file, `${text.slice(0, a + start.length)}\n${table}\n${text.slice(b)}`);
} else {
  process.stdout.write(`${table}\n`);
}
