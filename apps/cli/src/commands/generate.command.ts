import os from 'node:os';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { formatSlowest, type GenerateTestsReport, type GenerationStrategy } from '@test-agent/application';
import { createProgressReporter } from '../progress';
import { TOKENS, generationDefaults } from '@test-agent/composition';
import type { CliContext } from '../cli-context';
import { EXIT } from '../error-handler';

interface GenerateOptions {
  out: string;
  timeBudget?: number;
  targetCoverage?: number;
  strategy?: GenerationStrategy;
  force?: boolean;
  seed?: number;
  maxIterations?: number;
  maxTokens?: number;
  timeout?: number;
  resume?: boolean;
  llmUrl?: string;
  model?: string;
  jobs?: number;
  changedSince?: string;
  tests?: string;
  progress?: 'auto' | 'lines' | 'json' | 'none';
  pinDefects?: boolean;
  perturb?: boolean;
  mutation?: boolean;
  maxMutants?: number;
}

const positiveNumber = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number`);
  return n;
};

const positiveInteger = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a whole number above 0`);
  return n;
};

const percent = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 100) throw new InvalidArgumentError('must be a percentage between 0 and 100');
  return n;
};

const progressMode = (value: string): 'auto' | 'lines' | 'json' | 'none' => {
  if (value !== 'auto' && value !== 'lines' && value !== 'json' && value !== 'none')
    throw new InvalidArgumentError('must be auto, lines, json or none');
  return value;
};

const strategy = (value: string): GenerationStrategy => {
  if (value !== 'offline' && value !== 'llm' && value !== 'hybrid')
    throw new InvalidArgumentError('must be offline, llm or hybrid');
  return value;
};

/**
 * `generate <path> --out <dir>`: writes pytest tests for a module or a folder of modules. Exit 0 when the
 * coverage target is met, 10 when tests were written but the target was not reached.
 */
