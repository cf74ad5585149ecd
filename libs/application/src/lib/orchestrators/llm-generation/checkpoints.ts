import {
  InvalidInputError,
  type CheckpointStore,
  type CoverageReport,
  type FileCoverageData,
  type Logger,
  type ModuleTarget,
  type TestCase,
} from '@test-agent/domain';
import { digest } from '../../services/test-file-assembler/test-file-assembler.service';
import type { GenerationFunnel, SuspectedDefect } from './llm-generation.types';

/** What a run saves after each accepted test, so an interrupted run can be resumed. */
export interface Checkpoint {
  readonly version: 1;
  readonly key: string;
  readonly unit: TestCase[];
  readonly integration: TestCase[];
  /** What the accepted tests cover on their own (never the baseline, which a resume measures again). */
  readonly coverage: FileCoverageData;
  readonly funnel: GenerationFunnel;
  readonly llmCalls: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly suspectedDefects: SuspectedDefect[];
}

/** The counts and tests a checkpoint carries. */
export type CheckpointedTally = Omit<Checkpoint, 'version' | 'key' | 'coverage'>;

/** Where checkpoints live, for messages (the composition puts them under `<out>/.test-agent/checkpoints`). */
const CHECKPOINT_HINT = '<out>/.test-agent/checkpoints';

/** One module's run: its path and the digest of its content (another content never resumes it). */
export function checkpointKey(target: ModuleTarget, source: string): string {
  return `${target.file}#${digest(source)}`;
}

/** Whether a loaded checkpoint has the shape this version writes, for this module content. */
export function isCheckpoint(value: unknown, key: string): value is Checkpoint {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Partial<Checkpoint>;
  const cases = (x: unknown) =>
    Array.isArray(x) &&
    x.every(
      (t) =>
        typeof t === 'object' &&
        t !== null &&
        typeof (t as TestCase).name === 'string' &&
        typeof (t as TestCase).code === 'string' &&
        Array.isArray((t as TestCase).imports),
    );
  const data = c.coverage;
  return (
    c.version === 1 &&
    c.key === key &&
    cases(c.unit) &&
    cases(c.integration) &&
    typeof data === 'object' &&
    data !== null &&
    ['executedLines', 'missingLines', 'executedBranches', 'missingBranches'].every((k) =>
      Array.isArray((data as unknown as Record<string, unknown>)[k]),
    ) &&
    typeof c.funnel === 'object' &&
    Array.isArray(c.suspectedDefects) &&
    [c.llmCalls, c.promptTokens, c.completionTokens].every((n) => typeof n === 'number')
  );
}

/**
 * The checkpoint to resume from: undefined (with a warning) when there is none. Throws `InvalidInputError`
 * (`TA_CHECKPOINT_INVALID`) when the saved value is not one this version wrote for this content.
 */
export async function loadCheckpoint(
  store: CheckpointStore,
  key: string,
  moduleName: string,
  logger: Logger,
): Promise<Checkpoint | undefined> {
  const saved = await store.load(key);
  if (saved === undefined) {
    logger.warn('Nothing to resume: no checkpoint for this module content in this output folder; starting afresh', {
      module: moduleName,
    });
    return undefined;
  }
  if (!isCheckpoint(saved, key)) {
    throw new InvalidInputError(
      'TA_CHECKPOINT_INVALID',
      `The checkpoint of ${moduleName} is not one this version wrote; delete ${CHECKPOINT_HINT} or do not resume`,
      { option: 'resume' },
    );
  }
  return saved;
}

/** Saves the run's tests and counts with what the accepted tests cover (nothing without a store). */
export async function saveCheckpoint(
  store: CheckpointStore | undefined,
  key: string,
  tally: CheckpointedTally,
  acceptedCoverage: CoverageReport,
): Promise<void> {
  if (!store) return;
  const value: Checkpoint = {
    version: 1,
    key,
    unit: tally.unit,
    integration: tally.integration,
    coverage: acceptedCoverage.toData(),
    funnel: tally.funnel,
    llmCalls: tally.llmCalls,
    promptTokens: tally.promptTokens,
    completionTokens: tally.completionTokens,
    suspectedDefects: tally.suspectedDefects,
  };
  await store.save(key, value);
}

/** Puts the tests and counts of a checkpoint into `tally` (a resumed run goes on from them). */
export function restoreTally(tally: CheckpointedTally, saved: Checkpoint): void {
  Object.assign(tally, {
    unit: saved.unit,
    integration: saved.integration,
    funnel: saved.funnel,
    suspectedDefects: saved.suspectedDefects,
    llmCalls: saved.llmCalls,
    promptTokens: saved.promptTokens,
    completionTokens: saved.completionTokens,
  });
}
