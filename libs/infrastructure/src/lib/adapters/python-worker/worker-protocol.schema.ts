import { z } from 'zod';
import type {
  AttributeDescription,
  CallPlan,
  CallResult,
  CallableInfo,
  ChangedArgument,
  ExceptionDescription,
  ModuleInterface,
  ModuleStructure,
  PlanExpr,
  TypeHint,
  ValueDescription,
  ValueSummary,
} from '@test-agent/domain';

// The search worker's protocol (`test_agent_worker/protocol.py`): JSON lines, one message a line. Every object is
// strict (a field the schema does not name is an error), so a renamed field fails here rather than reaching the
// search as `undefined`. The wire names are the domain's; each schema is checked against its domain type
// (`satisfies z.ZodType<...>`). `__fixtures__/protocol-messages.json` holds an example of every message, checked by
// this file's spec and by the worker's pytest tests.

const line = z.number().int();
const count = z.number().int().nonnegative();
const branch = z.tuple([line, line]);
/** A Python identifier (letters of any script): a module attribute's name. */
const identifier = z.string().regex(/^[\p{L}_][\p{L}\p{N}_]*$/u);
/** A module-level name and the constant a plan sets it to (an optional import's fallback). */
const modulePatchSchema = z.strictObject({ name: identifier, source: z.string() });
/** The name of an environment variable: no `=`, no NUL, not empty. */
const envName = z.string().regex(/^[^=\0]+$/);
/** A number as `JSON.parse` gives it: an integer constant past 1.8e308 comes back as Infinity. */
const parsedNumber = z.number().or(z.literal([Infinity, -Infinity]));

// ------------------------------------------------------------------------------------------- the module interface

export const typeHintSchema: z.ZodType<TypeHint> = z.lazy(() =>
  z.discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('any'),
      hint: z.string().optional(),
      groups: z.array(z.string()).optional(),
      groupCount: count.optional(),
      make: z.string().optional(),
    }),
    z.strictObject({ kind: z.literal('none') }),
    z.strictObject({
      kind: z.literal('builtin'),
      name: z.enum(['int', 'float', 'str', 'bool', 'bytes', 'complex', 'none']),
    }),
    z.strictObject({ kind: z.enum(['list', 'set']), item: typeHintSchema }),
    z.strictObject({
      kind: z.literal('tuple'),
      items: z.array(typeHintSchema).optional(),
      item: typeHintSchema.optional(),
    }),
    z.strictObject({ kind: z.literal('dict'), key: typeHintSchema, value: typeHintSchema }),
    z.strictObject({ kind: z.literal('union'), options: z.array(typeHintSchema) }),
    z.strictObject({ kind: z.literal('literal'), values: z.array(z.string()) }),
    z.strictObject({ kind: z.literal('enum'), ref: z.string(), members: z.array(z.string()) }),
    z.strictObject({ kind: z.literal('class'), ref: z.string() }),
    z.strictObject({ kind: z.literal('callable') }),
  ]),
);

const parameterSchema = z.strictObject({
  name: z.string(),
  kind: z.enum(['positional', 'either', 'varargs', 'keyword', 'varkw']),
  type: typeHintSchema,
  hasDefault: z.boolean(),
  default: z.string().nullable(),
  defaultIsNone: z.boolean(),
});

const span = z.tuple([line, line]).nullable();

/** Each kind of callable has the fields `inspection.py` writes for it. */
export const callableSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('function'),
    name: z.string(),
    qualname: z.string(),
    params: z.array(parameterSchema),
    span,
    isGenerator: z.boolean(),
    isAsync: z.boolean(),
  }),
  z.strictObject({
    kind: z.literal('class'),
    name: z.string(),
    qualname: z.string(),
    params: z.array(parameterSchema),
    constructible: z.boolean(),
    span,
    isEnum: z.boolean(),
    isException: z.boolean(),
    isDataclass: z.boolean(),
    members: z.array(z.string()),
    iterable: z.boolean(),
    bases: z.array(z.string()),
    fields: z.array(
      z.strictObject({ name: z.string(), type: z.enum(['int', 'float', 'str', 'bool', 'bytes', 'any']) }),
    ),
  }),
  z.strictObject({
    kind: z.literal('property'),
    name: z.string(),
    qualname: z.string(),
    owner: z.string(),
    params: z.array(parameterSchema),
    span,
  }),
  z.strictObject({
    kind: z.enum(['method', 'staticmethod', 'classmethod']),
    name: z.string(),
    qualname: z.string(),
    owner: z.string(),
    params: z.array(parameterSchema),
    span,
    isGenerator: z.boolean(),
    isAsync: z.boolean(),
  }),
]) satisfies z.ZodType<CallableInfo>;

