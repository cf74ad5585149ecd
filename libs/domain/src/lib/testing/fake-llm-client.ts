import type {
  ChatMessage,
  ChatOptions,
  ChatResult,
  FinishReason,
  LlmClient,
  LlmHealth,
  TokenUsage,
} from '../interfaces/llm-client.port';

/** One scripted turn of a `FakeLlmClient`: an answer, an error to throw, or a function of the request. */
export type FakeLlmStep =
  | {
      readonly text: string;
      readonly usage?: TokenUsage;
      readonly finishReason?: FinishReason;
      readonly model?: string;
    }
  | { readonly error: Error }
  | ((messages: readonly ChatMessage[], options: ChatOptions) => FakeLlmStep);

/**
 * A scripted `LlmClient` for unit tests: answers each `chat` with the next step of its script and records every
 * call. Running out of script throws a plain `Error` (a broken test, not an LLM failure).
 */
export class FakeLlmClient implements LlmClient {
  readonly calls: { messages: readonly ChatMessage[]; options: ChatOptions }[] = [];
  private readonly steps: FakeLlmStep[];
  healthResult: Omit<LlmHealth, 'endpoint'> = { ok: true, model: 'fake-model', latencyMs: 0, detail: 'fake' };

  constructor(
    readonly endpoint = 'fake http://fake.invalid',
    steps: readonly FakeLlmStep[] = [],
  ) {
    this.steps = [...steps];
  }

  /** Appends steps to the script. */
  enqueue(...steps: FakeLlmStep[]): this {
    this.steps.push(...steps);
    return this;
  }

  async chat(messages: readonly ChatMessage[], options: ChatOptions = {}): Promise<ChatResult> {
    this.calls.push({ messages, options });
    let step = this.steps.shift();
    if (step === undefined)
      throw new Error(`FakeLlmClient ${this.endpoint}: script exhausted after ${this.calls.length - 1} calls`);
    while (typeof step === 'function') step = step(messages, options);
    if ('error' in step) throw step.error;
    return {
      text: step.text,
      usage: step.usage,
      model: step.model ?? 'fake-model',
      finishReason: step.finishReason ?? 'stop',
      latencyMs: 0,
      endpoint: this.endpoint,
    };
  }

  async health(): Promise<LlmHealth> {
    return { endpoint: this.endpoint, ...this.healthResult };
  }
}
