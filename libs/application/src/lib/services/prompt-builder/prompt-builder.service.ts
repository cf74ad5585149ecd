import { compactRanges, type ChatMessage } from '@test-agent/domain';

/** The code a prompt is about, with what is still uncovered in it. */
export interface PromptExcerpt {
  /** Source of the chunk, exactly as in the module. */
  readonly code: string;
  /** 1-based line of the module where `code` starts. */
  readonly startLine: number;
  /** Module lines (1-based) not yet executed by any accepted test. */
  readonly missingLines: readonly number[];
  /** Module branches [from, to] not yet taken (to < 0: leaving the function). */
  readonly missingBranches: readonly (readonly [number, number])[];
  /**
   * Module line ranges left out of the code shown (bodies of functions the tests already cover fully), each shown
   * as one `...` line: the prompt focuses on the functions with gaps.
   */
  readonly elided?: readonly LineRange[];
}

/** Module lines `from` to `to`, both included. */
export interface LineRange {
  readonly from: number;
  readonly to: number;
}

/**
 * The excerpt's lines with their module line numbers; an elided range is one line (`line` its first, `text` the
 * placeholder at the body's indentation).
 */
function shownLines(excerpt: PromptExcerpt): { line: number; text: string; elided?: LineRange }[] {
  const lines = excerpt.code.replace(/\r\n?/g, '\n').split('\n');
  const shown: { line: number; text: string; elided?: LineRange }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = excerpt.startLine + i;
    const range = excerpt.elided?.find((r) => r.from === line);
    if (!range) {
      shown.push({ line, text: lines[i] });
      continue;
    }
    const indent = /^\s*/.exec(lines[i])?.[0] ?? '';
    shown.push({
      line,
      text: `${indent}...  # lines ${range.from}-${range.to} left out: covered already`,
      elided: range,
    });
    i += range.to - range.from;
  }
  return shown;
}

export interface UnitTestPromptInput {
  /** Dotted module name, e.g. `shop.cart`. */
  readonly moduleName: string;
  /** The statement tests must use to import the module, e.g. `from shop import cart` or `import calc`. */
  readonly importStatement: string;
  /** Module skeleton: imports, constants, class headers, signatures with docstrings. */
  readonly skeleton: string;
  /** Summaries of the chunks this one depends on, most important first (already fitted to the budget). */
  readonly summaries: readonly string[];
  readonly excerpt: PromptExcerpt;
  /** Names of the chunk's definitions to test. */
  readonly symbols: readonly string[];
  /**
   * List the uncovered lines and branches after the code instead of numbering and marking every line: fewer
   * tokens, for a chunk whose marked form does not fit the budget.
   */
  readonly compact?: boolean;
}

const SYSTEM = [
  'You are an expert Python engineer who writes pytest unit tests.',
  'Write tests that pass on the code exactly as it is today: when the code looks wrong, test what it does and say so in a comment.',
  'Rules:',
  '- Use plain pytest functions named test_<what>_<expected>; use pytest.raises for exceptions and pytest.approx for floats.',
  '- Use tmp_path for files and monkeypatch for environment variables, time and randomness; never touch the network or real user files.',
  '- Each test must be independent of the others and deterministic.',
  '- pytest-asyncio is not installed: test async code from a plain `def test_...` with `asyncio.run(...)`.',
  '- Answer with one ```python fenced block holding the imports and the tests, and nothing else.',
].join('\n');

/** Numbers the excerpt's lines as in the module and marks uncovered lines and branches. */
export function markExcerpt(excerpt: PromptExcerpt): string {
  const missing = new Set(excerpt.missingLines);
  const branchesByLine = new Map<number, number[]>();
  for (const [from, to] of excerpt.missingBranches) branchesByLine.set(from, [...(branchesByLine.get(from) ?? []), to]);
  const lineCount = excerpt.code.replace(/\r\n?/g, '\n').split('\n').length;
  const width = String(excerpt.startLine + lineCount - 1).length;
  return shownLines(excerpt)
    .map(({ line, text, elided }) => {
      if (elided) return `  ${' '.repeat(width)}  ${text}`;
      const branches = branchesByLine.get(line);
      const mark = missing.has(line) ? '>>' : branches ? '~>' : '  ';
      const note = branches
        ? `  # branch not taken: ${branches.map((to) => (to < 0 ? 'exit' : `line ${to}`)).join(', ')}`
        : '';
      return `${mark}${String(line).padStart(width)}: ${text}${note}`;
    })
    .join('\n');
}

/** The excerpt as plain code followed by the list of what never ran (module line numbers). */
export function listGaps(excerpt: PromptExcerpt): string {
  const end = excerpt.startLine + excerpt.code.replace(/\r\n?/g, '\n').split('\n').length - 1;
  const code = shownLines(excerpt).map((l) => l.text);
  const lines = [`The code below is lines ${excerpt.startLine}-${end} of the module.`, '```python', ...code, '```'];
  if (excerpt.missingLines.length) lines.push(`Lines that never run yet: ${compactRanges(excerpt.missingLines)}.`);
  if (excerpt.missingBranches.length) {
    lines.push(
      `Branches never taken: ${excerpt.missingBranches.map(([from, to]) => `${from}→${to < 0 ? 'exit' : to}`).join(', ')}.`,
    );
  }
  return lines.join('\n');
}

/** A failing test of an answer, for its repair turn. */
export interface RepairRequest {
  readonly name: string;
  /** Its cleaned error (at most a few dozen lines). */
  readonly error: string;
}

