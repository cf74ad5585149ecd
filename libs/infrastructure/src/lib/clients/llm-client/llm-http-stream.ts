import { createParser } from 'eventsource-parser';
import type { Readable } from 'node:stream';

/** Which limit of a streamed exchange ran out: the wait for the first byte, or a silence inside the body. */
export type StreamTimeout = 'first-byte' | 'idle';

/**
 * The limits of one streamed exchange: `arm` (re)starts the timer of a phase; when it runs out, the phase is
 * recorded in `timedOut` and the exchange is aborted through the controller.
 */
export class StreamWatchdog {
  timedOut: StreamTimeout | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly controller: AbortController) {}

  arm(phase: StreamTimeout, ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timedOut = phase;
      this.controller.abort();
    }, ms);
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

/** What a streamed body delivered so far (for the messages of a failure). */
export interface StreamProgress {
  /** Events received (excluding `[DONE]`). */
  events: number;
  /** Characters of body text received. */
  chars: number;
  /** `data: [DONE]` was received. */
  done: boolean;
}

/** A response header as a string; undefined when absent. */
export function headerOf(headers: Record<string, unknown>, name: string): string | undefined {
  const v: unknown = headers[name];
  return v === undefined || v === null ? undefined : String(v);
}

/** Reads a body that is not an event stream whole; `onPiece` runs after every piece (the idle limit). */
export async function readWholeBody(body: Readable, onPiece: () => void): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of body) {
    parts.push(Buffer.isBuffer(part) ? part : Buffer.from(String(part)));
    onPiece();
  }
  return Buffer.concat(parts).toString('utf8');
}

/**
 * Parses a server-sent event stream as it arrives: `onData` gets each event's `data`; the `[DONE]` marker ends
 * the reading (the body is destroyed) and is recorded in `progress.done`. `onPiece` runs before every piece.
 */
export async function readEventStream(
  body: Readable,
  onData: (data: string) => void,
  progress: StreamProgress,
  onPiece: () => void,
): Promise<void> {
  const parser = createParser({
    onEvent: (event) => {
      if (event.data.trim() === '[DONE]') {
        progress.done = true;
        return;
      }
      progress.events += 1;
      onData(event.data);
    },
  });
  const decoder = new TextDecoder('utf-8');
  for await (const part of body) {
    onPiece();
    const text = typeof part === 'string' ? part : decoder.decode(part as Buffer, { stream: true });
    progress.chars += text.length;
    parser.feed(text);
    if (progress.done) break;
  }
  parser.feed(decoder.decode());
  if (progress.done) body.destroy();
}
