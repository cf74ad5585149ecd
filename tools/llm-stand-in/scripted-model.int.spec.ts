import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PromptBuilder, type PromptExcerpt, type RepairRequest } from '@test-agent/application';
import type { ChatMessage } from '@test-agent/domain';
import { countPromptTokens, startStandIn, type LlmStandIn, type StandInAnswer } from './stand-in-server.cjs';

// The scripted model over real HTTP, fed the prompts Test Agent's own PromptBuilder writes, its tests run by real
// pytest against the module the prompt showed: answers follow the marks, a prompt without code gets a refusal,
// the configured mistakes happen, and a repair works only when the error says what is wrong.
const root = path.resolve(__dirname, '../..');
const python = path.join(root, '.venv', 'bin', 'python');
const LEDGER = path.join(root, 'libs/composition/src/lib/__fixtures__/llm-generation/ledger.py');
const code = readFileSync(LEDGER, 'utf8').replace(/\n$/, '');
const prompts = new PromptBuilder();
const SYMBOLS = ['CURRENCY', 'MAX_AMOUNT', 'LedgerError', 'parse_amount', 'Entry', 'Ledger', 'Ledger.__init__'];
// What the offline engine leaves of ledger.py: the too-large amount, balances with entries, a non-empty report.
const GAPS: Pick<PromptExcerpt, 'missingLines' | 'missingBranches'> = {
  missingLines: [27, 63, 64, 65, 66, 79, 80],
  missingBranches: [
    [26, 27],
    [62, 63],
    [77, 79],
  ],
};

// The module skeleton as the context builder writes it: constants, class headers, signatures with `...` bodies.
const SKELETON = [
  'CURRENCY = "EUR"',
  'MAX_AMOUNT = Decimal("1000000")',
  'class Ledger:',
  '    """Accounts and the entries posted between them."""',
  '    def __init__(self, accounts: List[str]) -> None:',
  '        ...',
  '    def balance(self, account: str) -> Decimal:',
  '        ...',
].join('\n');

function unitPrompt(
  gaps = GAPS,
  overrides: { code?: string; importStatement?: string; compact?: boolean; elided?: PromptExcerpt['elided'] } = {},
) {
  return prompts.unitTests({
    moduleName: 'ledger',
    importStatement: overrides.importStatement ?? 'import ledger',
    skeleton: SKELETON,
    summaries: [],
    excerpt: { code: overrides.code ?? code, startLine: 1, ...gaps, elided: overrides.elided },
    symbols: [...SYMBOLS, 'Ledger.post', 'Ledger.balance', 'Ledger.balances', 'format_report'],
    compact: overrides.compact,
  });
}

