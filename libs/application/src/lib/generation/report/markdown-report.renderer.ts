import { compactRanges, type ContainmentStatus } from '@test-agent/domain';
import { mutationMarkdownLines } from '../mutation/mutation-markdown';
import { formatSlowest } from './report-facts';
import { uncoveredMarkdownLines } from './uncovered-markdown';
import type { GenerateTestsReport, LlmRunReport, ModuleGenerationReport, ModuleLlmReport } from './generation-report';

const fmt = (n: number) => n.toFixed(1);

/** The Markdown report: totals, then one row per module. */
export function renderMarkdownReport(r: GenerateTestsReport): string {
  const lines = [
    '# Test Agent report',
    '',
    `Strategy: ${r.strategy}. Target: ${r.targetCoverage} % line+branch coverage — ${r.targetMet ? 'met' : `not met: ${r.targetMissedBecause?.join('; ')}`}.`,
    '',
    ...(r.error ? [`**The run stopped early:** ${r.error.message} (${r.error.code}).`, ''] : []),
    ...sandboxLines(r.sandbox),
    ...(r.changedSince
      ? [
          `Changed since ${r.changedSince.ref}: ${r.changedSince.covered}/${r.changedSince.total} changed statements covered, in ${r.modules.length} changed module${r.modules.length === 1 ? '' : 's'}.`,
          '',
        ]
      : []),
    ...(r.python
      ? [
          `Python: ${r.python.executable} ${r.python.version} (from ${r.python.source}; project ${r.python.projectRoot}; pytest ${r.python.pytest ?? 'from the tooling'}).`,
          '',
        ]
      : []),
    ...llmRunLines(r.llm),
    `Total: ${fmt(r.coverage.percent.combined)} % line+branch (lines ${r.coverage.lines.covered}/${r.coverage.lines.total}, branches ${r.coverage.branches.covered}/${r.coverage.branches.total}), in ${(r.durationMs / 1000).toFixed(1)} s.`,
    '',
    ...(r.slowest?.length ? [`Slowest modules: ${formatSlowest(r.slowest)}.`, ''] : []),
    ...importRootLines(r.modules),
    ...(r.existingTests
      ? [
          `Existing tests (${r.existingTests.path}) alone: ${fmt(r.existingTests.coverage.percent.combined)} % line+branch; the total counts them with the generated tests.`,
          '',
        ]
      : []),
    ...perturbationLines(r.modules),
    '| module | tests | line % | branch % | line+branch % | dropped (failing / flaky / unstable / other machine) | search stop | test file |',
    '|---|---|---|---|---|---|---|---|',
    ...r.modules.map(
      (m) =>
        `| ${m.module} | ${m.tests} | ${fmt(m.coverage.percent.line)} | ${fmt(m.coverage.percent.branch)} | ${fmt(m.coverage.percent.combined)} | ${m.dropped.failing} / ${m.dropped.flaky} / ${m.dropped.unstable} / ${m.dropped.machine ?? 0} | ${m.stoppedBy} | ${m.testFile ?? (m.error ? `error: ${m.error.message}` : '—')} |`,
    ),
    '',
  ];
  const withDoctests = r.modules.filter((m) => m.withoutDoctests);
  if (withDoctests.length) {
    lines.push("Without the wrappers of the modules' own doctest examples (the authors' tests, not ours):", '');
    for (const m of withDoctests)
      lines.push(
        `- ${m.module}: ${fmt(m.withoutDoctests!.percent.combined)} % line+branch (with them ${fmt(m.coverage.percent.combined)} %)`,
      );
    lines.push('');
  }
  for (const m of r.modules) if (m.llm) lines.push(...renderLlmSection(m.module, m.llm));
  lines.push(...defectLines(r));
  lines.push(...outsideEffectLines(r.modules));
  lines.push(...mutationMarkdownLines(r));
  lines.push(...uncoveredMarkdownLines(r.modules));
  // Modules with no reasons (the `llm` strategy runs no search): their uncovered lines alone.
  const gaps = r.modules.filter((m) => m.missingLines.length > 0 && m.testFile && !m.uncovered?.length);
  if (gaps.length) {
    lines.push('## Not covered', '');
    for (const m of gaps) lines.push(`- ${m.module}: lines ${compactRanges(m.missingLines)}`);
    lines.push('');
  }
  return lines.join('\n');
}

/** Where the tests import the modules from (one line; usually one folder). */
function importRootLines(modules: readonly ModuleGenerationReport[]): string[] {
  const roots = [...new Set(modules.map((m) => m.importRoot))];
  return roots.length
    ? [`Imported from ${roots.join(', ')} (the import root${roots.length === 1 ? '' : 's'} on sys.path).`, '']
    : [];
}

/** The perturbed machines the offline tests also passed on (one line; none when no module ran any). */
function perturbationLines(modules: readonly ModuleGenerationReport[]): string[] {
  const names = [...new Set(modules.flatMap((m) => m.machinePerturbations ?? []))];
  return names.length ? [`Every offline test also passed on other machines: ${names.join('; ')}.`, ''] : [];
}

/** The Markdown section on suspected defects the offline search found. */
function defectLines(r: GenerateTestsReport): string[] {
  const found = r.modules.filter((m) => m.suspectedDefects?.length);
  if (found.length === 0) return [];
  const out = [
    '## Suspected defects (errors of the code on well-typed input)',
    '',
    r.pinnedDefects
      ? 'Written into the test files as strict xfail tests.'
      : 'Not written into the test files (pinning defects writes them as strict xfail tests).',
    '',
  ];
  for (const m of found) {
    for (const d of m.suspectedDefects!)
      out.push(
        `- ${m.module}.${d.subject}: \`${d.error}\`${d.line !== undefined ? ` on line ${d.line}` : ''}`,
        '',
        '```python',
        d.test,
        '```',
        '',
      );
  }
  return out;
}

