// The suite-quality reader of bench:quality (suite_quality.py, run by the repo's Python) on a fixture file whose
// tests are named by what they do or by what they do not do: it must tell them apart, so that the bench's "names
// that lie" column means something.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const python = path.resolve(__dirname, '../../../.venv/bin/python');
const read = (file: string) =>
  JSON.parse(
    execFileSync(python, [path.join(__dirname, 'suite_quality.py'), path.join(__dirname, '__fixtures__', file)], {
      encoding: 'utf8',
    }),
  );

describe('suite_quality.py', () => {
  it('names each test whose name claims an outcome or an input its body does not show, and only those', () => {
    const quality = read('named_tests.py');
    expect(quality.tests).toBe(11);
    expect(quality.nameLies).toBe(6);
    expect(quality.nameLieTests).toEqual([
      'test_parse_raises_value_error: raises',
      'test_parse_returns_none: returns_none',
      'test_parse_returns_true_with_zero_day: with_zero',
      'test_show_prints_output: prints_output',
      'test_parse_returns_zero_with_strict_true: true',
      'test_parse_raises_value_error_with_zero_day: raises',
    ]);
    expect(quality.withoutCheck).toBe(0);
  });
});
