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
  const lines = excerpt.code.replace(/\r\n?/g, '\n').split('\n');
  const width = String(excerpt.startLine + lines.length - 1).length;
  return lines
    .map((text, i) => {
      const line = excerpt.startLine + i;
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
  const code = excerpt.code.replace(/\r\n?/g, '\n');
  const end = excerpt.startLine + code.split('\n').length - 1;
  const lines = [`The code below is lines ${excerpt.startLine}-${end} of the module.`, '```python', code, '```'];
  if (excerpt.missingLines.length) lines.push(`Lines that never run yet: ${compactRanges(excerpt.missingLines)}.`);
  if (excerpt.missingBranches.length) {
    lines.push(
      `Branches never taken: ${excerpt.missingBranches.map(([from, to]) => `${from}→${to < 0 ? 'exit' : to}`).join(', ')}.`,
    );
  }
  return lines.join('\n');
}

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

  /** Follow-up in the same conversation: one test failed; the cleaned error is shown. */
  repair(testName: string, testCode: string, error: string): ChatMessage {
    return {
      role: 'user',
      content: [
        `The test \`${testName}\` fails:`,
        '```',
        error.trim(),
        '```',
        'Fix the test so it passes on the code as it is (do not change the code under test).',
        'If you are sure the code under test has a bug, keep the assertion of the correct behaviour and add the comment',
        '`# SUSPECTED BUG: <why>` above it. Answer with the corrected test only, in one ```python block:',
        '```python',
        testCode.trim(),
        '```',
      ].join('\n'),
    };
  }

  /** Follow-up in the same conversation: coverage still missing after the accepted tests. */
  moreCoverage(excerpt: PromptExcerpt): ChatMessage {
    return {
      role: 'user',
      content: [
        'Thanks. These lines and branches still never run (marked as before):',
        '```python',
        markExcerpt(excerpt),
        '```',
        'Write additional tests that reach them. Do not repeat earlier tests. One ```python block.',
      ].join('\n'),
    };
  }
}
