/**
 * What a trial job reported while a real worker trained it: BullMQ's own timestamps (added,
 * processedOn) and every progress update (TrainProgress, stamped by the training child), read
 * through QueueEvents.
 */
import type { QueueJobData, TrainJobData, TrainJobResult, TrainProgress } from '@denoise-sweep/shared';
import { QUEUE_NAME, QUEUE_PREFIX } from '@denoise-sweep/shared';
import { Job, Queue, QueueEvents } from 'bullmq';

export interface TrialTimeline {
  jobId: string;
  /** When the job was added (ms since the epoch). */
  addedAt: number;
  /** When a worker took it (BullMQ's processedOn). */
  startedAt: number;
  /** First progress: the training child has the job (after forking and loading the engine if it was not running). */
  startingAt: number | undefined;
  /** First progress with phase 'training': the first batch is done. */
  firstBatchAt: number | undefined;
  finishedAt: number;
  progress: TrainProgress[];
  result: TrainJobResult;
}

export class TrialTimelines {
  private readonly progress = new Map<string, TrainProgress[]>();

  private constructor(private readonly queue: Queue<QueueJobData>, private readonly events: QueueEvents) {
    events.on('progress', ({ jobId, data }) => {
      if (typeof data !== 'object' || data === null) return;
      const list = this.progress.get(jobId) ?? [];
      list.push(data as TrainProgress);
      this.progress.set(jobId, list);
    });
  }

  static async open(queue: Queue<QueueJobData>, redisUrl: string): Promise<TrialTimelines> {
    const events = new QueueEvents(QUEUE_NAME, { connection: { url: redisUrl }, prefix: QUEUE_PREFIX });
    await events.waitUntilReady();
    return new TrialTimelines(queue, events);
  }

  /** Waits for the job to finish (throws if it failed) and returns its timeline. */
  async waitFor(jobId: string, timeoutMs = 600_000): Promise<TrialTimeline> {
    const job = await Job.fromId<TrainJobData, TrainJobResult>(this.queue, jobId);
    if (!job) throw new Error(`job ${jobId} is not in the queue`);
    const result = await job.waitUntilFinished(this.events, timeoutMs);
    const done = await Job.fromId<TrainJobData, TrainJobResult>(this.queue, jobId);
    if (!done?.processedOn || !done.finishedOn) throw new Error(`job ${jobId} finished without processedOn/finishedOn`);
    const progress = this.progress.get(jobId) ?? [];
    return {
      jobId,
      addedAt: done.timestamp,
      startedAt: done.processedOn,
      startingAt: progress.find((p) => p.phase === 'starting')?.updated_at,
      firstBatchAt: progress.find((p) => p.phase === 'training')?.updated_at,
      finishedAt: done.finishedOn,
      progress,
      result,
    };
  }

  async close(): Promise<void> {
    await this.events.close();
  }
}
