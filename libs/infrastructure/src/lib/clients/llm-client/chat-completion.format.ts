import {
  LlmResponseError,
  type ChatMessage,
  type ChatOptions,
  type ChatResult,
  type FinishReason,
  type TokenUsage,
} from '@test-agent/domain';
import { pick, type HttpExchange, type HttpRequest, type LlmHttp, type StreamExchange } from './llm-http.transport';

/** OpenAI-style `finish_reason` (GigaChat's too) in Test Agent's words. */
export function finishReasonOf(raw: unknown): FinishReason {
  switch (raw) {
    case 'stop':
      return 'stop';
    case 'length':
      return 'length';
    case 'content_filter':
    case 'blacklist':
      return 'content-filter';
    case 'tool_calls':
    case 'function_call':
      return 'tool-call';
    case 'error':
      return 'error';
    default:
      return 'unknown';
  }
}

/** `usage` of an OpenAI-style body, when the three counts are numbers. */
export function usageOf(prompt: unknown, completion: unknown, total?: unknown): TokenUsage | undefined {
  if (typeof prompt !== 'number' || typeof completion !== 'number') return undefined;
  return {
    promptTokens: prompt,
    completionTokens: completion,
    totalTokens: typeof total === 'number' ? total : prompt + completion,
  };
}

/**
 * How a chat completion is asked for: `stop` sequences sent (GigaChat has none), streamed, and for a stream
 * whether to ask for the usage chunk with OpenAI's `stream_options: {include_usage: true}` (GigaChat reports
 * usage in its last chunk unasked and knows no such option).
 */
export interface ChatBodyShape {
  readonly withStop?: boolean;
  readonly stream?: boolean;
  readonly includeUsage?: boolean;
}

/** The request body of an OpenAI-style chat completion. */
export function chatCompletionBody(
  model: string | undefined,
  messages: readonly ChatMessage[],
  options: ChatOptions,
  shape: ChatBodyShape = {},
): Record<string, unknown> {
  const withStop = shape.withStop ?? true;
  return {
    ...(model === undefined ? {} : { model }),
    messages: messages.map((m) => ({ role: m.role, content: m.content })),
    ...(options.maxTokens === undefined ? {} : { max_tokens: options.maxTokens }),
    ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
    ...(options.topP === undefined ? {} : { top_p: options.topP }),
    ...(withStop && options.stop?.length ? { stop: [...options.stop] } : {}),
    stream: shape.stream ?? false,
    ...(shape.stream && shape.includeUsage ? { stream_options: { include_usage: true } } : {}),
  };
}

/**
 * Assembles a streamed OpenAI-style (or GigaChat) chat completion from its events: `choices[0].delta.content`
 * pieces in order, the last `finish_reason`, the `usage` of whichever chunk carries it (OpenAI's extra chunk with
 * empty `choices` under `include_usage`, GigaChat's last chunk), the model.
 */
export class ChatStreamAssembler {
  private readonly parts: string[] = [];
  private finish: unknown;
  private usage?: TokenUsage;
  private model?: string;

  constructor(
    private readonly endpoint: string,
    private readonly what: string,
  ) {}

  /** One event's `data`. An event that is not JSON, or carries an `error`, fails the stream. */
  add(data: string): void {
    let chunk: unknown;
    try {
      chunk = JSON.parse(data) as unknown;
    } catch {
      throw new LlmResponseError(
        this.endpoint,
        `${this.endpoint}: ${this.what} streamed an event that is not JSON (${data.length} characters)`,
        { retryable: true },
      );
    }
    const error = pick(chunk, 'error');
    if (error !== undefined && error !== null) {
      const message = pick(error, 'message');
      throw new LlmResponseError(
        this.endpoint,
        `${this.endpoint}: ${this.what} streamed an error: ${typeof message === 'string' ? message.slice(0, 300) : 'no message'}`,
        { retryable: true },
      );
    }
    const content = pick(chunk, 'choices', 0, 'delta', 'content');
    if (typeof content === 'string') this.parts.push(content);
    const finish = pick(chunk, 'choices', 0, 'finish_reason');
    if (finish !== undefined && finish !== null) this.finish = finish;
    const usage = usageOf(
      pick(chunk, 'usage', 'prompt_tokens'),
      pick(chunk, 'usage', 'completion_tokens'),
      pick(chunk, 'usage', 'total_tokens'),
    );
    if (usage) this.usage = usage;
    const model = pick(chunk, 'model');
    if (typeof model === 'string' && model !== '') this.model = model;
  }

