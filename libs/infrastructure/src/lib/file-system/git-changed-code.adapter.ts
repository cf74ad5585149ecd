import { execFile } from 'node:child_process';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { InvalidInputError, type ChangedCode } from '@test-agent/domain';

const run = promisify(execFile);

/** `ChangedCode` from git: `git diff --unified=0 <ref>` of the work tree, plus files git does not track yet. */
export class GitChangedCode implements ChangedCode {
  async changedSince(target: string, ref: string): Promise<ReadonlyMap<string, readonly number[]>> {
    const dir = statSync(target).isDirectory() ? target : path.dirname(target);
    const top = (
      await this.git(dir, ['rev-parse', '--show-toplevel'], `${target} is not inside a git work tree`)
    ).trim();
    await this.git(top, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], `Unknown git reference "${ref}"`);
    const scope = path.relative(top, realpathSync(target)) || '.';
    const diff = await this.git(
      top,
      ['diff', '--unified=0', '--no-color', '--no-ext-diff', '--no-renames', ref, '--', scope],
      `git diff against ${ref} failed`,
    );
    const changed = parseDiff(diff, top);
    const untracked = await this.git(
      top,
      ['ls-files', '--others', '--exclude-standard', '--', scope],
      'git ls-files failed',
    );
    for (const file of untracked.split('\n').filter((f) => f.endsWith('.py'))) changed.set(path.join(top, file), 'all');
    const out = new Map<string, readonly number[]>();
    for (const [file, lines] of changed) {
      if (!file.endsWith('.py')) continue;
      out.set(file, lines === 'all' ? allLines(file) : lines);
    }
    return out;
  }

  private async git(cwd: string, args: string[], failure: string): Promise<string> {
    try {
      return (await run('git', args, { cwd, maxBuffer: 256 * 1024 * 1024 })).stdout;
    } catch (e) {
      const detail = String((e as { stderr?: string }).stderr ?? '')
        .trim()
        .split('\n')
        .pop();
      throw new InvalidInputError('TA_CHANGED_SINCE_FAILED', detail ? `${failure}: ${detail}` : failure, { cause: e });
    }
  }
}

/** The added or changed lines (new side) of each file in a `--unified=0` diff. */
function parseDiff(diff: string, top: string): Map<string, number[] | 'all'> {
  const changed = new Map<string, number[] | 'all'>();
  let current: number[] | undefined;
  for (const line of diff.split('\n')) {
    const file = /^\+\+\+ b\/(.*)$/.exec(line);
    if (file) {
      current = [];
      changed.set(path.join(top, file[1]), current);
      continue;
    }
    if (line.startsWith('+++ /dev/null')) current = undefined; // a deleted file
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (hunk && current) {
      const start = Number(hunk[1]);
      const count = hunk[2] === undefined ? 1 : Number(hunk[2]);
      for (let i = 0; i < count; i++) current.push(start + i);
    }
  }
  return changed;
}

function allLines(file: string): number[] {
  const count = readFileSync(file, 'utf8').split('\n').length;
  return Array.from({ length: count }, (_, i) => i + 1);
}
