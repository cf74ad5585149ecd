import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { WorkerProtocolError, parseWorkerMessage } from './worker-protocol.error';
import {
  doneReplySchema,
  errorReplySchema,
  loadedReplySchema,
  planResultReplySchema,
  pongReplySchema,
  readyMessageSchema,
  workerRequestSchema,
} from './worker-protocol.schema';

// The adapter's side of `__fixtures__/protocol-messages.json` (the worker's side: test_executor_worker_protocol.py,
// which checks that the worker's replies to these requests have these shapes).
interface Exchange {
  readonly request: unknown;
  readonly wellFormed: boolean;
  readonly replies: readonly { readonly kind: string; readonly message: unknown }[];
}

const fixture = JSON.parse(readFileSync(path.join(__dirname, '__fixtures__', 'protocol-messages.json'), 'utf8')) as {
  readonly exchanges: readonly Exchange[];
};

const SCHEMAS: Record<string, z.ZodType> = {
  ready: readyMessageSchema,
  'load reply': loadedReplySchema,
  'plan result': planResultReplySchema,
  done: doneReplySchema,
  pong: pongReplySchema,
  error: errorReplySchema,
};

type Json = string | number | boolean | null | Json[] | { [field: string]: Json };
type JsonObject = { [field: string]: Json };
/** The fields of a JSON object (the fixture's messages are objects all the way down where these tests look). */
const fields = (value: Json | undefined): JsonObject => value as JsonObject;
const items = (value: Json | undefined): Json[] => value as Json[];
const rename = (object: JsonObject, from: string, to: string) => {
  object[to] = object[from];
  delete object[from];
};

const replies = fixture.exchanges.flatMap((e) => e.replies);
const statusOf = (message: unknown) => fields(fields(message as Json).result).status;
const loadReply = () => structuredClone(replies.find((r) => r.kind === 'load reply')!.message) as JsonObject;
const planResult = (status: string) =>
  structuredClone(
    replies.find((r) => r.kind === 'plan result' && statusOf(r.message) === status)!.message,
  ) as JsonObject;
const malformed = (schema: z.ZodType, message: unknown, kind = 'test'): WorkerProtocolError => {
  try {
    parseWorkerMessage(schema, message, kind);
  } catch (e) {
    if (e instanceof WorkerProtocolError) return e;
    throw e;
  }
  throw new Error('the message was accepted');
};

describe('the worker protocol schemas', () => {
  it('have a message of every kind and every plan status the worker sends in the fixture', () => {
    expect(new Set(replies.map((r) => r.kind))).toEqual(new Set(Object.keys(SCHEMAS)));
    const statuses = replies.filter((r) => r.kind === 'plan result').map((r) => statusOf(r.message));
    expect(new Set(statuses)).toEqual(new Set(['ok', 'raised', 'timeout', 'invalid']));
  });

  it.each(replies.map((r, i) => [i, r.kind, r.message] as const))('accept reply %i (%s)', (_i, kind, message) => {
    expect(parseWorkerMessage(SCHEMAS[kind], message, kind)).toEqual(message);
  });

  it('accept the requests the adapter sends and refuse the malformed ones', () => {
    for (const { request, wellFormed } of fixture.exchanges.filter((e) => e.request !== null)) {
      expect([request, workerRequestSchema.safeParse(request).success]).toEqual([request, wellFormed]);
    }
  });

  it('refuse a renamed field and name it, in the module interface and in a call result', () => {
    const loaded = loadReply();
    rename(fields(items(fields(loaded.result).callables)[0]), 'qualname', 'qualName');
    const error = malformed(loadedReplySchema, loaded, 'load reply');
    expect(error).toMatchObject({
      code: 'TA_WORKER_PROTOCOL',
      kind: 'internal',
      field: 'result.callables[0].qualname',
    });
    expect(error.message).toBe(
      'The Python worker sent a malformed load reply message: field result.callables[0].qualname: ' +
        'Invalid input: expected string, received undefined',
    );

    const raised = planResult('raised');
    rename(fields(fields(raised.result).exception), 'inModule', 'inModul');
    expect(malformed(planResultReplySchema, raised).field).toBe('result.exception.inModule');
  });

  it('refuse an extra field, a wrong type and an unknown kind, naming the field', () => {
    const ok = planResult('ok');
    fields(fields(ok.result).value).size = 3;
    expect(malformed(planResultReplySchema, ok)).toMatchObject({
      field: 'result.value.size',
      message: expect.stringContaining('a field this message does not have'),
    });

    const loaded = loadReply();
    items(fields(fields(loaded.result).shape).statements)[2] = '7';
    expect(malformed(loadedReplySchema, loaded).field).toBe('result.shape.statements[2]');

    const hinted = loadReply();
    const describe = items(fields(hinted.result).callables).find((c) => fields(c).qualname === 'describe');
    fields(items(fields(describe).params)[0]).type = { kind: 'integer' };
    expect(malformed(loadedReplySchema, hinted).field).toMatch(/^result\.callables\[\d+\]\.params\[0\]\.type\.kind$/);

    expect(malformed(doneReplySchema, { id: 2, done: 'yes' }).field).toBe('done');
  });
});
