import { tokenizePython } from './python-tokens';

describe('tokenizePython', () => {
  it('keeps strings whole (prefixes, triple quotes, escapes) and drops whitespace', () => {
    const tokens = tokenizePython('x = rb"a\\"b" + """c\n#d"""  # note\ny=f"{x}"');
    expect(tokens.map((t) => [t.kind, t.text])).toEqual([
      ['name', 'x'],
      ['op', '='],
      ['string', 'rb"a\\"b"'],
      ['op', '+'],
      ['string', '"""c\n#d"""'],
      ['comment', '# note'],
      ['newline', '\n'],
      ['name', 'y'],
      ['op', '='],
      ['string', 'f"{x}"'],
    ]);
  });

  it('emits no newline inside brackets', () => {
    expect(tokenizePython('f(1,\n  2)\n').filter((t) => t.kind === 'newline')).toHaveLength(1);
  });
});
