import type { Logger } from '@test-agent/domain';
import { BullMqGenerationQueue } from './bullmq-generation-queue';
import type { GenerationQueue } from './generation-queue.port';
import { InProcessGenerationQueue, type GenerationQueueDeps } from './in-process-generation-queue';

export interface QueueSettings {
  /** Set: BullMQ on this Redis, shared by every replica; unset: the in-process queue of this server. */
  readonly redisUrl?: string;
  readonly jobStalledSeconds: number;
  /** Where the jobs' private folders live on this replica. */
  readonly jobsRoot: string;
  readonly logger: Logger;
}

/** The generation queue the configuration selects: Redis (`REDIS_URL`) or in-process. */
export function createGenerationQueue(deps: GenerationQueueDeps, settings: QueueSettings): GenerationQueue {
  if (!settings.redisUrl) return new InProcessGenerationQueue(deps);
  return new BullMqGenerationQueue({
    ...deps,
    redisUrl: settings.redisUrl,
    jobsRoot: settings.jobsRoot,
    stalledMs: settings.jobStalledSeconds * 1000,
    logger: settings.logger,
  });
}