export function registerGenerate(program: Command, ctx: CliContext): void {
  program
    .command('generate')
    .description(
      'write pytest tests for a Python module or every module under a folder (offline search engine by default)',
    )
    .argument('<path>', 'a Python file, or a folder of modules')
    .requiredOption('-o, --out <dir>', 'folder for the test files and the reports')
    .option(
      '-t, --time-budget <seconds>',
      'offline time budget per module, in seconds: search and validation (env TEST_AGENT_TIME_BUDGET, default 30)',
      positiveNumber('--time-budget'),
    )
    .option(
      '--target-coverage <percent>',
      'line+branch coverage target (env TEST_AGENT_TARGET_COVERAGE, default 80)',
      percent,
    )
    .option(
      '--strategy <name>',
      'offline, llm or hybrid (default: hybrid with an LLM configured, offline without)',
      strategy,
    )
    .option('--force', "overwrite existing test files even when they are the user's")
    .option('-j, --jobs <n>', 'modules generated at once (default: the number of CPUs)', positiveInteger('--jobs'))
    .option(
      '--tests <path>',
      'your existing tests (a folder or file): their coverage is the baseline, and only what they leave uncovered is aimed at',
    )
    .option(
      '--progress <mode>',
      'progress on stderr: auto (bars on a terminal, plain lines otherwise; none with --json), lines, json (one JSON event per line, for programs) or none',
      progressMode,
    )
    .option(
      '--changed-since <ref>',
      "only modules changed since this git reference (e.g. HEAD~1, main); the report gives the changed lines' coverage",
    )
    .option(
      '--pin-defects',
      'write suspected defects (errors of the code on well-typed input) into the tests as strict xfail tests; they are always reported',
    )
    .option(
      '--no-perturb',
      'skip the runs on perturbed machines (another time zone, locale, proxies, clock) every offline test must also pass',
    )
    .option(
      '--mutation',
      'mutation testing of the written tests: mutants of the covered lines run in the sandbox; the report gives the score per module and the surviving mutants (env TEST_AGENT_MUTATION=on)',
    )
    .option(
      '--max-mutants <n>',
      'mutation testing: mutants run per module at most, within the time budget (env TEST_AGENT_MAX_MUTANTS, default 60)',
      positiveInteger('--max-mutants'),
    )
    .option('--seed <n>', 'seed of the search (same seed, same choices)', positiveNumber('--seed'))
    .option('--llm-url <url>', 'LLM endpoint (env LLM_URL; the llm-api protocol unless LLM_PROVIDER says otherwise)')
    .option('--model <name>', 'model name (env LLM_MODEL); decides the tokenizer and context window')
    .option(
      '--max-iterations <n>',
      'LLM: rounds over the chunks with uncovered code (default 3)',
      positiveInteger('--max-iterations'),
    )
    .option(
      '--max-tokens <n>',
      'LLM: prompt + completion tokens one module may spend (default 200000)',
      positiveInteger('--max-tokens'),
    )
    .option(
      '--timeout <seconds>',
      "LLM: wall-time budget of one module's LLM phase (default 600)",
      positiveNumber('--timeout'),
    )
    .option('--resume', 'LLM: continue an interrupted run from its checkpoint in <out>/.test-agent')
    .action(async (target: string, opts: GenerateOptions) => {
      const overrides = {
        ...(opts.timeBudget !== undefined ? { timeBudgetSeconds: Math.ceil(opts.timeBudget) } : {}),
        ...(opts.targetCoverage !== undefined ? { targetCoverage: opts.targetCoverage } : {}),
        ...(opts.llmUrl !== undefined ? { llmUrl: opts.llmUrl } : {}),
        ...(opts.model !== undefined ? { llmModel: opts.model } : {}),
        ...(opts.mutation ? { mutation: 'on' as const } : {}),
        ...(opts.maxMutants !== undefined ? { maxMutants: opts.maxMutants } : {}),
      };
      const config = ctx.loadConfig(overrides);
      const useCase = ctx.resolve(overrides).get(TOKENS.GenerateTests);
      const mode = opts.progress ?? (ctx.json ? 'none' : 'auto');
      const progress = createProgressReporter({
        style: mode === 'auto' ? (ctx.isTty ? 'bars' : 'lines') : mode,
        stream: process.stderr,
      });
      const report = await useCase
        .execute({
          // Flag values reached the config as overrides, so the defaults carry them.
          ...generationDefaults(config),
          path: path.resolve(target),
          outDir: path.resolve(opts.out),
          strategy: opts.strategy,
          force: opts.force,
          seed: opts.seed,
          maxIterations: opts.maxIterations,
          maxTokens: opts.maxTokens,
          timeoutSeconds: opts.timeout,
          resume: opts.resume,
          ...(opts.pinDefects ? { pinDefects: true } : {}),
          ...(opts.perturb === false ? { perturbMachine: false } : {}),
          jobs: opts.jobs ?? os.availableParallelism(),
          ...(opts.changedSince ? { changedSince: opts.changedSince } : {}),
          ...(opts.tests ? { existingTests: path.resolve(opts.tests) } : {}),
          // --json is for machines: stdout has the report, stderr only warnings and errors (unless --progress asks).
          onProgress: progress.update,
          onModule: progress.module,
        })
        .finally(() => progress.stop());
      ctx.print(report, () => renderHuman(report));
      if (!report.targetMet) process.exitCode = EXIT.targetNotReached;
    });
}