/** The Markdown section on calls kept from acting outside the sandbox. */
function outsideEffectLines(modules: readonly ModuleGenerationReport[]): string[] {
  const touched = modules.filter((m) => m.outsideEffects || m.importEffects);
  if (touched.length === 0) return [];
  const lines = ['## Side effects outside the sandbox: not tested offline', ''];
  for (const m of touched) {
    if (m.importEffects) lines.push(`- ${m.module} (import): ${m.importEffects.map((e) => `\`${e}\``).join(', ')}`);
    for (const [fn, summary] of Object.entries(m.outsideEffects ?? {})) {
      lines.push(
        `- ${m.module}.${fn || '(module doctests)'}: ${summary.calls} call${summary.calls === 1 ? '' : 's'} refused (${summary.examples.map((e) => `\`${e}\``).join(', ')})`,
      );
    }
  }
  return [...lines, ''];
}

/** How the code under test was contained, for the Markdown report. */
function sandboxLines(sandbox: ContainmentStatus | undefined): string[] {
  if (!sandbox) return [];
  if (!sandbox.confined)
    return [
      '**Unconfined:** the sandbox was off, so the code under test ran with the permissions of the user who ran Test Agent.',
      '',
    ];
  return [
    `Sandbox: ${sandbox.mechanism ?? 'on'} (file system read-only outside a private temp folder, no network, own process namespace).`,
    '',
  ];
}

/** The endpoint chain in the Markdown report: who served, each window and its source, every fallback and why. */
function llmRunLines(llm: LlmRunReport | undefined): string[] {
  if (!llm) return [];
  const served = llm.servedBy.length > 0 ? `served by ${llm.servedBy.join(' and ')}` : 'no endpoint answered';
  const windows = llm.endpoints
    .filter((e) => e.contextWindow !== undefined)
    .map(
      (e) =>
        `${e.role} ${e.endpoint} ${e.contextWindow} tokens (${e.contextWindowSource})${e.countsEstimated ? ', token counts estimated locally' : ''}`,
    );
  return [
    `LLM: ${served}${llm.contextWindow ? `; prompts fitted to ${llm.contextWindow} tokens, the smallest window of the chain` : ''}.${windows.length ? ` Context windows: ${windows.join('; ')}.` : ''}`,
    ...llm.fallbacks.map(
      (f) =>
        `- Fallback: ${f.calls} call${f.calls === 1 ? '' : 's'} moved from ${f.from} to ${f.to} (${f.reason}): ${f.message}`,
    ),
    '',
  ];
}

/** The LLM part of the Markdown report for one module: funnel, per-chunk table, suspected defects. */
function renderLlmSection(module: string, llm: ModuleLlmReport): string[] {
  const f = llm.funnel;
  const out = [
    `## LLM generation: ${module}`,
    '',
    `Stopped by: ${llm.stoppedBy}${llm.resumed ? ' (resumed from a checkpoint)' : ''}. LLM calls: ${llm.llmCalls} for tests, ${llm.summaryCalls} for summaries; tokens: ${llm.promptTokens} prompt + ${llm.completionTokens} completion.`,
    `Accepted: ${llm.accepted.offline} offline, ${llm.accepted.unit} LLM unit, ${llm.accepted.integration} integration; ${llm.minimised} removed by minimisation, ${llm.polluted} failed only in the full suite.`,
    '',
    '| validation funnel | generated | parse | import | pass | pass re-runs | add coverage |',
    '|---|---|---|---|---|---|---|',
    `| tests | ${f.generated} | ${f.parsed} | ${f.imported} | ${f.passed} | ${f.stable} | ${f.addedCoverage} |`,
    '',
    `Repairs: ${llm.repairs.succeeded} of ${llm.repairs.attempted} attempts fixed a test.`,
    ...(llm.contextWindow
      ? [
          `Prompts fitted to a ${llm.contextWindow}-token context window (${llm.reservedCompletionTokens} reserved for the answer, chunks up to ${llm.chunkBudgetTokens}); token counts ${llm.tokenCounts === 'estimated' ? "estimated locally (the endpoint's counter failed)" : "the model's own"}${llm.refitsAfterTruncation ? `; chunked smaller ${llm.refitsAfterTruncation} time(s) after a silent truncation` : ''}.`,
        ]
      : []),
    '',
    '| chunk | lines | symbols | line+branch % before | after | LLM calls | prompt / completion tokens | accepted | note |',
    '|---|---|---|---|---|---|---|---|---|',
    ...llm.chunks.map(
      (c) =>
        `| ${c.index + 1} | ${c.startLine}-${c.endLine} | ${c.symbols.join(', ') || '—'} | ${fmt(c.before.percent.combined)} | ${fmt(c.after.percent.combined)} | ${c.llmCalls} | ${c.promptTokens} / ${c.completionTokens} | ${c.accepted} | ${c.skipped ?? ''} |`,
    ),
    '',
  ];
  if (llm.suspectedDefects.length > 0) {
    out.push('### Suspected defects in the code under test', '');
    for (const d of llm.suspectedDefects) {
      out.push(`- \`${d.test}\` (${d.symbols.join(', ')}): ${d.message}`, '', '```python', d.code, '```', '');
    }
  }
  return out;
}
