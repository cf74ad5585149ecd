import {
  InvalidInputError,
  type ModelProfile,
  type PythonSourceReader,
  type TestAgentError,
  type TokenBudget,
} from '@test-agent/domain';
import type { ChunkModule } from './chunk-module.use-case';

export interface CountTokensRequest {
  /** A `.py` file or a folder (every `.py` file under it). */
  readonly path: string;
  readonly model?: string;
  readonly exclude?: readonly string[];
}

export interface CountTokensResult {
  readonly path: string;
  readonly model: ModelProfile;
  readonly exactCounts: boolean;
  /** The chunk budget for this model (what `chunk` would use). */
  readonly budget: TokenBudget;
  readonly files: readonly {
    readonly file: string;
    readonly lines: number;
    readonly characters: number;
    readonly tokens: number;
  }[];
  readonly totalTokens: number;
  /** Folder mode: files that could not be read (binary, not UTF-8, too large), with the reason. */
  readonly skipped: readonly { readonly file: string; readonly reason: string }[];
}

/** Counts the tokens of a module or package for a model's tokenizer. Throws `InvalidInputError` like `ChunkModule`. */
export class CountTokens {
  constructor(private readonly deps: { readonly reader: PythonSourceReader; readonly chunkModule: ChunkModule }) {}

  async execute(request: CountTokensRequest): Promise<CountTokensResult> {
    const { profile, counter, budget } = this.deps.chunkModule.plan({ model: request.model });
    const target = await this.deps.reader.resolve(request.path);
    let list: string[];
    if (target.kind === 'file') {
      if (!/\.pyi?$/.test(target.path))
        throw new InvalidInputError('TA_NOT_PYTHON', `Not a Python file (.py): ${request.path}`);
      list = [target.path];
    } else {
      list = await this.deps.reader.listPythonFiles(target.path, { exclude: request.exclude });
      if (list.length === 0)
        throw new InvalidInputError('TA_NO_PYTHON_FILES', `No Python files (.py) under ${request.path}`);
    }
    const files = [];
    const skipped: { file: string; reason: string }[] = [];
    for (const file of list) {
      let source: string;
      try {
        source = await this.deps.reader.read(file);
      } catch (e) {
        if (target.kind === 'file' || (e as TestAgentError).kind !== 'invalid-input') throw e;
        skipped.push({ file, reason: (e as Error).message });
        continue;
      }
      if (target.kind === 'file' && source.trim() === '')
        throw new InvalidInputError('TA_EMPTY_MODULE', `${request.path} is empty: there is no code to count`);
      const lines = source === '' ? 0 : source.split('\n').length - (source.endsWith('\n') ? 1 : 0);
      files.push({ file, lines, characters: source.length, tokens: await counter.count(source) });
    }
    return {
      path: target.path,
      model: profile,
      exactCounts: counter.exact,
      budget,
      files,
      totalTokens: files.reduce((a, f) => a + f.tokens, 0),
      skipped,
    };
  }
}
