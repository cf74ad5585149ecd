import type { CallPlan, CallResult, CallableInfo, ModuleInterface, ModuleTarget, TypeHint } from '@test-agent/domain';
import { FakeExecutionSandbox } from '@test-agent/domain/testing';
import { toPlan } from './call-plans';
import { evalPyStr, valueSource, type Candidate } from './generated-value';
import { keepsOutcomeRich, valueRichness } from './outcome-richness';
import { pyStr } from './python-source';
import type { ArchivedTest } from './search-engine.service';
import { strValue } from './scalar-values';
import { simplifyTests } from './test-simplifier';
import { describedValue } from '../../testing/described-value';

const STR: TypeHint = { kind: 'builtin', name: 'str' };

// A fake module `words`: def split(text: str) lines 1-2, returns text.split() (line 2 always).
const words: ModuleInterface = {
  callables: [
    {
      kind: 'function',
      name: 'split',
      qualname: 'split',
      params: [{ name: 'text', kind: 'either', type: STR, hasDefault: false, default: null, defaultIsNone: false }],
      span: [1, 2],
    },
  ] as CallableInfo[],
  literals: {},
  moduleLiterals: [],
  constants: [],
  paramHints: {},
  doctests: [],
  shape: { statements: [1, 2], branches: [] },
  baseline: { lines: [1], branches: [] },
};
const target: ModuleTarget = { file: '/src/words.py', importRoot: '/src', moduleName: 'words' };

const ok = (expr: string, type: string, len: number | null, stdout = ''): CallResult => ({
  status: 'ok',
  lines: [2],
  branches: [],
  value: describedValue(expr, type, { len }),
  stdout,
});

function behaviour(plan: CallPlan): CallResult {
  const call = plan.steps![0];
  const text = call.kind === 'call' && call.args[0]?.kind === 'lit' ? (evalPyStr(call.args[0].source) ?? '') : '';
  const parts = text.split(/\s+/).filter((w) => w !== '');
  return ok(`[${parts.map(pyStr).join(', ')}]`, 'list', parts.length);
}

describe('outcome richness', () => {
  it('is 0 for an empty text, collection or the number 0, 1 for one line, one element or ±1, else 2', () => {
    expect(valueRichness(ok("''", 'str', 0))).toBe(0);
    expect(valueRichness(ok("'one line\\n'", 'str', 9))).toBe(1);
    expect(valueRichness(ok("'two\\nlines'", 'str', 9))).toBe(2);
    expect(valueRichness(ok("['a']", 'list', 1))).toBe(1);
    expect(valueRichness(ok('-1', 'int', null))).toBe(1);
    expect(valueRichness(ok('0.25', 'float', null))).toBe(2);
    expect(valueRichness(ok('None', 'NoneType', null))).toBeUndefined();
  });
  it('refuses a poorer value or output, and allows one as rich', () => {
    expect(keepsOutcomeRich(ok("['a', 'b', 'c']", 'list', 3), ok("['a', 'b']", 'list', 2))).toBe(true);
    expect(keepsOutcomeRich(ok("['a', 'b']", 'list', 2), ok("['a']", 'list', 1))).toBe(false);
    expect(keepsOutcomeRich(ok('None', 'NoneType', null, 'a\nb\n'), ok('None', 'NoneType', null, 'a\n'))).toBe(false);
  });
  it('lets the simplifier shrink a text only as far as the result keeps two words', async () => {
    const split = words.callables[0];
    const c: Candidate = {
      target: split,
      prefix: [],
      args: [{ param: split.params[0], value: strValue('hello big world', STR), keyword: false }],
    };
    const session = await new FakeExecutionSandbox(words, behaviour).open(target);
    let t = 0;
    const test: ArchivedTest = { plan: toPlan(c), result: behaviour(toPlan(c)), candidate: c };
    const [simplified] = await simplifyTests(session, [test], { deadline: 1e9, callTimeoutMs: 1000, now: () => t++ });
    expect(valueSource(simplified.candidate!.args[0].value)).toBe("'o i'");
    expect(simplified.result.value?.len).toBe(2);
  });
});
