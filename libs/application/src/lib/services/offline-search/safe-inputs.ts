import type { CallPlan, PlanExpr } from '@test-agent/domain';

/**
 * Inputs the offline search may pass: no string that names a place outside the working directory. The search
 * runs in a scratch folder and the emitted tests in `tmp_path`, but `shutil.rmtree('/')`, `open('../x', 'w')`
 * or `os.remove('~/.cfg')` would still act on the real machine when a user runs the tests, so such strings are
 * re-rooted under the working directory, keeping their file name and shape.
 */

/** The string names a place outside the working directory (or the working directory itself). */
export function leavesWorkingDirectory(s: string): boolean {
  if (s === '') return false;
  if (s.startsWith('/') || s.startsWith('~')) return true;
  const segments = s.split('/');
  return segments.includes('..') || segments.every((seg) => seg === '' || seg === '.');
}

/** Names for what is left when nothing of a path remains once re-rooted (`/`, `.`, `..`, `~`). */
const PLAIN_NAMES = { root: 'top', home: 'home', here: 'here', parent: 'up' } as const;

/**
 * A relative path under the working directory for a string that leaves it, the string itself otherwise:
 * `/tmp/sec-x/data.txt` → `tmp/sec-x/data.txt`, `~/.cfg` → `home/.cfg`, `~bob/x` → `home/bob/x`,
 * `a/../../b` → `a/b`, `/` → `top`, `.` → `here`, `..` → `up`, `~` → `home`. Idempotent.
 */
export function reRootPath(s: string): string {
  if (!leavesWorkingDirectory(s)) return s;
  let out = s;
  // Each round removes what leaves (`..`, a leading `/`, a leading `~`); `~..` or `//~` need two.
  for (let round = 0; round < 4 && leavesWorkingDirectory(out); round++) out = reRootOnce(out);
  if (out !== '' && !leavesWorkingDirectory(out)) return out;
  return s.startsWith('/')
    ? PLAIN_NAMES.root
    : s.startsWith('~')
      ? PLAIN_NAMES.home
      : s.split('/').includes('..')
        ? PLAIN_NAMES.parent
        : PLAIN_NAMES.here;
}

function reRootOnce(s: string): string {
  const segments = s.split('/').filter((seg) => seg !== '..');
  while (segments.length > 0 && segments[0] === '') segments.shift();
  // `~` or `~user` first is the home folder.
  if (segments[0]?.startsWith('~'))
    segments.splice(0, 1, 'home', ...(segments[0].length > 1 ? [segments[0].slice(1)] : []));
  return segments.join('/');
}

/** A Python string literal: optional prefix, then a quoted body (triple quotes too); `body` is the raw text. */
const PY_STRING_TOKEN = /(?<![\w])([rRbBuUfF]{0,2})('''|"""|'|")((?:\\[\s\S]|(?!\2)[^\\])*)\2/g;

/**
 * Python source with every string literal that leaves the working directory re-rooted (see `reRootPath`),
 * str and bytes alike; f-strings are left as they are (the search writes none). The rewrite works on the
 * literal's text: the characters it changes (`/`, `.`, `~`, path segments) are never escaped by `repr`.
 */
export function safeLiteralSource(src: string): string {
  if (!/['"]/.test(src)) return src;
  return src.replace(PY_STRING_TOKEN, (whole, prefix: string, quote: string, body: string) => {
    if (/f/i.test(prefix)) return whole;
    const safe = reRootPath(body);
    return safe === body ? whole : `${prefix}${quote}${safe}${quote}`;
  });
}

/** The plan expression with every literal's strings made safe (`safeLiteralSource`). */
export function safePlanExpr(e: PlanExpr): PlanExpr {
  switch (e.kind) {
    case 'lit': {
      const src = safeLiteralSource(e.source);
      return src === e.source ? e : { kind: 'lit', source: src };
    }
    case 'attr':
      return { ...e, target: safePlanExpr(e.target) };
    case 'list':
      return { ...e, iterable: safePlanExpr(e.iterable) };
    case 'call':
      return {
        ...e,
        callee: safePlanExpr(e.callee),
        args: e.args.map(safePlanExpr),
        keywords: e.keywords.map(([n, a]) => [n, safePlanExpr(a)] as const),
      };
    default:
      return e;
  }
}

/**
 * The plan with every literal made safe, and every environment value it sets (a variable may name a folder the
 * code writes to); doctest plans (the module's own examples) are left as they are.
 */
export function safePlan(plan: CallPlan): CallPlan {
  if (!plan.steps) return plan;
  return {
    ...plan,
    steps: plan.steps.map(safePlanExpr),
    ...(plan.argv ? { argv: safePlanExpr(plan.argv) } : {}),
    ...(plan.env ? { env: plan.env.map((e) => (e.value === null ? e : { ...e, value: reRootPath(e.value) })) } : {}),
  };
}
