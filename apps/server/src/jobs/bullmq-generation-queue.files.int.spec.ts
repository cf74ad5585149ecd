import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { failureOf, packInput, unpackInput } from './bullmq-generation-queue';

// How an inline job's files travel through Redis to the replica that runs it, and how BullMQ's failures read.
const made: string[] = [];
const temp = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ta-job-input-'));
  made.push(dir);
  return dir;
};

describe('job input files through Redis', () => {
  afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  it('packs a job folder and unpacks the same files, bytes included, in another folder', async () => {
    const from = temp();
    mkdirSync(path.join(from, 'src', 'pkg'), { recursive: true });
    mkdirSync(path.join(from, 'out'));
    writeFileSync(path.join(from, 'src', 'pkg', 'mod.py'), 'def f(x):\n    return "é" * x\n');
    writeFileSync(path.join(from, 'src', 'pkg', 'data.bin'), Buffer.from([0, 255, 1, 254]));
    const to = temp();
    await unpackInput(await packInput(from), to);
    expect(readFileSync(path.join(to, 'src', 'pkg', 'mod.py'), 'utf8')).toBe('def f(x):\n    return "é" * x\n');
    expect([...readFileSync(path.join(to, 'src', 'pkg', 'data.bin'))]).toEqual([0, 255, 1, 254]);
    // Only files travel; the worker makes the output folder itself.
    expect(readdirSync(to).sort()).toEqual(['src']);
  });

  it('refuses a link in the job folder (400)', async () => {
    const from = temp();
    writeFileSync(path.join(from, 'a.py'), 'X = 1\n');
    symlinkSync('/etc/passwd', path.join(from, 'b.py'));
    await expect(packInput(from)).rejects.toMatchObject({ statusCode: 400, code: 'TA_BAD_SOURCE_PATH' });
  });

  it('refuses a packed name that leaves the folder, writing nothing (Redis is shared: its content is not trusted)', async () => {
    const to = temp();
    const hostile = gzipSync(
      JSON.stringify([
        { p: 'ok.py', d: Buffer.from('X = 1\n').toString('base64') },
        { p: '../evil.py', d: '' },
      ]),
    );
    await expect(unpackInput(hostile, to)).rejects.toMatchObject({ code: 'TA_BAD_SOURCE_PATH' });
    expect(readdirSync(to)).toEqual([]);
    expect(existsSync(path.join(path.dirname(to), 'evil.py'))).toBe(false);
  });

  it('reads a failure as BullMQ keeps it: our code and message, a stall, or anything else', () => {
    expect(failureOf('TA_JOB_CRASHED: The generation ended (SIGKILL) after 0 modules without a report')).toEqual({
      code: 'TA_JOB_CRASHED',
      message: 'The generation ended (SIGKILL) after 0 modules without a report',
    });
    expect(failureOf('job stalled more than allowable limit')).toMatchObject({
      code: 'TA_JOB_STALLED',
      message: expect.stringMatching(/replica running this job stopped/),
    });
    expect(failureOf('boom')).toEqual({ code: 'TA_INTERNAL', message: 'boom' });
    expect(failureOf(undefined)).toEqual({ code: 'TA_INTERNAL', message: 'The job failed' });
  });
});
