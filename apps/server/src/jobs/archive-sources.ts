import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract as tarExtract, type Header as TarHeaders } from 'tar-stream';
import yauzl, { type Entry as ZipEntry, type ZipFile } from 'yauzl';
import { HttpProblem } from '../security';
import { safeRelativePath } from './job-files';

/** Limits of one uploaded archive (from the settings `archiveMaxEntries`, `archiveMaxUnpackedBytes`). */
export interface ArchiveLimits {
  /** Entries (files and folders) beyond which the archive is refused. */
  readonly entries: number;
  /** Bytes the archive may unpack to, counted as they are decompressed (never taken from a header). */
  readonly unpackedBytes: number;
}

/** One regular file of an archive: its checked relative path and its bytes. */
export interface ArchiveFile {
  readonly path: string;
  readonly content: Buffer;
}

/** The 413 of an upload over `archiveMaxBytes`. */
export function archiveTooLarge(limit: number): HttpProblem {
  return new HttpProblem(
    413,
    'TA_ARCHIVE_TOO_LARGE',
    `The upload is over ${limit} bytes, the limit of this server (archiveMaxBytes)`,
  );
}

const tooMany = (limit: number) =>
  new HttpProblem(
    400,
    'TA_ARCHIVE_TOO_MANY_ENTRIES',
    `The archive has more than ${limit} entries, the limit of this server`,
  );
const tooLarge = (limit: number) =>
  new HttpProblem(
    400,
    'TA_ARCHIVE_TOO_LARGE_UNPACKED',
    `The archive unpacks to more than ${limit} bytes, the limit of this server`,
  );
const link = (name: string) =>
  new HttpProblem(
    400,
    'TA_ARCHIVE_LINK',
    `Archive entry ${JSON.stringify(name.slice(0, 200))} is a link: only files and folders are accepted`,
  );
const special = (name: string, what: string) =>
  new HttpProblem(
    400,
    'TA_ARCHIVE_SPECIAL_FILE',
    `Archive entry ${JSON.stringify(name.slice(0, 200))} is a ${what}: only files and folders are accepted`,
  );
const corrupt = (e: unknown) =>
  new HttpProblem(400, 'TA_BAD_ARCHIVE', `The archive cannot be read: ${(e as Error).message}`);

/**
 * An entry's name made a checked relative path: one leading `./` (as `tar -C dir .` writes) and a folder's
 * trailing `/` dropped, then `safeRelativePath` (absolute, `..`, `.` and empty segments refused). `undefined` for the
 * archive's own root (`./`).
 */
function entryPath(name: string): string | undefined {
  const plain = name.replace(/^\.\//, '').replace(/\/$/, '');
  return plain === '' || plain === '.' ? undefined : safeRelativePath(plain);
}

/**
 * Reads an uploaded `.tar.gz` or `.zip` (told apart by their first bytes) into memory and checks every entry —
 * its name, its type (links, devices, fifos refused), the entry count and the bytes actually decompressed — so
 * that nothing is written unless the whole archive passes. Refusals are 400 `HttpProblem`s.
 */
export async function readArchive(data: Buffer, limits: ArchiveLimits): Promise<ArchiveFile[]> {
  if (data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b) return readTarGz(data, limits);
  if (data.length >= 4 && data.readUInt32LE(0) === 0x04034b50) return readZip(data, limits);
  if (data.length >= 4 && data.readUInt32LE(0) === 0x06054b50)
    throw new HttpProblem(400, 'TA_NO_SOURCES', 'The archive is empty');
  throw new HttpProblem(400, 'TA_BAD_ARCHIVE', 'The archive is neither a .tar.gz (gzip) nor a .zip file');
}

/** A pass-through that fails once more than `limit` bytes went through it (the decompressed stream). */
function byteLimit(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      done(seen > limit ? tooLarge(limit) : null, chunk);
    },
  });
}

