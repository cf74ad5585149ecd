import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CapturingLogger } from '@test-agent/domain/testing';
import { startLlmStandIn, type LlmStandInProcess } from '@test-agent/infrastructure/testing';
import { createTestAgent } from './create-test-agent';

// Edge cases of the LLM loop against the stand-in over HTTP, with real pytest + coverage.py.
const fixtures = path.join(__dirname, '__fixtures__', 'llm-generation');
const CALC = [
  'class Stack:',
  '    def __init__(self):',
  '        self.items = []',
  '',
  '    def pop(self):',
  '        if not self.items:',
  '            raise IndexError("pop from empty stack")',
  '        return self.items.pop()',
  '',
  '',
  'def classify(n):',
  '    if n < 0:',
  '        return "negative"',
  '    if n == 0:',
  '        return "zero"',
  '    return "positive"',
  '',
].join('\n');
const ANSWER = [
  '```python',
  'import pytest',
  'import calc',
  '',
  'def test_a_patches_the_class():',
  '    calc.Stack.pop = lambda self: 42',
  '    assert calc.Stack().pop() == 42',
  '',
  'def test_b_pop_of_empty_stack_raises():',
  '    with pytest.raises(IndexError):',
  '        calc.Stack().pop()',
  '',
  'def test_classify_zero():',
  '    assert calc.classify(0) == "zero"',
  '```',
].join('\n');

// One chunk at a time: the answers and their order are scripted.
const settings = (url: string) => ({
  llmProvider: 'openai',
  llmUrl: url,
  llmModel: 'qwen2.5:7b',
  flakyReruns: 1,
  llmMaxConcurrency: 1,
});

function workspace(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ta-llm-edge-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
  return dir;
}

describe('LLM loop edge cases', () => {
  jest.setTimeout(180_000);
  let standIn: LlmStandInProcess;
  afterEach(() => standIn?.stop());

  it('judges a test that failed beside a polluting candidate again alone, instead of repairing it', async () => {
    standIn = await startLlmStandIn({
      model: 'qwen2.5:7b',
      responses: [{ match: { contains: ['Code to test ('] }, text: ANSWER, times: 1 }],
      default: { text: 'No more tests.' },
    });
    const dir = workspace({ 'calc.py': CALC });
    const report = await createTestAgent(settings(standIn.url), { logger: new CapturingLogger() }).generate({
      path: path.join(dir, 'calc.py'),
      outDir: path.join(dir, 'out'),
      strategy: 'llm',
      maxIterations: 1,
      targetCoverage: 100,
    });
    const llm = report.modules[0].llm!;
    expect(llm.repairs.attempted).toBe(0);
    expect(llm.funnel).toMatchObject({ generated: 3, parsed: 3, imported: 3, passed: 3 });
    const prompts = (await standIn.state()).requests
      .filter((r) => r.path.endsWith('/chat/completions'))
      .map((r) => JSON.stringify(r.body));
    expect(prompts.some((p) => p.includes('test_b_pop_of_empty_stack_raises` fails'))).toBe(false);
  });

  it('never starts a call that could take the run past --max-tokens', async () => {
    standIn = await startLlmStandIn(
      JSON.parse(readFileSync(path.join(fixtures, 'script.json'), 'utf8')) as Record<string, unknown>,
    );
    const dir = workspace({});
    copyFileSync(path.join(fixtures, 'ledger.py'), path.join(dir, 'ledger.py'));
    const report = await createTestAgent(
      {
        ...settings(standIn.url),
        llmContextWindow: 4000,
        reservedCompletionTokens: 800,
        smallModuleTokens: 200,
        promptOverheadTokens: 2550,
      },
      { logger: new CapturingLogger() },
    ).generate({
      path: path.join(dir, 'ledger.py'),
      outDir: path.join(dir, 'out'),
      strategy: 'llm',
      targetCoverage: 100,
      maxTokens: 3000,
    });
    const llm = report.modules[0].llm!;
    expect(llm.stoppedBy).toBe('token-budget');
    expect(llm.llmCalls).toBeGreaterThan(0);
    expect(llm.promptTokens + llm.completionTokens).toBeLessThanOrEqual(3000);
  });

  it('makes no LLM call for a module that cannot be imported', async () => {
    standIn = await startLlmStandIn({ model: 'qwen2.5:7b', default: { text: 'def test_x():\n    assert True\n' } });
    const dir = workspace({ 'broken.py': 'import nonexistent_pkg_xyz\n\n\ndef f():\n    return 1\n' });
    const agent = createTestAgent(settings(standIn.url), { logger: new CapturingLogger() });
    await expect(
      agent.generate({ path: path.join(dir, 'broken.py'), outDir: path.join(dir, 'out'), strategy: 'llm' }),
    ).rejects.toMatchObject({
      code: 'TA_IMPORT_FAILED',
      message: expect.stringContaining("No module named 'nonexistent_pkg_xyz'"),
    });
    expect((await standIn.state()).stats.requests).toBe(0);
  });
});
