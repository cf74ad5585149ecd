import type { GenerationOptions } from '../jobs/generation-runner';
import { SOURCE_LIMITS } from '../jobs/job-files';

/** One inline source file: its relative path and its text. */
export const INLINE_FILE_SCHEMA = {
  type: 'object',
  required: ['path', 'content'],
  additionalProperties: false,
  properties: { path: { type: 'string', minLength: 1 }, content: { type: 'string' } },
} as const;

const positive = { type: 'number', exclusiveMinimum: 0 } as const;
const OPTION_PROPERTIES = {
  strategy: { type: 'string', enum: ['offline', 'llm', 'hybrid'] },
  timeBudgetSeconds: positive,
  targetCoverage: { type: 'number', minimum: 0, maximum: 100 },
  maxIterations: { type: 'integer', minimum: 1, maximum: 10 },
  maxTokens: { type: 'integer', minimum: 1, maximum: 2_000_000 },
  timeoutSeconds: { type: 'number', exclusiveMinimum: 0, maximum: 3600 },
  seed: { type: 'integer', minimum: 1 },
} as const;
const OPTIONS_SCHEMA = { type: 'object', additionalProperties: false, properties: OPTION_PROPERTIES } as const;
export const OPTION_KEYS = Object.keys(OPTION_PROPERTIES) as (keyof GenerationOptions)[];

export const JSON_BODY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    files: {
      type: 'array',
      maxItems: SOURCE_LIMITS.files,
      items: INLINE_FILE_SCHEMA,
    },
    target: { type: 'string', minLength: 1, description: 'The module or folder among files to test ("." for all)' },
    path: { type: 'string', minLength: 1, description: 'A server-side module or folder (inside serverRoots)' },
    outDir: {
      type: 'string',
      minLength: 1,
      description: 'Where the tests of a server-side path go (inside serverRoots)',
    },
    options: OPTIONS_SCHEMA,
  },
} as const;

// Form fields arrive as strings; the validator coerces the numeric ones.
export const ARCHIVE_BODY_SCHEMA = {
  type: 'object',
  required: ['archive', 'target'],
  additionalProperties: false,
  properties: {
    archive: { description: 'The sources as a .tar.gz or .zip' },
    target: { type: 'string', minLength: 1, description: 'The module or folder in the archive to test ("." for all)' },
    ...OPTION_PROPERTIES,
  },
} as const;

export const JOB_ACCEPTED_SCHEMA = {
  type: 'object',
  properties: { id: { type: 'string' }, state: { type: 'string' } },
} as const;

const integer = { type: 'integer' } as const;
const percent = { type: 'number', description: 'Line+branch coverage, percent' } as const;

/** A module of a job: its state, and for the LLM strategies where its LLM phase is. */
const MODULE_PROGRESS_SCHEMA = {
  type: 'object',
  required: ['module', 'state'],
  properties: {
    module: { type: 'string' },
    state: { type: 'string', enum: ['running', 'done', 'skipped'] },
    tests: { ...integer, description: 'Tests kept, once done' },
    combinedPercent: percent,
    tokens: { ...integer, description: 'LLM tokens spent on the module so far' },
    reason: { type: 'string', description: 'Why the module was skipped' },
    chunks: {
      type: 'object',
      description: 'The LLM phase chunk by chunk (llm and hybrid; the offline engine works on whole modules)',
      required: ['of', 'round', 'done'],
      properties: {
        of: { ...integer, description: "The module's chunks" },
        round: { ...integer, description: 'The LLM round (later rounds revisit the chunks with gaps)' },
        done: { ...integer, description: 'Chunk visits finished, all rounds together' },
        current: {
          type: 'object',
          description: 'The chunk being prompted (1-based) and its symbols',
          properties: { chunk: integer, symbols: { type: 'array', items: { type: 'string' } } },
        },
        stopped: { type: 'string', description: 'Why the LLM phase stopped, once it has' },
      },
    },
  },
} as const;

/** `GET /v1/generations/:id`. */
export const JOB_SCHEMA = {
  type: 'object',
  required: ['id', 'state', 'createdAt', 'progress'],
  properties: {
    id: { type: 'string' },
    state: { type: 'string', enum: ['queued', 'running', 'completed', 'failed', 'cancelled'] },
    createdAt: { type: 'string', format: 'date-time' },
    startedAt: { type: 'string', format: 'date-time' },
    finishedAt: { type: 'string', format: 'date-time' },
    ranBy: { type: 'string', description: 'The replica that ran it (with Redis)' },
    progress: {
      type: 'object',
      required: ['modulesDone'],
      properties: {
        modulesDone: integer,
        modules: { ...integer, description: "The run's modules, once the first started" },
        perModule: { type: 'array', items: MODULE_PROGRESS_SCHEMA, description: 'Each started module, in order' },
      },
    },
    report: {
      type: 'object',
      additionalProperties: true,
      description: 'The generation report (as `generate --json` prints it), once completed',
    },
    error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } },
  },
} as const;
