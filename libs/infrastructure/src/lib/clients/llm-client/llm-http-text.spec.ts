import { endpointLabel, parseRetryAfter, redact, secretFreeExcerpt } from './llm-http-text';

describe('LLM HTTP helpers', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('Wed, 21 Oct 2026 07:28:00 GMT');
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter('0.5', now)).toBe(500);
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:28:03 GMT', now)).toBe(3000);
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:27:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });

  it('labels an endpoint without credentials, query or trailing slash', () => {
    expect(endpointLabel('openai', 'https://user:pa55word@api.example.com/v1/?key=abc#x')).toBe(
      'openai https://api.example.com/v1',
    );
    expect(endpointLabel('llm-api', 'http://llm-api:8000/')).toBe('llm-api http://llm-api:8000');
  });

  it('redacts every secret of four or more characters', () => {
    expect(redact('key abcd and abcd again, not abc', ['abcd', 'abc'])).toBe(
      'key [REDACTED] and [REDACTED] again, not abc',
    );
  });

  it('redacts a run of eight or more leading characters of a secret (a secret cut short), not shorter runs', () => {
    const secret = 'c2VjcmV0LWNsaWVudDpzZWNyZXQtdmFsdWUtNDI=';
    expect(redact(`cut: ${secret.slice(0, 8)}`, [secret])).toBe('cut: [REDACTED]');
    expect(redact(`cut: ${secret.slice(0, 21)}... and ${secret}!`, [secret])).toBe(
      'cut: [REDACTED]... and [REDACTED]!',
    );
    expect(redact(`short: ${secret.slice(0, 7)}`, [secret])).toBe(`short: ${secret.slice(0, 7)}`);
    expect(redact('abcdefghij-and-more abcdefghijklmnop', ['abcdefghijklmnop', 'abcdefghij-and-more'])).toBe(
      '[REDACTED] [REDACTED]',
    );
  });

  it('redacts before it cuts: a secret crossing the limit leaves nothing but the marker', () => {
    const secret = 'TG9uZy1jbGllbnQtaWQtMDEyMzQ1Njc4OTpsb25nLWNsaWVudC1zZWNyZXQ0';
    expect(secretFreeExcerpt(`${'x'.repeat(280)}  Basic ${secret} and more text`, [secret], 300)).toBe(
      `${'x'.repeat(280)} Basic [REDACTED] an...`,
    );
    expect(secretFreeExcerpt(`${'x'.repeat(295)} ${secret} tail`, [secret], 300)).toBe(
      `${'x'.repeat(295)} [REDACTED]...`,
    );
    expect(secretFreeExcerpt('short  text', [secret], 300)).toBe('short text');
  });
});
