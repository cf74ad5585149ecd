import {
  InvalidInputError,
  TokenBudget,
  resolveModelProfile,
  silentLogger,
  type ChunkingStrategy,
  type CodeChunk,
  type CodeParser,
  type Logger,
  type Metrics,
  type ModelProfile,
  type PythonSourceReader,
  type SyntaxErrorLocation,
  type TokenCounter,
  type TokenCounterFactory,
  type TestAgentError,
} from '@test-agent/domain';
import {
  CodeChunker,
  DEFAULT_SMALL_MODULE_TOKENS,
  type ChunkedModule,
} from '../services/code-chunker/code-chunker.service';

/** Settings-derived defaults of chunking (the composition fills them from configuration). */
export interface ChunkingDefaults {
  /** Model used when the request names none (`llmModel`); absent: the `default` profile. */
  readonly model?: string;
  /** Overrides the profile's context window (`llmContextWindow`). */
  readonly contextWindow?: number;
  /** Overrides the profile's reserved completion tokens. */
  readonly reservedCompletionTokens?: number;
  /** Prompt tokens that are not the chunk (instructions, skeleton, summaries). */
  readonly promptOverheadTokens?: number;
  readonly smallModuleTokens?: number;
  readonly strategy?: ChunkingStrategy;
}

/** What to chunk. */
export interface ChunkModuleRequest {
  /** A `.py` file, or a folder (package mode: every `.py` file under it). */
  readonly path: string;
  readonly strategy?: ChunkingStrategy;
  /** Tokens per chunk; overrides the budget computed from the model. */
  readonly maxTokens?: number;
  /** Model whose tokenizer and context window apply (default: the configured model). */
  readonly model?: string;
  /** Context window and answer reserve to fit (the endpoints' detected window), overriding the defaults. */
  readonly contextWindow?: number;
  readonly reservedCompletionTokens?: number;
  /** Package mode: extra `.gitignore`-style patterns to skip. */
  readonly exclude?: readonly string[];
}

/** Per-file facts of a chunking run. */
export interface ChunkedFileSummary {
  readonly file: string;
  readonly lines: number;
  readonly tokens: number;
  readonly applied: ChunkedModule['applied'];
  readonly chunkCount: number;
  readonly errors: readonly SyntaxErrorLocation[];
}

export interface ChunkModuleResult {
  /** The resolved path that was chunked. */
  readonly path: string;
  readonly mode: 'file' | 'package';
  readonly model: ModelProfile;
  /** False when token counts are a local estimate (GigaChat without an API). */
  readonly exactCounts: boolean;
  readonly budget: TokenBudget;
  readonly strategy: ChunkingStrategy;
  readonly files: readonly ChunkedFileSummary[];
  /** Every chunk of every file, files in path order. */
  readonly chunks: readonly CodeChunk[];
  /** Package mode: files left out, with the reason (empty, binary, not UTF-8, too large). */
  readonly skipped: readonly { readonly file: string; readonly reason: string }[];
  readonly durationMs: number;
}

/** Dependencies of the use case (ports only). */
export interface ChunkModuleDeps {
  readonly reader: PythonSourceReader;
  readonly parser: CodeParser;
  readonly counters: TokenCounterFactory;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly defaults?: ChunkingDefaults;
}

/**
 * Chunks a Python module or package for a model: read (through the `PythonSourceReader` port), parse, count,
 * pack. Used by the CLI's `chunk` command, the generation pipeline and coverage-per-chunk projection.
 * Throws `InvalidInputError` for a missing path, a non-Python file, a binary / non-UTF-8 / oversized file, an empty
 * module, a folder without Python files, or a bad budget.
 */
export class ChunkModule {
  private readonly logger: Logger;

  constructor(private readonly deps: ChunkModuleDeps) {
    this.logger = (deps.logger ?? silentLogger).child('chunker');
  }