/** What a later round tells the model about its earlier answers for a chunk, and the chunk's remaining gaps. */
export interface FeedbackInput {
  readonly excerpt: PromptExcerpt;
  readonly kept: readonly string[];
  readonly useless: readonly string[];
  readonly failed: readonly string[];
  readonly defects: readonly string[];
}

/** Uncovered lines a feedback turn quotes at most (the rest are listed as ranges). */
const FEEDBACK_QUOTED_LINES = 40;

/** Builds the prompts of the LLM generation loop. Pure: token budgets are enforced by the context builder. */
export class PromptBuilder {
  /** First prompt for one chunk: tests for its definitions, aimed at the uncovered lines and branches. */
  unitTests(input: UnitTestPromptInput): ChatMessage[] {
    const context = [
      `Module \`${input.moduleName}\` (import it in tests with: \`${input.importStatement}\`).`,
      '',
      'Module skeleton (signatures only):',
      '```python',
      input.skeleton.trimEnd(),
      '```',
    ];
    if (input.summaries.length > 0) {
      context.push('', 'Related parts of the module, summarised:', ...input.summaries.map((s) => `- ${s}`));
    }
    const subject = `Code to test (${input.symbols.join(', ') || 'module-level code'})`;
    const task = input.compact
      ? [
          '',
          `${subject}.`,
          listGaps(input.excerpt),
          '',
          'Write pytest tests that make those lines and branches run, and assert on the observable results.',
        ]
      : [
          '',
          `${subject}, with module line numbers.`,
          'Lines marked `>>` never run yet; lines marked `~>` have a branch that is never taken:',
          '```python',
          markExcerpt(input.excerpt),
          '```',
          '',
          'Write pytest tests that make the marked lines and branches run, and assert on the observable results.',
        ];
    return [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: [...context, ...task].join('\n') },
    ];
  }

  /** Integration tests across the module's public API (several functions/classes used together). */
  integrationTests(
    input: Omit<UnitTestPromptInput, 'excerpt' | 'symbols'> & { publicApi: readonly string[] },
  ): ChatMessage[] {
    return [
      { role: 'system', content: SYSTEM },
      {
        role: 'user',
        content: [
          `Module \`${input.moduleName}\` (import it with: \`${input.importStatement}\`). Its skeleton:`,
          '```python',
          input.skeleton.trimEnd(),
          '```',
          ...(input.summaries.length ? ['', 'Summaries:', ...input.summaries.map((s) => `- ${s}`)] : []),
          '',
          `Write integration tests that use its public API together (${input.publicApi.join(', ')}): realistic`,
          'workflows that call several of these in sequence and check the combined result.',
        ].join('\n'),
      },
    ];
  }

  /**
   * Follow-up in the same conversation, after an answer: every test of it that failed, each with its cleaned
   * error; the model answers them all fixed in one block.
   */
  repair(failures: readonly RepairRequest[]): ChatMessage {
    const one = failures.length === 1;
    return {
      role: 'user',
      content: [
        one ? `The test \`${failures[0].name}\` fails:` : `These ${failures.length} tests fail:`,
        ...failures.flatMap((f) => [...(one ? [] : ['', `\`${f.name}\`:`]), '```', f.error.trim(), '```']),
        '',
        `Fix ${one ? 'the test' : 'each test'} so it passes on the code as it is (do not change the code under test), keeping ${one ? 'its name' : 'their names'}.`,
        'If you are sure the code under test has a bug, keep the assertion of the correct behaviour and add the comment',
        `\`# SUSPECTED BUG: <why>\` above it. Answer with the corrected ${one ? 'test' : 'tests'} only, in one \`\`\`python block.`,
      ].join('\n'),
    };
  }

  /**
   * Follow-up in the same conversation, in a later round: what became of the earlier tests (kept, passed but
   * adding nothing, failing, suspected defects), and the lines and branches of the code that still never run,
   * quoted with their module line numbers.
   */
  feedback(input: FeedbackInput): ChatMessage {
    const list = (names: readonly string[]) => names.map((n) => `\`${n}\``).join(', ');
    const { excerpt } = input;
    const code = excerpt.code.replace(/\r\n?/g, '\n').split('\n');
    const width = String(excerpt.startLine + code.length - 1).length;
    const quoted = excerpt.missingLines
      .filter((line) => line >= excerpt.startLine && line < excerpt.startLine + code.length)
      .slice(0, FEEDBACK_QUOTED_LINES)
      .map((line) => `${String(line).padStart(width)}: ${code[line - excerpt.startLine]}`);
    const more = excerpt.missingLines.length - quoted.length;
    return {
      role: 'user',
      content: [
        ...(input.kept.length
          ? [`Kept (they add coverage): ${list(input.kept)}.`]
          : ['None of your tests added coverage yet.']),
        ...(input.useless.length
          ? [`Passed but added no coverage (do not write such tests again): ${list(input.useless)}.`]
          : []),
        ...(input.failed.length ? [`Failed and were dropped: ${list(input.failed)}.`] : []),
        ...(input.defects.length
          ? [`Reported as suspected bugs (do not test that behaviour again): ${list(input.defects)}.`]
          : []),
        '',
        ...(quoted.length
          ? [
              'These lines of the code still never run:',
              '```python',
              ...quoted,
              ...(more > 0 ? [`... and ${more} more: ${compactRanges(excerpt.missingLines)}`] : []),
              '```',
            ]
          : []),
        ...(excerpt.missingBranches.length
          ? [
              `Branches still never taken: ${excerpt.missingBranches.map(([from, to]) => `${from}→${to < 0 ? 'exit' : to}`).join(', ')}.`,
            ]
          : []),
        'Write additional tests that make them run, with other inputs than before. Do not repeat earlier tests. One ```python block.',
      ].join('\n'),
    };
  }
}
