import type { CallResult, CallableInfo, ParameterInfo, TypeHint } from '@test-agent/domain';
import type { Candidate, GenArg, GenValue } from './generated-value';
import { pyStr } from './python-source';
import { TestNamer, contextQualifiers, joinQualifiers, messageWords, outcomeWords, stringTraits } from './test-namer';
import { describedValue } from '../../testing/described-value';

const STR: TypeHint = { kind: 'builtin', name: 'str' };
const param = (name: string, hasDefault = false): ParameterInfo => ({
  name,
  kind: 'either',
  type: STR,
  hasDefault,
  default: null,
  defaultIsNone: false,
});
const fn = (
  qualname: string,
  params: ParameterInfo[] = [param('text')],
  extra: Partial<CallableInfo> = {},
): CallableInfo =>
  ({ kind: 'function', name: qualname.split('.').pop()!, qualname, params, span: [1, 2], ...extra }) as CallableInfo;
const str = (s: string): GenValue => ({ expr: { kind: 'lit', source: pyStr(s) }, js: s, kind: 'str', hint: STR });
const arg = (p: ParameterInfo, value: GenValue): GenArg => ({ param: p, value, keyword: false });
const returns = (expr: string, type: string, len: number | null = null): CallResult => ({
  status: 'ok',
  lines: [],
  branches: [],
  value: describedValue(expr, type, { len }),
});
const raises = (type: string, message: string): CallResult => ({
  status: 'raised',
  step: 0,
  lines: [],
  branches: [],
  exception: { type, module: 'builtins', message, path: null, inModule: true },
});

describe('TestNamer', () => {
  it('tells tests with the same outcome apart by what their arguments look like, not by numbers', () => {
    const translate = fn('translate', [param('pat')]);
    const p = translate.params[0];
    const names = new TestNamer().nameAll([
      { fn: translate, result: returns("'(?s:.*)\\\\Z'", 'str'), args: [arg(p, str('**'))] },
      { fn: translate, result: returns("'(?s:[^a])\\\\Z'", 'str'), args: [arg(p, str('[!a]'))] },
      { fn: translate, result: returns("'(?s:abc)\\\\Z'", 'str'), args: [arg(p, str('abc'))] },
    ]);
    expect(names).toEqual([
      'test_translate_returns_string_for_pat_with_wildcard',
      'test_translate_returns_string_for_pat_with_brackets',
      'test_translate_returns_string_for_pat_abc',
    ]);
  });

  it('names a test by the calls that set the receiver up and by what it returned', () => {
    const cart = fn('Cart', [], { kind: 'class', constructible: true });
    const apply = fn('Cart.apply_coupon', [param('code')], { kind: 'method', owner: 'Cart' });
    const discount = fn('Cart.discount', [], { kind: 'method', owner: 'Cart' });
    const receiver = { kind: 'construct' as const, cls: cart, args: [] };
    const withCoupon = (code: string): Candidate => ({
      target: discount,
      receiver,
      prefix: [{ method: apply, args: [arg(apply.params[0], str(code))] }],
      args: [],
    });
    expect(contextQualifiers(withCoupon('BOOKWORM'), 2)).toEqual(['after_apply_coupon_bookworm']);
    const zero = returns("Decimal('0.00')", 'decimal.Decimal');
    const names = new TestNamer().nameAll([
      { fn: discount, result: zero, args: [], candidate: withCoupon('SAVE10'), lastStep: 2 },
      { fn: discount, result: zero, args: [], candidate: withCoupon('BOOKWORM'), lastStep: 2 },
    ]);
    expect(names).toEqual([
      'test_cart_discount_returns_zero_after_apply_coupon_save10',
      'test_cart_discount_returns_zero_after_apply_coupon_bookworm',
    ]);
  });

  it('keeps the plain name for the test with nothing special, and names even twins by their arguments', () => {
    const wrap = fn('wrap');
    const p = wrap.params[0];
    const names = new TestNamer().nameAll([
      { fn: wrap, result: returns("['a b']", 'list', 1), args: [arg(p, str('a b'))] },
      { fn: wrap, result: returns("['a', 'b']", 'list', 2), args: [arg(p, str('a\nb'))] },
      { fn: wrap, result: returns("['a b']", 'list', 1), args: [arg(p, str('a b'))] },
    ]);
    expect(names).toEqual([
      'test_wrap_returns_list',
      'test_wrap_returns_list_for_multiline_text',
      'test_wrap_returns_list_for_text_with_spaces',
    ]);
  });

  it('says what went wrong from the message, skipping labels and bare keys', () => {
    expect(messageWords('pytest: reading from stdin while output is captured!')).toBe(
      'reading_from_stdin_while_output',
    );
    expect(messageWords("[Errno 2] No such file or directory: ''")).toBe('no_such_file_or_directory');
    const remove = fn('remove', [param('sku')]);
    expect(
      new TestNamer().nameAll([
        { fn: remove, result: raises('KeyError', "'H'"), args: [arg(remove.params[0], str('H'))] },
      ]),
    ).toEqual(['test_remove_raises_key_error']);
  });

  it('joins several traits of one argument into one phrase', () => {
    const p = param('text');
    const args = [arg(p, str(" \na'"))];
    expect(
      joinQualifiers(['for_indented_text', 'for_multiline_text', 'for_text_with_quote', 'with_width_5'], args),
    ).toEqual(['for_indented_multiline_text_with_quote', 'with_width_5']);
  });

  it('describes outcomes and strings in words', () => {
    expect(outcomeWords(fn('f'), returns("Decimal('0.00')", 'decimal.Decimal'))).toBe('returns_zero');
    expect(outcomeWords(fn('f'), returns('0', 'int'))).toBe('returns_zero');
    expect(stringTraits('  a\tb')).toEqual(['indented', 'with_tab', 'with_spaces']);
    expect(stringTraits('é')).toEqual(['non_ascii', 'one_char']);
  });
});
