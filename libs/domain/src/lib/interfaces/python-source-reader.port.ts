/** What a path given by the user is. */
export interface ResolvedSourcePath {
  /** Absolute, resolved path. */
  readonly path: string;
  readonly kind: 'file' | 'directory';
}

/** Options for listing a package's Python files. */
export interface ListPythonFilesOptions {
  /** Extra `.gitignore`-style patterns, relative to the listed folder. */
  readonly exclude?: readonly string[];
}

/**
 * Reads the user's Python sources. Throws `InvalidInputError` for what cannot be used: a missing path
 * (`TA_PATH_NOT_FOUND`), a binary (`TA_BINARY_FILE`), non-UTF-8 (`TA_NOT_UTF8`) or oversized (`TA_FILE_TOO_LARGE`) file.
 */
export interface PythonSourceReader {
  resolve(path: string): Promise<ResolvedSourcePath>;
  /** The file's text, UTF-8 decoded, BOM removed; '' for an empty file. */
  read(file: string): Promise<string>;
  /**
   * Every `.py` file under `directory`, sorted, absolute. Skips `.gitignore`d paths (every `.gitignore` in the
   * tree), virtual environments (folders with `pyvenv.cfg`), `site-packages`, `__pycache__`, VCS and tool caches.
   */
  listPythonFiles(directory: string, options?: ListPythonFilesOptions): Promise<string[]>;
}
