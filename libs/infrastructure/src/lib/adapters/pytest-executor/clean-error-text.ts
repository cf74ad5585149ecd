const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;
const CHROME = /^\s*(_{3,}|={3,}|-{3,}|\+{3,}|~{3,}).*\1\s*$/;
/** A `--tb=short` traceback entry header: `path:line: in function`. */
const ENTRY = /^(\S.*?):(\d+|\?\?\?): in \S/;
/** Frames of the machinery rather than of the test or the code under test. */
const INTERNAL =
  /(\/_pytest\/|\/pluggy\/|\/pytest_timeout\.py|\/coverage\/|<frozen |\/lib\/python3\.\d+\/(?!site-packages\/)[\w/.]+\.py)/;
const CARETS = /^\s*[\^~]+\s*$/;
const MAX_CHARS = 4000;

/**
 * Failure text a user (or a model) can read: without the run's private temp folder (paths become relative to
 * where the tests were), without colour codes, pytest's separator lines, traceback entries inside pytest,
 * pluggy, coverage.py or the standard library, and caret marker lines; at most `maxChars` characters (the middle is cut).
 * `privateDirs` are prefixes to hide (absolute folders or relative ones like `../tests/`), most specific first.
 */
export function cleanErrorText(text: string, privateDirs: readonly string[], maxChars = MAX_CHARS): string {
  let out = text.replace(ANSI, '');
  for (const dir of privateDirs) {
    if (!dir) continue;
    const withSlash = dir.endsWith('/') ? dir : `${dir}/`;
    out = out.split(withSlash).join('');
    if (dir.startsWith('/')) out = out.split(dir).join('.');
  }
  const kept: string[] = [];
  let skipping = false;
  for (const raw of out.split('\n')) {
    const line = raw.trimEnd();
    if (ENTRY.test(line)) skipping = INTERNAL.test(line);
    else if (!/^\s/.test(line)) skipping = false;
    if (skipping || CHROME.test(line) || CARETS.test(line) || line.trim() === '???') continue;
    kept.push(line);
  }
  out = kept
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  if (out.length <= maxChars) return out;
  const head = Math.floor(maxChars * 0.6);
  const tail = maxChars - head;
  return `${out.slice(0, head)}\n... [${out.length - head - tail} characters cut] ...\n${out.slice(-tail)}`;
}

/**
 * The useful part of what faulthandler printed when the interpreter crashed: the "Fatal Python error" line
 * and the frames (most recent first) outside pytest's machinery, at most `maxFrames`. '' when there is none.
 */
export function fatalErrorSummary(stderr: string, maxFrames = 8): string {
  const at = stderr.lastIndexOf('Fatal Python error');
  if (at < 0) return '';
  const lines = stderr.slice(at).split('\n');
  const frames = lines.filter(
    (l) => /^\s+File "/.test(l) && !INTERNAL.test(l) && !/site-packages\/(pytest|_pytest|coverage)/.test(l),
  );
  return [lines[0].trim(), ...frames.slice(0, maxFrames).map((l) => l.trimEnd())].join('\n');
}
