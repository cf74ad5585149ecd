import type { PlanExpr } from '@test-agent/domain';
import { operatorSource } from './emitted-operators';
import { renderPlanExpr } from './generated-value';

const frac: PlanExpr = { kind: 'var', index: 0 };
const lit = (source: string): PlanExpr => ({ kind: 'lit', source });
const call = (name: string, ...args: PlanExpr[]): PlanExpr => ({
  kind: 'call',
  callee: { kind: 'attr', target: frac, name },
  args,
  keywords: [],
});
const render = (e: PlanExpr) => renderPlanExpr(e, () => 'fraction');
const written = (e: PlanExpr) => operatorSource(e, render);

describe('special methods written as their operators', () => {
  it('writes arithmetic, reflected and comparison operators between the receiver and the argument', () => {
    expect(written(call('__add__', lit('1')))).toBe('fraction + 1');
    expect(written(call('__rsub__', lit('2')))).toBe('2 - fraction');
    expect(written(call('__rshift__', lit('3')))).toBe('fraction >> 3');
    expect(written(call('__rrshift__', lit('3')))).toBe('3 >> fraction');
    expect(written(call('__pow__', lit('-2')))).toBe('fraction ** (-2)');
    expect(written(call('__rpow__', lit('-2')))).toBe('(-2) ** fraction');
    expect(written(call('__truediv__', lit('Fraction(1, 3)')))).toBe('fraction / Fraction(1, 3)');
    expect(written(call('__lt__', lit("'a'")))).toBe("fraction < 'a'");
    expect(written(call('__contains__', lit('2.5')))).toBe('2.5 in fraction');
    expect(written(call('__add__', lit('lambda x: x')))).toBe('fraction + (lambda x: x)');
  });

  it('writes unary operators and the builtins that call a special method', () => {
    expect(written(call('__neg__'))).toBe('-fraction');
    expect(written(call('__invert__'))).toBe('~fraction');
    expect(written(call('__abs__'))).toBe('abs(fraction)');
    expect(written(call('__round__'))).toBe('round(fraction)');
    expect(written(call('__round__', lit('2')))).toBe('round(fraction, 2)');
    expect(written(call('__divmod__', lit('3')))).toBe('divmod(fraction, 3)');
    expect(written(call('__rdivmod__', lit('3')))).toBe('divmod(3, fraction)');
  });

  it('leaves other calls, and special methods called with other arities or keywords, to the plain rendering', () => {
    expect(written(call('limit_denominator', lit('10')))).toBeUndefined();
    expect(written(call('__trunc__'))).toBeUndefined();
    expect(written(call('__neg__', lit('1')))).toBeUndefined();
    expect(written(call('__add__'))).toBeUndefined();
    expect(
      written({ ...(call('__round__') as Extract<PlanExpr, { kind: 'call' }>), keywords: [['ndigits', lit('2')]] }),
    ).toBeUndefined();
    expect(written(lit('1'))).toBeUndefined();
  });
});
