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
}

export interface StandInScript {
  model?: string;
  models?: string[];
  responses?: StandInResponse[];
  default?: StandInResponse;
  echo?: boolean;
  apiKey?: string;
  contextWindow?: number;
  latencyMs?: number;
  gigachat?: { authKey?: string; tokenTtlMs?: number; maxConcurrency?: number; maxTokenRequestsPerSecond?: number };
  llmApi?: { chatRoute?: boolean; usage?: boolean; healthy?: boolean; device?: string };
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
  };
  requests: StandInRequest[];
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
  start(options?: { port?: number; host?: string; tls?: { cert: string | Buffer; key: string | Buffer } }): Promise<{ url: string; port: number }>;
  close(): Promise<void>;
  state(): StandInState;
}

export declare function startStandIn(
  script?: StandInScript,
  options?: { port?: number; host?: string; tls?: { cert: string | Buffer; key: string | Buffer }; cassetteFile?: string },
): Promise<LlmStandIn>;
export declare function countTokens(text: string): number;
export declare function countPromptTokens(messages: { role: string; content: string }[]): number;