  /** The model profile, counter and budget a request resolves to. */
  plan(request: Pick<ChunkModuleRequest, 'model' | 'maxTokens' | 'contextWindow' | 'reservedCompletionTokens'>): {
    profile: ModelProfile;
    counter: TokenCounter;
    budget: TokenBudget;
  } {
    const d = this.deps.defaults ?? {};
    const profile = resolveModelProfile(request.model ?? d.model, {
      contextWindow: request.contextWindow ?? d.contextWindow,
      reservedCompletionTokens: request.reservedCompletionTokens ?? d.reservedCompletionTokens,
    });
    const budget =
      request.maxTokens !== undefined
        ? TokenBudget.ofMaxTokens(request.maxTokens)
        : TokenBudget.forModel(profile, d.promptOverheadTokens);
    return { profile, counter: this.deps.counters.forProfile(profile), budget };
  }

  async execute(request: ChunkModuleRequest): Promise<ChunkModuleResult> {
    const started = Date.now();
    const strategy = request.strategy ?? this.deps.defaults?.strategy ?? 'auto';
    const { profile, counter, budget } = this.plan(request);
    const target = await this.deps.reader.resolve(request.path);
    const files: ChunkedFileSummary[] = [];
    const chunks: CodeChunk[] = [];
    const skipped: { file: string; reason: string }[] = [];
    const chunker = new CodeChunker(counter);
    const run = async (file: string, source: string): Promise<void> => {
      const result = await this.chunkSource(chunker, file, source, strategy, budget);
      files.push({
        file,
        lines: result.lineCount,
        tokens: result.tokens,
        applied: result.applied,
        chunkCount: result.chunks.length,
        errors: result.errors,
      });
      chunks.push(...result.chunks);
    };
    if (target.kind === 'file') {
      if (!/\.pyi?$/.test(target.path))
        throw new InvalidInputError('TA_NOT_PYTHON', `Not a Python file (.py): ${request.path}`);
      const source = await this.deps.reader.read(target.path);
      if (source.trim() === '')
        throw new InvalidInputError('TA_EMPTY_MODULE', `${request.path} is empty: there is no code to chunk`);
      await run(target.path, source);
    } else {
      const list = await this.deps.reader.listPythonFiles(target.path, { exclude: request.exclude });
      if (list.length === 0)
        throw new InvalidInputError('TA_NO_PYTHON_FILES', `No Python files (.py) under ${request.path}`);
      for (const file of list) {
        let source: string;
        try {
          source = await this.deps.reader.read(file);
        } catch (e) {
          if ((e as TestAgentError).kind !== 'invalid-input') throw e;
          skipped.push({ file, reason: (e as Error).message });
          continue;
        }
        if (source.trim() === '') {
          skipped.push({ file, reason: 'empty' });
          continue;
        }
        await run(file, source);
      }
    }
    const durationMs = Date.now() - started;
    this.deps.metrics?.observe('test_agent_chunking_duration_seconds', durationMs / 1000, { strategy });
    this.deps.metrics?.increment('test_agent_chunks_generated_total', { strategy }, chunks.length);
    this.logger.debug('chunked', {
      path: target.path,
      files: files.length,
      chunks: chunks.length,
      model: profile.model,
      maxTokens: budget.maxTokens,
      durationMs,
    });
    return {
      path: target.path,
      mode: target.kind === 'file' ? 'file' : 'package',
      model: profile,
      exactCounts: counter.exact,
      budget,
      strategy,
      files,
      chunks,
      skipped,
      durationMs,
    };
  }

  private async chunkSource(
    chunker: CodeChunker,
    file: string,
    source: string,
    strategy: ChunkingStrategy,
    budget: TokenBudget,
  ): Promise<ChunkedModule> {
    const outline = this.deps.parser.parse(source);
    if (outline.errors.length > 0)
      this.logger.warn('syntax errors: chunking a partial outline', { file, errors: outline.errors.slice(0, 5) });
    return chunker.chunk(source, outline, {
      file,
      strategy,
      maxTokens: budget.maxTokens,
      smallModuleTokens: this.deps.defaults?.smallModuleTokens ?? DEFAULT_SMALL_MODULE_TOKENS,
    });
  }
}