async function chat(standIn: LlmStandIn, messages: ChatMessage[]) {
  const response = await fetch(`${standIn.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'qwen2.5:7b', messages }),
  });
  const body = (await response.json()) as {
    choices: { message: { content: string }; finish_reason: string }[];
    usage: { prompt_tokens: number; completion_tokens: number };
  };
  const answers = standIn.state().answers;
  return {
    text: body.choices[0].message.content,
    finish: body.choices[0].finish_reason,
    usage: body.usage,
    log: answers[answers.length - 1] as StandInAnswer,
  };
}

const pythonBlock = (text: string) => /```python\n([\s\S]*?)```/.exec(text)?.[1];

/** Runs the answer's tests with pytest beside a copy of ledger.py: `{ passed, failed, output }` by test name. */
function runTests(source: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stand-in-reader-'));
  copyFileSync(LEDGER, path.join(dir, 'ledger.py'));
  writeFileSync(path.join(dir, 'test_answer.py'), source);
  const run = spawnSync(
    python,
    ['-m', 'pytest', '-q', '-rA', '--tb=short', '--color=no', '-p', 'no:cacheprovider', 'test_answer.py'],
    {
      cwd: dir,
      encoding: 'utf8',
    },
  );
  const names = (status: string) =>
    [...run.stdout.matchAll(new RegExp(`^${status} test_answer\\.py::(\\w+)`, 'gm'))].map((m) => m[1]);
  return { passed: names('PASSED'), failed: names('FAILED'), output: run.stdout + run.stderr };
}

/** The failure text pytest printed for `name` (what the product's cleaned error holds). */
function failureOf(output: string, name: string): string {
  const at = output.indexOf(`_ ${name} _`);
  const rest = output.slice(output.indexOf('\n', at) + 1);
  return rest.slice(0, rest.search(/^_{3,} |^={3,} /m)).trim();
}

/** The repair conversation Test Agent sends (ChunkDialogue): the prompt, the answer, the failing tests' errors. */
function repairConversation(first: ChatMessage[], answer: string, failures: RepairRequest[]): ChatMessage[] {
  return [...first, { role: 'assistant', content: answer }, prompts.repair(failures)];
}

describe('the stand-in scripted model (reader)', () => {
  jest.setTimeout(60_000);
  let standIn: LlmStandIn;
  afterEach(async () => standIn?.close());

  it('writes tests only for the definitions whose lines are marked, with arguments solved from the code', async () => {
    standIn = await startStandIn({ reader: true });
    const answer = await chat(standIn, unitPrompt());
    expect(answer.finish).toBe('stop');
    expect(answer.log.reader?.marks).toEqual({ lines: GAPS.missingLines, branches: GAPS.missingBranches });
    expect([...new Set(answer.log.reader?.tests?.map((t) => t.target))]).toEqual([
      'parse_amount',
      'Ledger.balance',
      'format_report',
    ]);
    const source = pythonBlock(answer.text)!;
    // `value > MAX_AMOUNT` read back through `value = Decimal(cleaned)` and `cleaned = text.strip()...`, with
    // MAX_AMOUNT from the skeleton: the amount just above the limit, and the module's own exception.
    expect(source).toContain('with pytest.raises(ledger.LedgerError):\n        ledger.parse_amount("1000001")');
    const run = runTests(source);
    expect(run.passed).toContain('test_parse_amount_line_26');

    // Other marks, other tests: only format_report's lines marked gives only format_report's test.
    const other = await chat(standIn, unitPrompt({ missingLines: [79, 80], missingBranches: [[77, 79]] }));
    expect(other.log.reader?.tests?.map((t) => t.target)).toEqual(['format_report']);
    expect(pythonBlock(other.text)).not.toContain('parse_amount');

    // An excerpt of only the definitions with gaps (numbers jump where a definition starts) reads too.
    const focused = unitPrompt(GAPS).map((m) => ({
      ...m,
      content: m.content.replace(/^ {2}(29|3\d|4\d|5[0-7]): .*\n/gm, ''),
    }));
    expect(focused[1].content).toMatch(/^ {2}28: .*\n {2}58: {5}def balance/m);
    const focusedAnswer = await chat(standIn, focused);
    // The class header and __init__ are not in the excerpt any more: the skeleton's signature builds the instance.
    expect(focusedAnswer.text).toContain('obj = ledger.Ledger([])\n    result = obj.balance(');
    expect(focusedAnswer.log.reader?.tests?.map((t) => t.target)).toEqual(
      answer.log.reader?.tests?.map((t) => t.target),
    );

    // Covered bodies left out (`...  # lines A-B left out`), marked or compact: the same tests.
    const elided = [
      { from: 43, to: 46 },
      { from: 49, to: 56 },
    ];
    for (const compact of [false, true]) {
      expect(unitPrompt(GAPS, { elided, compact })[1].content).toContain(
        '...  # lines 49-56 left out: covered already',
      );
      const shortened = await chat(standIn, unitPrompt(GAPS, { elided, compact }));
      expect(shortened.log.reader?.tests?.map((t) => t.target)).toEqual(answer.log.reader?.tests?.map((t) => t.target));
      expect(pythonBlock(shortened.text)).toContain('ledger.parse_amount("1000001")');
    }

    // The compact form (gaps listed after plain code) reads the same.
    const compact = await chat(standIn, unitPrompt(GAPS, { compact: true }));
    expect(compact.log.reader?.marks).toEqual({ lines: GAPS.missingLines, branches: GAPS.missingBranches });
    expect(pythonBlock(compact.text)).toContain('ledger.parse_amount("1000001")');
  });

  it('refuses without a code block when the prompt lost the code, the numbering, the marks or the import', async () => {
    standIn = await startStandIn({ reader: true });
    const refusals: [string, ChatMessage[]][] = [
      [
        'no code',
        unitPrompt().map((m) => ({ ...m, content: m.content.replace(/(never taken:\n)```python\n[\s\S]*?```/, '$1') })),
      ],
      // One line of the excerpt dropped: the numbers no longer run on, the excerpt is not trusted.
      ['a line lost', unitPrompt().map((m) => ({ ...m, content: m.content.replace(/^ {2}17: .*\n/m, '') }))],
      ['no marks', unitPrompt({ missingLines: [], missingBranches: [] })],
      [
        'no import',
        unitPrompt().map((m) => ({ ...m, content: m.content.replace(/ \(import it in tests with: `[^`]+`\)/, '') })),
      ],
      ['marks outside functions', unitPrompt({ missingLines: [7, 8], missingBranches: [] })],
      // An elided range that does not follow on from the line before it: lines went missing.
      [
        'a gap before an elision',
        unitPrompt(GAPS, { elided: [{ from: 49, to: 56 }] }).map((m) => ({
          ...m,
          content: m.content.replace(/^ {2}48: .*\n/m, ''),
        })),
      ],
    ];
    for (const [why, messages] of refusals) {
      const answer = await chat(standIn, messages);
      expect({ why, text: answer.text }).toEqual({ why, text: expect.not.stringContaining('```') });
      expect({ why, refused: answer.log.reader?.refused }).toEqual({ why, refused: expect.any(String) });
    }
    const summary = await chat(standIn, [
      { role: 'system', content: 'You summarise Python code for an engineer. No code blocks, no preamble.' },
      { role: 'user', content: `\`\`\`python\n${code}\n\`\`\`` },
    ]);
    expect(summary.text).toContain('parse_amount(text) -> Decimal; raises LedgerError');
    expect(summary.text).not.toContain('```');
  });

  it('makes the configured mistakes on the configured answers, and says so in its log', async () => {
    standIn = await startStandIn({ reader: { mistakes: { wrongAssertion: 1, badImport: [2], truncated: [3] } } });
    const first = await chat(standIn, unitPrompt({ missingLines: [27, 79, 80], missingBranches: [[26, 27]] }));
    expect(first.log.reader?.mistakes).toEqual(['wrongAssertion']);
    const wrong = runTests(pythonBlock(first.text)!);
    expect(wrong.output).toContain("== 'stand-in: wrong on purpose'");

    const second = await chat(standIn, unitPrompt());
    expect(second.log.reader?.mistakes).toEqual(['badImport']);
    expect(second.text).toContain('from src.ledger import parse_amount');
    expect(runTests(pythonBlock(second.text)!).output).toContain("ModuleNotFoundError: No module named 'src'");

    const third = await chat(standIn, unitPrompt());
    expect(third.log.reader?.mistakes).toEqual(['truncated']);
    expect(third.finish).toBe('length');
    expect(third.text.match(/```/g)).toHaveLength(1);
    // Later answers of the same prompt try other values (the second round of a run is not a replay).
    expect(second.log.reader?.tests?.[0].name).toBe('test_parse_amount_line_26_try2');
  });

  it('repairs a failing test from its error, and cannot when the error text is missing', async () => {
    standIn = await startStandIn({ reader: { mistakes: { badImport: 1, wrongAssertion: 1 } } });
    const first = unitPrompt({ missingLines: [27, 79, 80], missingBranches: [[26, 27]] });
    const answer = await chat(standIn, first);
    const run = runTests(pythonBlock(answer.text)!);
    // One file: the bad import fails the whole module; run the wrong assertion's test on its own file too.
    expect(run.output).toContain("No module named 'src'");
    const importError = failureOf(run.output, 'test_answer.py') || run.output;

    const fixedImport = await chat(
      standIn,
      repairConversation(first, answer.text, [{ name: 'test_parse_amount_line_26', error: importError }]),
    );
    expect(fixedImport.log.reader).toMatchObject({ kind: 'repair', repaired: ['test_parse_amount_line_26'] });
    const fixedSource = pythonBlock(fixedImport.text)!;
    expect(fixedSource).toContain('import ledger');
    expect(fixedSource).not.toContain('src.');
    expect(runTests(fixedSource).passed).toEqual(['test_parse_amount_line_26']);

    const wrongName = answer.log.reader!.tests!.find((t) => t.target === 'format_report')!.name;
    const alone = pythonBlock(answer.text)!.replace(/^from src\..*$/m, '');
    const wrongRun = runTests(alone);
    expect(wrongRun.failed).toContain(wrongName);
    const assertion = failureOf(wrongRun.output, wrongName);
    expect(assertion).toContain("AssertionError: assert '0 entries' == 'stand-in: wrong on purpose'");
    const fixedAssertion = await chat(
      standIn,
      repairConversation(first, answer.text, [{ name: wrongName, error: assertion }]),
    );
    const pinned = pythonBlock(fixedAssertion.text)!;
    expect(pinned).toContain("assert result == '0 entries'");
    const pinnedRun = runTests(pinned);
    expect(pinnedRun.passed).toEqual([wrongName]);

    // The same turn without the error text: nothing to act on, a plain refusal.
    const blind = await chat(
      standIn,
      repairConversation(first, answer.text, [{ name: wrongName, error: 'the test did not run' }]),
    );
    expect(blind.log.reader).toMatchObject({ kind: 'repair', refused: 'unfixable', unfixable: [wrongName] });
    expect(blind.text).not.toContain('```');

    // Several failing tests of one answer in one turn, each named before its error: one block fixes both.
    const both = await chat(
      standIn,
      repairConversation(first, answer.text, [
        { name: 'test_parse_amount_line_26', error: importError },
        { name: wrongName, error: assertion },
      ]),
    );
    expect(both.log.reader?.repaired).toEqual(['test_parse_amount_line_26', wrongName]);
    expect(runTests(pythonBlock(both.text)!).passed).toEqual(['test_parse_amount_line_26', wrongName]);
  });

  it('answers a follow-up turn for the marks it lists, under new test names', async () => {
    standIn = await startStandIn({ reader: true });
    const first = unitPrompt();
    const answer = await chat(standIn, first);
    const excerpt = { code, startLine: 1, missingLines: [79, 80], missingBranches: [[77, 79]] as [number, number][] };
    const followUp = await chat(standIn, [
      ...first,
      { role: 'assistant', content: answer.text },
      prompts.feedback({
        excerpt,
        kept: [],
        useless: answer.log.reader!.tests!.map((t) => t.name),
        failed: [],
        defects: [],
      }),
    ]);
    expect(followUp.log.reader).toMatchObject({ kind: 'follow-up', marks: { lines: [79, 80], branches: [[77, 79]] } });
    const names = followUp.log.reader!.tests!.map((t) => t.name);
    expect(names).toEqual(['test_format_report_line_77_try2']);
    // A follow-up that lists the lines in prose reads too.
    const prose = await chat(standIn, [
      ...first,
      { role: 'assistant', content: answer.text },
      { role: 'user', content: 'Lines 79-80 still never run; branch 77→79 is never taken. Accepted so far: test_x.' },
    ]);
    expect(prose.log.reader?.marks).toEqual({ lines: [79, 80], branches: [[77, 79]] });
  });

  it('sums the usage it reports, so a client that reads the usage can be checked against it', async () => {
    standIn = await startStandIn({ reader: true });
    const conversations = [unitPrompt(), unitPrompt({ missingLines: [79, 80], missingBranches: [] })];
    let completion = 0;
    for (const messages of conversations) completion += (await chat(standIn, messages)).usage.completion_tokens;
    const { stats } = standIn.state();
    expect(stats.promptTokens).toBe(conversations.reduce((sum, m) => sum + countPromptTokens(m), 0));
    expect(stats.completionTokens).toBe(completion);

    // Every protocol gets the same model: llm-api's /chat too (it sends no usage unless scripted).
    const viaLlmApi = await fetch(`${standIn.url}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: unitPrompt() }),
    });
    expect(((await viaLlmApi.json()) as { response: string }).response).toContain('ledger.parse_amount("1000001")');
    expect(standIn.state().answers.map((a) => [a.path, a.source])).toEqual([
      ['/v1/chat/completions', 'reader'],
      ['/v1/chat/completions', 'reader'],
      ['/chat', 'reader'],
    ]);
  });
});
