// Types of stand-in-server.cjs for TypeScript specs. See README.md for the script format.
import type { Server } from 'node:http';

export interface StandInMatch {
  /** Every string must occur in the prompt (all messages joined, or only the last user message with lastUser). */
  contains?: string | string[];
  regex?: string;
  flags?: string;
  lastUser?: boolean;
}

export interface StandInResponse {
  match?: StandInMatch;
  text: string;
  finishReason?: 'stop' | 'length' | 'content-filter' | 'error';
  usage?: { prompt_tokens?: number; completion_tokens?: number };
  /** Answer this rule at most this many times. */
  times?: number;
  latencyMs?: number;
  /** Streamed answers of this rule: tokens per second (overrides the script's `stream.tokensPerSecond`). */
  tokensPerSecond?: number;
}

export interface StandInFault {
  /** Exact path, a prefix ending in `*`, `*` for every route, or `chat` (default: the three chat routes). */
  path?: string;
  /** Requests to apply to (default 1), or "always". */
  times?: number | 'always';
  /** Matching requests to let through before applying. */
  after?: number;
  delayMs?: number;
  status?: number;
  retryAfter?: number | string;
  body?: unknown;
  reset?: boolean;
  truncate?: boolean;
  contentType?: string;
  expireToken?: boolean;
  truncatePromptTo?: number;
  /** A streamed answer goes silent after this many tokens (the connection stays open until the client leaves). */
  stallAfterTokens?: number;
}

/** Mistakes the scripted model makes: on the first n test answers (a number) or on the listed ones (1-based). */
export interface StandInMistakes {
  /** One test asserts `result == "stand-in: wrong on purpose"`. */
  wrongAssertion?: number | number[];
  /** One test imports its function from `src.<module>` (ModuleNotFoundError). */
  badImport?: number | number[];
  /** The answer stops in the middle of its last test, without the closing fence, `finish_reason: "length"`. */
  truncated?: number | number[];
}

/** The scripted model: answers computed from the prompt (README.md, "Scripted model"). */
export interface StandInReader {
  mistakes?: StandInMistakes;
  /** Most tests in one answer (default 8). */
  maxTests?: number;
}

/** What the scripted model read and did for one answer. */
export interface StandInReaderLog {
  kind: 'unit' | 'follow-up' | 'repair' | 'integration' | 'summary' | 'unknown';
  /** User turns in the conversation. */
  turns: number;
  /** Set when it refused: why (the answer then has no code block). */
  refused?: string;
  /** Test answers: their number (1-based), the marks read, the tests written, the mistakes made. */
  answer?: number;
  marks?: { lines: number[]; branches: [number, number][] };
  tests?: { name: string; target: string; lines: number[]; branches: [number, number][]; solved: boolean }[];
  mistakes?: ('wrongAssertion' | 'badImport' | 'truncated')[];
  /** Repair answers: the tests fixed, the failing tests whose error it could not act on. */
  repaired?: string[];
  unfixable?: string[];
  summarised?: number;
}

/** One chat answer sent: where it came from and the usage reported with it. */
export interface StandInAnswer {
  at: number;
  path: string;
  source: 'rule' | 'cassette' | 'reader' | 'default' | 'echo';
  finishReason: string;
  promptTokens: number;
  completionTokens: number;
  reader?: StandInReaderLog;
}

export interface StandInScript {
  model?: string;
  /** Answer chats no `responses` rule or cassette entry answers with the scripted model. */
  reader?: boolean | StandInReader;
  models?: string[];
  responses?: StandInResponse[];
  default?: StandInResponse;
  echo?: boolean;
  apiKey?: string;
  contextWindow?: number;
  latencyMs?: number;
  /** Streamed answers (`stream: true`): tokens per second, 0 for as fast as possible (the default). */
  stream?: { tokensPerSecond?: number };
  gigachat?: { authKey?: string; tokenTtlMs?: number; maxConcurrency?: number; maxTokenRequestsPerSecond?: number };
  llmApi?: { chatRoute?: boolean; usage?: boolean; healthy?: boolean; device?: string };
  /** vLLM: `GET /v1/models` lists this `max_model_len` for each model. */
  maxModelLen?: number;
  /**
   * Ollama: `GET /` answers "Ollama is running", `POST /api/show` gives `num_ctx` among the parameters (when set)
   * and `model_info.qwen2.context_length` = `modelContextLength`; `GET /api/ps` lists the model as loaded with
   * `context_length` = `loadedContextLength` (when set; else no model is loaded).
   */
  ollama?: { numCtx?: number; modelContextLength?: number; loadedContextLength?: number };
  faults?: StandInFault[];
}

export interface StandInRequest {
  at: number;
  method: string;
  path: string;
  authScheme?: string;
  rqUID?: string;
  body?: unknown;
}

export interface StandInState {
  stats: {
    requests: number;
    oauth: number;
    unauthorized: number;
    byPath: Record<string, number>;
    maxInFlightChat: number;
    truncatedPrompts: number;
    faultsApplied: number;
    /** Answers streamed, tokens written in streams, streams that went silent (`stallAfterTokens`). */
    streams: number;
    streamedTokens: number;
    stalledStreams: number;
    /** Usage reported with every chat answer, summed (what a client that reads the usage counts). */
    promptTokens: number;
    completionTokens: number;
  };
  requests: StandInRequest[];
  answers: StandInAnswer[];
  issuedTokens: string[];
  pendingFaults: StandInFault[];
}

export declare class LlmStandIn {
  constructor(script?: StandInScript, options?: { cassetteFile?: string });
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  setScript(script: StandInScript): void;
  loadCassette(file: string): void;
  resetState(): void;
  inject(fault: StandInFault): this;
  start(options?: {
    port?: number;
    host?: string;
    tls?: { cert: string | Buffer; key: string | Buffer };
  }): Promise<{ url: string; port: number }>;
  close(): Promise<void>;
  state(): StandInState;
}

export declare function startStandIn(
  script?: StandInScript,
  options?: {
    port?: number;
    host?: string;
    tls?: { cert: string | Buffer; key: string | Buffer };
    cassetteFile?: string;
  },
): Promise<LlmStandIn>;
export declare function countTokens(text: string): number;
export declare function countPromptTokens(messages: { role: string; content: string }[]): number;