async function readTarGz(data: Buffer, limits: ArchiveLimits): Promise<ArchiveFile[]> {
  const files: ArchiveFile[] = [];
  const extractor = tarExtract();
  let entries = 0;
  const consume = async () => {
    for await (const entry of extractor) {
      const header: TarHeaders = entry.header;
      if (++entries > limits.entries) throw tooMany(limits.entries);
      const name = entryPath(header.name);
      const type = header.type ?? 'file';
      if (type === 'symlink' || type === 'link') throw link(header.name);
      if (type === 'character-device' || type === 'block-device' || type === 'fifo') throw special(header.name, type);
      if (type === 'directory') {
        entry.resume();
        continue;
      }
      if (type !== 'file' && type !== 'contiguous-file') throw special(header.name, `${type} entry`);
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      if (name !== undefined) files.push({ path: name, content: Buffer.concat(chunks) });
    }
  };
  const unpack = pipeline(Readable.from([data]), createGunzip(), byteLimit(limits.unpackedBytes), extractor);
  // An entry refused while reading stops the decompression too (nothing else would read the rest).
  const read = consume().catch((e: unknown) => {
    extractor.destroy(e as Error);
    throw e;
  });
  const failures = (await Promise.allSettled([unpack, read])).flatMap((o) =>
    o.status === 'rejected' ? [o.reason as unknown] : [],
  );
  if (failures.length > 0) {
    // A refusal (a limit, a link, a bad name) says more than the broken stream it left behind.
    const refusal = failures.find((e) => e instanceof HttpProblem);
    throw refusal ?? corrupt(failures[0]);
  }
  return files;
}

/** Unix file type bits of a zip entry's external attributes (0 when the archiver wrote none). */
const S_IFMT = 0o170000;
const ZIP_TYPES: Record<number, string> = {
  0o120000: 'link',
  0o020000: 'character device',
  0o060000: 'block device',
  0o010000: 'fifo',
  0o140000: 'socket',
};

function openZip(data: Buffer): Promise<ZipFile> {
  return new Promise((resolve, reject) =>
    // Names stay raw (decoded and checked below); sizes are checked against the bytes actually inflated.
    yauzl.fromBuffer(data, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true }, (e, zip) =>
      e ? reject(corrupt(e)) : resolve(zip),
    ),
  );
}

/** A zip entry's name: UTF-8 when its flag says so, else plain ASCII (anything else is refused rather than guessed). */
function zipName(entry: ZipEntry): string {
  const raw = entry.fileName as unknown as Buffer;
  const utf8 = (entry.generalPurposeBitFlag & 0x800) !== 0;
  if (!utf8 && raw.some((b) => b > 0x7f))
    throw new HttpProblem(400, 'TA_BAD_SOURCE_PATH', 'A zip entry name is neither UTF-8 nor ASCII');
  return raw.toString(utf8 ? 'utf8' : 'latin1');
}

async function readZip(data: Buffer, limits: ArchiveLimits): Promise<ArchiveFile[]> {
  const zip = await openZip(data);
  try {
    if (zip.entryCount > limits.entries) throw tooMany(limits.entries);
    const files: ArchiveFile[] = [];
    let unpacked = 0;
    let entries = 0;
    for (;;) {
      const entry = await new Promise<ZipEntry | undefined>((resolve, reject) => {
        zip.once('entry', resolve);
        zip.once('end', () => resolve(undefined));
        zip.once('error', (e) => reject(corrupt(e)));
        zip.readEntry();
      });
      zip.removeAllListeners('entry').removeAllListeners('end').removeAllListeners('error');
      if (!entry) return files;
      if (++entries > limits.entries) throw tooMany(limits.entries);
      const rawName = zipName(entry);
      const name = entryPath(rawName);
      const kind = ZIP_TYPES[(entry.externalFileAttributes >>> 16) & S_IFMT];
      if (kind === 'link') throw link(rawName);
      if (kind) throw special(rawName, kind);
      if (rawName.endsWith('/')) continue;
      // A header that already says too much is refused at once; the real count below decides otherwise.
      if (unpacked + entry.uncompressedSize > limits.unpackedBytes) throw tooLarge(limits.unpackedBytes);
      const stream = await new Promise<Readable>((resolve, reject) =>
        zip.openReadStream(entry, (e, s) => (e ? reject(corrupt(e)) : resolve(s))),
      );
      const chunks: Buffer[] = [];
      try {
        for await (const chunk of stream) {
          unpacked += (chunk as Buffer).length;
          if (unpacked > limits.unpackedBytes) throw tooLarge(limits.unpackedBytes);
          chunks.push(chunk as Buffer);
        }
      } catch (e) {
        stream.destroy();
        throw e instanceof HttpProblem ? e : corrupt(e);
      }
      if (name !== undefined) files.push({ path: name, content: Buffer.concat(chunks) });
    }
  } finally {
    zip.close();
  }
}
