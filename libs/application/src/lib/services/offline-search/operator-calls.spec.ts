import type { PlanExpr } from '@test-agent/domain';
import { renderPlanExpr } from './generated-value';
import { grouped } from './operator-calls';

const lit = (source: string): PlanExpr => ({ kind: 'lit', source });
const v0: PlanExpr = { kind: 'var', index: 0 };
const method = (name: string, ...args: PlanExpr[]): PlanExpr => ({
  kind: 'call',
  callee: { kind: 'attr', target: v0, name },
  args,
  keywords: [],
});
const asTest = (e: PlanExpr) => renderPlanExpr(e, () => 'money', true);
type Call = Extract<PlanExpr, { kind: 'call' }>;
const asCall = (e: PlanExpr) => e as Call;

describe('operator methods in emitted tests', () => {
  it('writes the operator or builtin a special method stands for', () => {
    expect(
      [
        method('__add__', lit('2')),
        method('__radd__', lit('2')),
        method('__lt__', lit('3')),
        method('__neg__'),
        method('__abs__'),
        method('__round__', lit('2')),
        method('__floor__'),
        method('__getitem__', lit("'a'")),
        method('__contains__', lit('1')),
        method('__format__', lit("'.2f'")),
        method('__rdivmod__', lit('7')),
        method('__len__'),
      ].map(asTest),
    ).toEqual([
      'money + 2',
      '2 + money',
      'money < 3',
      '-money',
      'abs(money)',
      'round(money, 2)',
      'math.floor(money)',
      "money['a']",
      '1 in money',
      "format(money, '.2f')",
      'divmod(7, money)',
      'len(money)',
    ]);
  });

  it('groups operands that are not atoms, and keeps the method where the operator could mean another call', () => {
    const built: PlanExpr = { kind: 'call', callee: { kind: 'ref', path: 'Money' }, args: [lit('5')], keywords: [] };
    expect(asTest(method('__add__', built))).toBe('money + Money(5)');
    expect(asTest(method('__mul__', lit('-1')))).toBe('money * (-1)');
    expect(asTest(method('__pow__', lit('1e-09')))).toBe('money ** 1e-09');
    expect(
      asTest({ ...asCall(method('__sub__', lit('1'))), callee: { kind: 'attr', target: built, name: '__sub__' } }),
    ).toBe('Money(5) - 1');
    // A reflected method with another object on the left: that object's own method would run first.
    expect(asTest(method('__radd__', built))).toBe('money.__radd__(Money(5))');
    // A str or list on the left does not give way to the object: '%s' % x formats, 'ab' * x repeats.
    expect(asTest(method('__rmod__', lit("'%s'")))).toBe("money.__rmod__('%s')");
    expect(asTest(method('__rmul__', lit('[1]')))).toBe('money.__rmul__([1])');
    expect(asTest(method('__rsub__', lit('(1+2j)')))).toBe('(1+2j) - money');
    expect(asTest(method('__radd__', lit('-0.5')))).toBe('(-0.5) + money');
    // A reflected comparison is the other side's comparison: written as the call.
    expect(asTest(method('__req__', lit('1')))).toBe('money.__req__(1)');
    // Keyword arguments, or no operator rendering asked for: the method call as the search made it.
    expect(asTest({ ...asCall(method('__round__')), keywords: [['ndigits', lit('2')]] })).toBe(
      'money.__round__(ndigits=2)',
    );
    expect(renderPlanExpr(method('__add__', lit('2')), () => 'money')).toBe('money.__add__(2)');
    expect([grouped('x if y else z'), grouped("'a b'"), grouped('f(a, b)'), grouped('-x')]).toEqual([
      '(x if y else z)',
      "'a b'",
      'f(a, b)',
      '(-x)',
    ]);
  });
});
