/**
 * Text helpers of the LLM HTTP layer: secret-free endpoint labels and excerpts, `Retry-After` parsing, JSON field
 * access. Pure functions (no I/O), shared by the transport, the adapters and the cassette.
 */

/**
 * Secret-free label of an endpoint: `<provider> <url>` with any credentials, query and fragment removed.
 */
export function endpointLabel(provider: string, url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    return `${provider} ${u.toString().replace(/\/+$/, '')}`;
  } catch {
    return `${provider} (invalid url)`;
  }
}

/**
 * `Retry-After` in milliseconds: delta-seconds (fractions allowed) or an HTTP date; undefined when absent or
 * unparseable. Negative waits become 0.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Shortest run of a secret's leading characters that is redacted on its own (a secret cut by a truncation). */
export const SECRET_PREFIX_MIN_LENGTH = 8;

const REDACTED = '[REDACTED]';

/**
 * Replaces every secret (4+ characters) in `text` by `[REDACTED]` and, as a safety net, every run of
 * `SECRET_PREFIX_MIN_LENGTH` (8) or more characters that is a prefix of a secret: a secret that something cut short
 * (a length limit, a chunked log line) still leaves no readable part of itself. Longer secrets are handled first so
 * a secret that contains another is redacted whole.
 */
export function redact(text: string, secrets: readonly string[]): string {
  const known = [...new Set(secrets.filter((s) => s.length >= 4))].sort((a, b) => b.length - a.length);
  // Whole secrets first (so two secrets sharing a prefix are each redacted whole), then cut-short prefixes.
  let out = known.reduce((acc, secret) => acc.split(secret).join(REDACTED), text);
  for (const secret of known.filter((s) => s.length > SECRET_PREFIX_MIN_LENGTH)) {
    const head = secret.slice(0, SECRET_PREFIX_MIN_LENGTH);
    let result = '';
    let from = 0;
    for (let at = out.indexOf(head); at !== -1; at = out.indexOf(head, from)) {
      let length = head.length;
      while (length < secret.length && out[at + length] === secret[length]) length += 1;
      result += `${out.slice(from, at)}${REDACTED}`;
      from = at + length;
    }
    out = result + out.slice(from);
  }
  return out;
}

/**
 * A secret-free excerpt of endpoint text for a message: secrets are redacted *before* the text is cut to
 * `maxChars` (cutting first would leave a secret's prefix behind), whitespace runs become one space, and a
 * `[REDACTED]` marker that straddles the limit is kept whole.
 */
export function secretFreeExcerpt(text: string, secrets: readonly string[], maxChars = 300): string {
  const clean = redact(text, secrets).replace(/\s+/g, ' ').trim();
  if (clean.length <= maxChars) return clean;
  let cut = maxChars;
  const marker = clean.lastIndexOf(REDACTED, cut);
  if (marker !== -1 && marker + REDACTED.length > cut) cut = marker + REDACTED.length;
  return cut >= clean.length ? clean : `${clean.slice(0, cut)}...`;
}

const TLS_CODES = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/;

/** The hint added to a network failure that looks like a TLS problem (an error code or message naming it); else ''. */
export function tlsHint(code: string, summary: string): string {
  return TLS_CODES.test(code) || TLS_CODES.test(summary)
    ? ' (TLS: configure the CA bundle, e.g. GIGACHAT_CA_BUNDLE with the Russian Trusted Root CA)'
    : '';
}

/** Reads a JSON object field path; undefined when any step is missing. */
export function pick(value: unknown, ...path: (string | number)[]): unknown {
  let current: unknown = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}