const literalSchema = z.strictObject({
  source: z.string(),
  kind: z.enum(['str', 'int', 'float', 'bytes']),
  value: z.union([z.string(), parsedNumber]).optional(),
});

const patternSchema = z.strictObject({
  pattern: z.string(),
  flags: z.number().int(),
  subjects: z.array(z.string()),
  name: z.string().optional(),
  matches: z.array(z.string()),
  nearMisses: z.array(z.string()),
  groups: count,
  groupNames: z.array(z.string()),
});

const armSchema = z.enum(['true', 'false', 'enter', 'complete', 'raise', 'except', 'else', 'call']);

/** `structure.py`'s description of where each statement sits (the report's "why not covered"). */
export const moduleStructureSchema = z.strictObject({
  statements: z.array(
    z.strictObject({
      line,
      scope: z.string(),
      guard: z.tuple([line, armSchema]).optional(),
      previous: line.optional(),
      deadAfter: line.optional(),
      main: z.literal(true).optional(),
    }),
  ),
  scopes: z.array(
    z.strictObject({ qualname: z.string(), kind: z.enum(['function', 'class']), line, body: line.optional() }),
  ),
  headers: z.array(
    z.strictObject({
      line,
      kind: z.enum(['if', 'main', 'while', 'for', 'try', 'except', 'case']),
      text: z.string(),
    }),
  ),
  leaving: z.array(z.strictObject({ line, text: z.string() })),
  arcs: z.array(z.tuple([line, line, armSchema])),
}) satisfies z.ZodType<ModuleStructure>;

export const moduleInterfaceSchema = z.strictObject({
  callables: z.array(callableSchema),
  externalNames: z.record(z.string(), z.string()),
  literals: z.record(z.string(), z.array(literalSchema)),
  moduleLiterals: z.array(literalSchema),
  patterns: z.record(z.string(), z.array(patternSchema)),
  optionalImports: z.array(modulePatchSchema.extend({ users: z.array(z.string()) })).optional(),
  argvReaders: z.array(z.string()).optional(),
  envReaders: z.array(z.strictObject({ name: envName, users: z.array(z.string()) })).optional(),
  constants: z.array(z.strictObject({ name: z.string(), type: z.string() })),
  doctests: z.array(
    z.strictObject({
      qualname: z.string(),
      examples: z.array(z.strictObject({ source: z.string(), want: z.string() })),
    }),
  ),
  paramHints: z.record(z.string(), z.record(z.string(), z.array(typeHintSchema))),
  shape: z.strictObject({ statements: z.array(line), branches: z.array(branch) }),
  baseline: z.strictObject({ lines: z.array(line), branches: z.array(branch) }),
  importEffects: z.array(z.string()).optional(),
  structure: moduleStructureSchema,
}) satisfies z.ZodType<ModuleInterface>;

// ------------------------------------------------------------------------------------------------ call results

const attributeSchema = z.strictObject({
  name: z.string(),
  expr: z.string(),
  float: z.boolean(),
  approx: z.boolean(),
  via: z.enum(['str', 'str-items']).optional(),
}) satisfies z.ZodType<AttributeDescription>;

export const changedArgumentSchema = z.strictObject({
  position: count.nullable(),
  keyword: z.string().nullable(),
  expr: z.string(),
  float: z.boolean(),
  approx: z.boolean(),
  via: z.literal('getvalue').optional(),
}) satisfies z.ZodType<ChangedArgument>;

export const valueSummarySchema = z.strictObject({
  tail: z.string().optional(),
  counts: z.array(z.tuple([z.string(), count])).optional(),
  first: z.string().optional(),
  last: z.string().optional(),
  firstLen: count.optional(),
  lastLen: count.optional(),
  sum: z.string().optional(),
  sumFloat: z.boolean().optional(),
  itemLengths: count.optional(),
  entries: z.array(z.tuple([z.string(), z.string()])).optional(),
}) satisfies z.ZodType<ValueSummary>;

export const valueDescriptionSchema = z.strictObject({
  type: z.string(),
  module: z.string(),
  repr: z.string(),
  expr: z.string().nullable(),
  canon: z.string(),
  float: z.boolean(),
  approx: z.boolean(),
  nan: z.boolean(),
  len: count.nullable(),
  attrs: z.array(attributeSchema),
  parts: z.array(z.string()),
  summary: valueSummarySchema.nullable().optional(),
}) satisfies z.ZodType<ValueDescription>;

