#!/usr/bin/env node
// Fails (exit 1) when an alert rule names a metric the server does not export. The exported names come from a real
// scrape: the built server (dist/apps/server/main.js) is started on a free loopback port, /metrics is read, and the
// server is stopped. Metric names are read out of each rule's PromQL expression (label matchers, ranges, grouping
// clauses, strings and function names set aside). `up` is Prometheus' own series for a scraped target.
//
// usage: node tools/prometheus/check-alert-metrics.cjs RULES.yml [...]
const { spawn } = require('node:child_process');
const { readFileSync } = require('node:fs');
const path = require('node:path');
const { parse } = require('yaml');

const root = path.resolve(__dirname, '../..');
/** Series Prometheus makes itself for each target, which no exporter exports. */
const PROMETHEUS_SERIES = new Set(['up']);
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'inf',
  'nan',
]);

/** The metric names a PromQL expression selects. */
function metricNames(expr) {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set();
  for (const m of bare.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    const [, name, call] = m;
    if (call || KEYWORDS.has(name.toLowerCase())) continue;
    // Numbers with exponents (1e-9) and durations are not names.
    if (/^\d/.test(name) || /^e\d*$/.test(name)) continue;
    const before = bare[m.index - 1];
    if (before && /[0-9.]/.test(before)) continue;
    names.add(name);
  }
  return [...names];
}

/** Every series name the server's /metrics exposes (a histogram's _bucket, _sum and _count included). */
async function exportedNames() {
  const child = spawn(process.execPath, [path.join(root, 'dist/apps/server/main.js')], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'info',
      TEST_AGENT_METRICS_AUTH: 'off',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  try {
    const address = await new Promise((resolve, reject) => {
      let log = '';
      child.stderr.on('data', (chunk) => {
        log += chunk.toString();
        const match = log.match(/"address":"([^"]+)"/);
        if (match) resolve(match[1]);
      });
      child.on('exit', (code) =>
        reject(new Error(`the server exited with ${code} before listening: ${log.slice(-2000)}`)),
      );
    });
    const res = await fetch(`http://${address}/metrics`);
    if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
    const names = new Set();
    for (const [, name, type] of (await res.text()).matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      names.add(name);
      if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
      if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(name + suffix);
    }
    return names;
  } finally {
    child.kill('SIGTERM');
  }
}

async function main() {
  const files = process.argv.slice(2);
  if (files.length === 0) throw new Error('usage: check-alert-metrics.cjs RULES.yml [...]');
  const exported = await exportedNames();
  const problems = [];
  let alerts = 0;
  for (const file of files) {
    const rules = (parse(readFileSync(file, 'utf8')).groups ?? []).flatMap((g) => g.rules ?? []);
    for (const rule of rules) {
      const name = rule.alert ?? rule.record;
      alerts += rule.alert ? 1 : 0;
      const used = metricNames(String(rule.expr));
      if (used.length === 0) problems.push(`${file}: ${name} names no metric`);
      for (const metric of used) {
        if (!exported.has(metric) && !PROMETHEUS_SERIES.has(metric))
          problems.push(`${file}: ${name} uses ${metric}, which the server does not export`);
      }
    }
  }
  if (alerts === 0) problems.push(`no alert rule in ${files.join(', ')}`);
  if (problems.length > 0) {
    for (const p of problems) process.stderr.write(`error: ${p}\n`);
    process.exit(1);
  }
  process.stdout.write(
    `${alerts} alerts checked: every metric they name is exported by the server (${exported.size} series names)\n`,
  );
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`error: ${e.message}\n`);
    process.exit(1);
  });
}

module.exports = { metricNames };
