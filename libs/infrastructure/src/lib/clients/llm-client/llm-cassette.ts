import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  InvalidInputError,
  type ChatMessage,
  type ChatOptions,
  type FinishReason,
  type LlmFailureReason,
  type TokenUsage,
} from '@test-agent/domain';
import { redact } from './llm-http-text';

/**
 * One line of a cassette (JSONL): a chat request and what the caller got back, an answer or a typed failure.
 * Secrets known to the recorder (keys, tokens) are replaced by `[REDACTED]` before the line is written.
 */
export interface CassetteEntry {
  readonly v: 1;
  /** ISO time of the exchange. */
  readonly at: string;
  /** Endpoint that answered (or the chain, for a failure). */
  readonly endpoint: string;
  readonly request: { readonly messages: readonly ChatMessage[]; readonly options: CassetteOptions };
  readonly response?: {
    readonly text: string;
    readonly usage?: TokenUsage;
    readonly model: string;
    readonly finishReason: FinishReason;
    readonly latencyMs: number;
  };
  readonly error?: {
    readonly code: string;
    readonly kind: 'external' | 'timeout';
    readonly reason: LlmFailureReason;
    readonly status?: number;
    readonly message: string;
  };
}

/** The request options that change an answer (the signal does not). */
export type CassetteOptions = Pick<ChatOptions, 'maxTokens' | 'temperature' | 'topP' | 'stop'>;

export function cassetteOptions(options: ChatOptions): CassetteOptions {
  return {
    ...(options.maxTokens === undefined ? {} : { maxTokens: options.maxTokens }),
    ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
    ...(options.topP === undefined ? {} : { topP: options.topP }),
    ...(options.stop === undefined ? {} : { stop: [...options.stop] }),
  };
}

/** The replay key of a request: its messages and answer-changing options, as canonical JSON. */
export function cassetteKey(messages: readonly ChatMessage[], options: CassetteOptions): string {
  const o = cassetteOptions(options);
  return JSON.stringify({
    messages: messages.map((m) => [m.role, m.content]),
    options: [o.maxTokens ?? null, o.temperature ?? null, o.topP ?? null, o.stop ?? null],
  });
}

/** Appends cassette entries to a JSONL file (created with its folder when missing), redacting secrets. */
export class CassetteWriter {
  constructor(
    readonly file: string,
    private readonly secrets: () => readonly string[] = () => [],
  ) {}

  append(entry: CassetteEntry): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    appendFileSync(this.file, `${redact(JSON.stringify(entry), this.secrets())}\n`, 'utf8');
  }
}

/** Reads every entry of a cassette. @throws InvalidInputError when the file is missing or a line is not an entry. */
export function readCassette(file: string): CassetteEntry[] {
  if (!existsSync(file)) throw new InvalidInputError('TA_LLM_CASSETTE_NOT_FOUND', `LLM cassette not found: ${file}`);
  const entries: CassetteEntry[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      let entry: Partial<CassetteEntry>;
      try {
        entry = JSON.parse(line) as Partial<CassetteEntry>;
      } catch (e) {
        throw new InvalidInputError('TA_LLM_CASSETTE_INVALID', `${file}:${i + 1}: not JSON (${(e as Error).message})`);
      }
      if (
        entry.v !== 1 ||
        !entry.request ||
        !Array.isArray(entry.request.messages) ||
        (!entry.response && !entry.error)
      ) {
        throw new InvalidInputError(
          'TA_LLM_CASSETTE_INVALID',
          `${file}:${i + 1}: not a cassette entry (v 1 with request and response or error)`,
        );
      }
      entries.push(entry as CassetteEntry);
    });
  return entries;
}
