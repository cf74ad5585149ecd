import { InvalidInputError } from '../errors/test-agent.error';
import type {
  ListPythonFilesOptions,
  PythonSourceReader,
  ResolvedSourcePath,
} from '../interfaces/python-source-reader.port';

/**
 * A `PythonSourceReader` over a map of absolute paths to contents (a `Uint8Array` content reads as binary).
 * Folders are implied by the paths. Exclude patterns are matched as path prefixes relative to the folder.
 */
export class InMemoryPythonSourceReader implements PythonSourceReader {
  constructor(private readonly files: Readonly<Record<string, string | Uint8Array>>) {}

  async resolve(path: string): Promise<ResolvedSourcePath> {
    if (path in this.files) return { path, kind: 'file' };
    const prefix = path.endsWith('/') ? path : `${path}/`;
    if (Object.keys(this.files).some((f) => f.startsWith(prefix)))
      return { path: prefix.slice(0, -1), kind: 'directory' };
    throw new InvalidInputError('TA_PATH_NOT_FOUND', `No such file or directory: ${path}`);
  }

  async read(file: string): Promise<string> {
    const content = this.files[file];
    if (content === undefined) throw new InvalidInputError('TA_PATH_NOT_FOUND', `No such file or directory: ${file}`);
    if (typeof content !== 'string')
      throw new InvalidInputError('TA_BINARY_FILE', `${file} is a binary file, not Python source`);
    return content;
  }

  async listPythonFiles(directory: string, options: ListPythonFilesOptions = {}): Promise<string[]> {
    const prefix = `${directory}/`;
    return Object.keys(this.files)
      .filter((f) => f.startsWith(prefix) && f.endsWith('.py'))
      .filter((f) => !(options.exclude ?? []).some((p) => f.slice(prefix.length).startsWith(p.replace(/\/$/, ''))))
      .sort();
  }
}
