import { TestAgentError, type ErrorKind } from '@test-agent/domain';
import type { MetricEvent } from '@test-agent/composition';
import { HttpProblem } from '../security';

/** A failure as it crosses from a thread to the event loop (errors lose their class and fields when cloned). */
export type SourcesFailure =
  | { readonly type: 'http'; readonly statusCode: number; readonly code: string; readonly message: string }
  | {
      readonly type: 'test-agent';
      readonly code: string;
      readonly kind: ErrorKind;
      readonly message: string;
      readonly details?: Record<string, unknown>;
    }
  | { readonly type: 'other'; readonly message: string };

/** A source thread's reply: the answer (as JSON text) or the failure, with the metrics the task recorded. */
export type SourcesReply =
  | { readonly ok: true; readonly json: string; readonly metrics: readonly MetricEvent[] }
  /** An archive's checked files (their bytes arrive as `Uint8Array`s: buffers lose their class when cloned). */
  | {
      readonly ok: true;
      readonly files: readonly { path: string; content: Uint8Array }[];
      readonly metrics: readonly MetricEvent[];
    }
  | { readonly ok: false; readonly failure: SourcesFailure; readonly metrics: readonly MetricEvent[] };

export function describeFailure(e: unknown): SourcesFailure {
  if (e instanceof HttpProblem) return { type: 'http', statusCode: e.statusCode, code: e.code, message: e.message };
  if (e instanceof TestAgentError)
    return {
      type: 'test-agent',
      code: e.code,
      kind: e.kind,
      message: e.message,
      ...(e.details ? { details: JSON.parse(JSON.stringify(e.details)) as Record<string, unknown> } : {}),
    };
  return { type: 'other', message: e instanceof Error ? e.message : String(e) };
}

/** The error the thread threw, rebuilt so the server's error handler maps it as if it had been thrown here. */
export function rebuildFailure(failure: SourcesFailure): Error {
  if (failure.type === 'http') return new HttpProblem(failure.statusCode, failure.code, failure.message);
  if (failure.type === 'test-agent')
    return new TestAgentError(failure.code, failure.kind, failure.message, { details: failure.details });
  return new Error(failure.message);
}
