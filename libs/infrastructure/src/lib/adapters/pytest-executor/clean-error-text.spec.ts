import { cleanErrorText, fatalErrorSummary } from './clean-error-text';

describe('cleanErrorText', () => {
  it('hides the private folder, colour codes, separators and frames of pytest and the standard library', () => {
    const raw = [
      '\x1b[31m____________ test_total ____________\x1b[0m',
      '/venv/lib/python3.11/site-packages/_pytest/python.py:157: in pytest_pyfunc_call',
      '    result = testfunction(**testargs)',
      '/usr/lib/python3.11/importlib/__init__.py:126: in import_module',
      '    return _bootstrap._gcd_import(name[level:], package, level)',
      '           ^^^^^^^^^^^^^^^^^^^^^^^^',
      '../tests/test_cart.py:4: in test_total',
      '    assert total() == 1',
      'E   assert 0 == 1',
      'written to /tmp/test-agent-run-x1/home/out.txt',
    ].join('\n');
    expect(cleanErrorText(raw, ['/tmp/test-agent-run-x1/tests', '../tests/', '/tmp/test-agent-run-x1'])).toBe(
      ['test_cart.py:4: in test_total', '    assert total() == 1', 'E   assert 0 == 1', 'written to home/out.txt'].join(
        '\n',
      ),
    );
  });

  it('cuts the middle of very long text', () => {
    const text = cleanErrorText(`${'a'.repeat(5000)}${'b'.repeat(5000)}`, [], 1000);
    expect(text.startsWith('a'.repeat(600))).toBe(true);
    expect(text.endsWith('b'.repeat(400))).toBe(true);
    expect(text).toContain('[9000 characters cut]');
  });
});

describe('fatalErrorSummary', () => {
  it('keeps the fatal error and the frames outside the machinery', () => {
    const stderr = [
      'noise',
      'Fatal Python error: Segmentation fault',
      '',
      'Current thread 0x00007f (most recent call first):',
      '  File "/usr/lib/python3.11/ctypes/__init__.py", line 519 in string_at',
      '  File "test_x.py", line 5 in test_crash',
      '  File "/venv/lib/python3.11/site-packages/_pytest/python.py", line 157 in pytest_pyfunc_call',
    ].join('\n');
    expect(fatalErrorSummary(stderr)).toBe(
      'Fatal Python error: Segmentation fault\n  File "test_x.py", line 5 in test_crash',
    );
    expect(fatalErrorSummary('nothing fatal')).toBe('');
  });
});