export const exceptionDescriptionSchema = z.strictObject({
  type: z.string(),
  module: z.string(),
  message: z.string(),
  path: z.string().nullable(),
  inModule: z.boolean(),
  explicit: z.boolean(),
  line: line.nullable(),
}) satisfies z.ZodType<ExceptionDescription>;

export const callResultSchema = z.strictObject({
  lines: z.array(line),
  branches: z.array(branch),
  status: z.enum(['ok', 'raised', 'timeout', 'invalid', 'crashed']),
  value: valueDescriptionSchema.optional(),
  listified: z.boolean().optional(),
  step: count.optional(),
  exception: exceptionDescriptionSchema.optional(),
  receiverAttrs: z.array(attributeSchema).optional(),
  changedArgs: z.array(changedArgumentSchema).optional(),
  stdout: z.string().optional(),
  sideEffects: z.array(z.string()).optional(),
  outsideEffects: z.array(z.string()).optional(),
  machineDependent: z.boolean().optional(),
  doctest: z.strictObject({ attempted: count, failed: count }).optional(),
  error: z.string().optional(),
}) satisfies z.ZodType<CallResult>;

// ------------------------------------------------------------------------------------------- messages and requests

const id = z.number().int();

/** What the worker says once it is up, before any request. */
export const readyMessageSchema = z.strictObject({ ready: z.literal(true), pid: z.number().int() });
/** The reply to `load`: the module's interface. */
export const loadedReplySchema = z.strictObject({ id, result: moduleInterfaceSchema });
/** One reply per plan of an `execute` request, in plan order (`index` counts from 0). */
export const planResultReplySchema = z.strictObject({ id, index: count, result: callResultSchema });
/** The last reply to `execute`. */
export const doneReplySchema = z.strictObject({ id, done: z.literal(true) });
/** The reply to `ping`. */
export const pongReplySchema = z.strictObject({ id, result: z.strictObject({ pong: z.literal(true) }) });
/** A request that failed (the import raised, an unknown op, a malformed request); `trace` is Python's traceback. */
export const errorReplySchema = z.strictObject({ id, error: z.string(), trace: z.string().optional() });

export const planExprSchema: z.ZodType<PlanExpr> = z.lazy(() =>
  z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('lit'), source: z.string() }),
    z.strictObject({ kind: z.literal('ref'), path: z.string() }),
    z.strictObject({ kind: z.literal('var'), index: count }),
    z.strictObject({ kind: z.literal('attr'), target: planExprSchema, name: z.string() }),
    z.strictObject({
      kind: z.literal('call'),
      callee: planExprSchema,
      args: z.array(planExprSchema),
      keywords: z.array(z.tuple([z.string(), planExprSchema])),
    }),
    z.strictObject({ kind: z.literal('list'), iterable: planExprSchema }),
  ]),
);

const callPlanSchema = z.union([
  z.strictObject({
    steps: z.array(planExprSchema),
    receiver: count.optional(),
    patches: z.array(modulePatchSchema).optional(),
    argv: planExprSchema.optional(),
    env: z.array(z.strictObject({ name: envName, value: z.string().nullable() })).optional(),
  }),
  z.strictObject({ doctest: z.string() }),
]) satisfies z.ZodType<CallPlan>;

/** Imports the module under test: `importRoot` goes first on `sys.path`, `file` must be what the import loads. */
export interface LoadRequest {
  readonly id: number;
  readonly op: 'load';
  readonly importRoot: string;
  readonly moduleName: string;
  readonly file: string;
}

/** Runs plans in order, each under `timeoutMs` (milliseconds). */
export interface ExecuteRequest {
  readonly id: number;
  readonly op: 'execute';
  readonly plans: readonly CallPlan[];
  readonly timeoutMs: number;
}

export interface PingRequest {
  readonly id: number;
  readonly op: 'ping';
}

export type WorkerRequest = LoadRequest | ExecuteRequest | PingRequest;

export const workerRequestSchema = z.discriminatedUnion('op', [
  z.strictObject({ id, op: z.literal('load'), importRoot: z.string(), moduleName: z.string(), file: z.string() }),
  z.strictObject({ id, op: z.literal('execute'), plans: z.array(callPlanSchema), timeoutMs: z.number() }),
  z.strictObject({ id, op: z.literal('ping') }),
]) satisfies z.ZodType<WorkerRequest>;