function renderHuman(r: GenerateTestsReport): string {
  const rel = (p: string) => path.relative(process.cwd(), p) || p;
  const pct = (n: number) => `${n.toFixed(1)} %`;
  const lines: string[] = [];
  for (const m of r.modules) {
    if (m.error) {
      const counted =
        m.coverage.lines.total > 0
          ? ` (${m.coverage.lines.total} lines, ${m.coverage.branches.total} branches counted as uncovered)`
          : '';
      lines.push(`  ${m.module}: skipped — ${m.error.message}${counted}`);
      continue;
    }
    const where = m.testFile ? rel(m.testFile) : 'no test kept';
    const beside = m.writeAction === 'written-beside' ? ' (beside your existing test file)' : '';
    const changed = m.changedLines ? `, changed lines ${m.changedLines.covered}/${m.changedLines.total}` : '';
    const alone = m.existingTests ? ` (your tests alone: ${pct(m.existingTests.percent.combined)})` : '';
    lines.push(
      `  ${where}${beside}: ${m.tests} test${m.tests === 1 ? '' : 's'}, lines ${m.coverage.lines.covered}/${m.coverage.lines.total}, branches ${m.coverage.branches.covered}/${m.coverage.branches.total}, line+branch ${pct(m.coverage.percent.combined)}${alone}${changed}`,
    );
    if (m.integrationTestFile) lines.push(`  ${rel(m.integrationTestFile)}: integration tests across the public API`);
    const refused = Object.entries(m.outsideEffects ?? {}).map(
      ([fn, e]) => `${fn || 'doctests'} (${e.calls}: ${e.examples[0] ?? ''})`,
    );
    if (refused.length) lines.push(`    side effects outside the sandbox, not tested offline: ${refused.join(', ')}`);
    if (m.importEffects?.length) lines.push(`    importing it tried: ${m.importEffects.join(', ')}`);
    if (m.withoutDoctests)
      lines.push(
        `    without the module's own doctest examples: line+branch ${pct(m.withoutDoctests.percent.combined)}`,
      );
    for (const d of m.suspectedDefects ?? [])
      lines.push(
        `    suspected defect in ${d.subject}: ${d.error}${d.line !== undefined ? ` (line ${d.line})` : ''}, on well-typed input${r.pinnedDefects ? ' (pinned as strict xfail)' : ' (not pinned; --pin-defects writes it as a strict xfail test)'}`,
      );
    if (m.mutation) {
      const x = m.mutation;
      const score = x.score === undefined ? 'no mutant ran' : pct(x.score);
      const left = x.notRun ? `, ${x.notRun} not run (time budget)` : '';
      lines.push(
        `    mutation score ${score}: ${x.killed}/${x.total} mutants killed${left}${x.survivors.length ? `; ${x.survivors.length} survived (listed in the report)` : ''}`,
      );
    }
    if (m.llm) {
      const f = m.llm.funnel;
      lines.push(
        `    LLM: ${m.llm.llmCalls} calls, ${m.llm.promptTokens + m.llm.completionTokens} tokens; funnel ${f.generated} generated → ${f.parsed} parse → ${f.imported} import → ${f.passed} pass → ${f.stable} stable → ${f.addedCoverage} add coverage; stopped by ${m.llm.stoppedBy}`,
      );
      for (const d of m.llm.suspectedDefects)
        lines.push(`    suspected defect in ${d.symbols.join(', ') || m.module}: ${d.test} — ${d.message}`);
    }
  }
  return [
    `Tests for ${r.modules.length} module${r.modules.length === 1 ? '' : 's'} (${r.strategy}, ${(r.durationMs / 1000).toFixed(1)} s):`,
    ...lines,
    ...(r.changedSince
      ? [
          `Changed since ${r.changedSince.ref}: ${r.modules.length} module${r.modules.length === 1 ? '' : 's'}, ${r.changedSince.covered}/${r.changedSince.total} changed statements covered.`,
        ]
      : []),
    ...(r.slowest?.length ? [`Slowest modules: ${formatSlowest(r.slowest)}.`] : []),
    ...(r.existingTests
      ? [
          `Your tests in ${rel(r.existingTests.path)} alone: line+branch ${pct(r.existingTests.coverage.percent.combined)}; with the generated tests: ${pct(r.coverage.percent.combined)}.`,
        ]
      : []),
    ...(r.mutation
      ? [
          `Mutation score ${r.mutation.score === undefined ? '—' : pct(r.mutation.score)} (${r.mutation.killed}/${r.mutation.total} mutants killed).`,
        ]
      : []),
    `Total line+branch coverage ${pct(r.coverage.percent.combined)} (lines ${pct(r.coverage.percent.line)}, branches ${pct(r.coverage.percent.branch)}); target ${r.targetCoverage} % ${r.targetMet ? 'met' : `NOT met: ${r.targetMissedBecause?.join('; ')}`}.`,
    ...(r.sandbox && !r.sandbox.confined
      ? ['Unconfined: the sandbox was off (--no-sandbox), so the code under test ran with your permissions.']
      : []),
    `Reports: ${rel(r.reports.markdown)}, ${rel(r.reports.json)}`,
    `Run them: python -m pytest ${shellQuote(rel(path.dirname(r.reports.json)))}`,
  ].join('\n');
}

/** Quotes a path for a POSIX shell when it needs it (spaces, quotes, ...). */
function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}
