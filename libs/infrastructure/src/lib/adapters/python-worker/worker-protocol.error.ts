import { TestAgentError } from '@test-agent/domain';
import type { z } from 'zod';

/**
 * The search worker sent a message that does not have the shape of its kind (`worker-protocol.schema.ts`): a bug
 * in Test Agent (the worker and the adapter disagree), never the code under test, which cannot write to the
 * protocol. `field` is the path of the first wrong field (`result.callables[2].params[0].kind`; `''` for the
 * message itself); the message names it, never its value.
 */
export class WorkerProtocolError extends TestAgentError {
  constructor(
    readonly messageKind: string,
    readonly field: string,
    problem: string,
  ) {
    super(
      'TA_WORKER_PROTOCOL',
      'internal',
      `The Python worker sent a malformed ${messageKind} message: ${field ? `field ${field}: ` : ''}${problem}`,
      { details: { message: messageKind, field } },
    );
  }
}

/**
 * `message` parsed by `schema`.
 * @throws WorkerProtocolError naming the first wrong field when it does not fit.
 */
export function parseWorkerMessage<T>(schema: z.ZodType<T>, message: unknown, messageKind: string): T {
  const parsed = schema.safeParse(message);
  if (parsed.success) return parsed.data;
  const { field, problem } = describeIssue(parsed.error.issues[0]);
  throw new WorkerProtocolError(messageKind, field, problem);
}

/** The field and the problem of a zod issue, going into the closest branch of a union that did not match. */
function describeIssue(issue: z.core.$ZodIssue, at: readonly PropertyKey[] = []): { field: string; problem: string } {
  const path = [...at, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    // The branch that got furthest (its first issue has the longest path) says best what is wrong.
    const branches = issue.errors.filter((branch) => branch.length > 0);
    const closest = branches.reduce((best, branch) => (branch[0].path.length > best[0].path.length ? branch : best));
    return describeIssue(closest[0], path);
  }
  if (issue.code === 'unrecognized_keys') {
    return { field: fieldPath([...path, issue.keys[0]]), problem: 'a field this message does not have' };
  }
  return { field: fieldPath(path), problem: issue.message };
}

/** `result.callables[2].kind` for `['result', 'callables', 2, 'kind']`. */
function fieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`))
    .join('');
}