  /**
   * The completed answer.
   * @throws LlmResponseError (retryable) when the stream ended before `[DONE]` and before any `finish_reason`.
   */
  result(ended: { done: boolean; events: number }, fallbackModel: string, latencyMs: number): ChatResult {
    if (!ended.done && this.finish === undefined) {
      throw new LlmResponseError(
        this.endpoint,
        `${this.endpoint}: ${this.what} stream ended before [DONE] and before a finish_reason (${ended.events} events, ${this.parts.join('').length} characters): the answer is incomplete`,
        { retryable: true },
      );
    }
    return {
      text: this.parts.join(''),
      usage: this.usage,
      model: this.model ?? fallbackModel,
      finishReason: finishReasonOf(this.finish),
      latencyMs,
      endpoint: this.endpoint,
    };
  }
}

/**
 * Reads an OpenAI-style chat completion (`choices[0].message.content`, `finish_reason`, `usage`).
 * @throws LlmResponseError when the answer text is missing.
 */
export function parseChatCompletion(
  body: unknown,
  endpoint: string,
  what: string,
  fallbackModel: string,
  latencyMs: number,
): ChatResult {
  const text = pick(body, 'choices', 0, 'message', 'content');
  if (typeof text !== 'string') {
    throw new LlmResponseError(endpoint, `${endpoint}: ${what} answered JSON without choices[0].message.content`, {
      retryable: false,
    });
  }
  const model = pick(body, 'model');
  return {
    text,
    usage: usageOf(
      pick(body, 'usage', 'prompt_tokens'),
      pick(body, 'usage', 'completion_tokens'),
      pick(body, 'usage', 'total_tokens'),
    ),
    model: typeof model === 'string' && model !== '' ? model : fallbackModel,
    finishReason: finishReasonOf(pick(body, 'choices', 0, 'finish_reason')),
    latencyMs,
    endpoint,
  };
}

/**
 * Sends one chat completion request (its JSON body already built) and reads the answer, streamed or not: a
 * streamed answer is assembled as it arrives; a whole JSON answer (`stream` off, or a server that ignored it)
 * is parsed as usual; an HTTP error status becomes the transport's typed error.
 */
export async function requestChatCompletion(
  http: LlmHttp,
  request: HttpRequest & { readonly json: Record<string, unknown> },
  send: (request: HttpRequest) => Promise<HttpExchange>,
  stream: (request: HttpRequest, onData: (data: string) => void) => Promise<StreamExchange | HttpExchange>,
  fallbackModel: string,
): Promise<ChatResult> {
  if (request.json['stream'] !== true) {
    const exchange = await send(request);
    if (exchange.status !== 200) throw http.httpError(exchange, request.what);
    return parseChatCompletion(
      http.json(exchange, request.what),
      http.endpoint,
      request.what,
      fallbackModel,
      exchange.latencyMs,
    );
  }
  const assembler = new ChatStreamAssembler(http.endpoint, request.what);
  const outcome = await stream(request, (data) => assembler.add(data));
  if (!('kind' in outcome)) {
    if (outcome.status !== 200) throw http.httpError(outcome, request.what);
    return parseChatCompletion(
      http.json(outcome, request.what),
      http.endpoint,
      request.what,
      fallbackModel,
      outcome.latencyMs,
    );
  }
  return assembler.result(outcome, fallbackModel, outcome.latencyMs);
}
