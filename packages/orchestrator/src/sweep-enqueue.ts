import type { ArtifactKeys, DatasetRef, ObjectStore, SweepSpec, Trial, TrainJobData } from '@denoise-sweep/shared';
import { JOB_NAME, QUEUE_PREFIX, cancelKey, jobIdFor, mapLimit, sweepId, writeTrialConfig } from '@denoise-sweep/shared';
import type { JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { touchSweep } from './sweep-index.js';
import { sweepRecord } from './sweep-record.js';

/** Retries of a failing trial, each resuming from its checkpoint, with exponential backoff. */
export const TRIAL_JOB_OPTIONS: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 10_000 },
  // Results live in the object store; the queue keeps a bounded history.
  removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
  removeOnFail: { age: 30 * 24 * 3600, count: 10_000 },
};

export interface EnqueueOutcome {
  sweep: string;
  total: number;
  /** Trials with a result.json: done, not enqueued again. */
  done: number;
  /** Jobs added now. */
  enqueued: number;
  /** Failed or cancelled jobs put back in the queue. */
  retried: number;
  /** Trials already waiting or running. */
  alreadyQueued: number;
}

export interface EnqueueOptions {
  spec: SweepSpec;
  trials: readonly Trial[];
  store: ObjectStore;
  keys: ArtifactKeys;
  queue: Queue<TrainJobData>;
  redis: Redis;
  dataset: DatasetRef;
}

/**
 * Makes the queue hold exactly the unfinished trials of a sweep, however often it runs and
 * whatever happened before (a lost Redis, a killed orchestrator, two orchestrators at once):
 * - a trial with result.json in the store is done and never enqueued;
 * - a job's id is derived from sweep and trial, so adding it twice is a no-op in BullMQ;
 * - failed or cancelled jobs are retried; waiting, delayed and active ones are left alone;
 * - a completed job without a result (the store lost it) is replaced.
 * sweep.json and each trial's config.json are written first, so the store always describes
 * every trial the queue may hold.
 */
export async function enqueueSweep(options: EnqueueOptions): Promise<EnqueueOutcome> {
  const { spec, trials, store, keys, queue, redis, dataset } = options;
  const sweep = sweepId(spec);
  await store.put(keys.sweepJson(sweep), JSON.stringify(sweepRecord(spec, trials, dataset), null, 2));
  // A new run of the sweep lifts an earlier cancel, and makes the exporter show the sweep.
  await redis.del(cancelKey(QUEUE_PREFIX, sweep));
  await touchSweep(redis, sweep);

  const outcome: EnqueueOutcome = { sweep, total: trials.length, done: 0, enqueued: 0, retried: 0, alreadyQueued: 0 };
  const toAdd: Trial[] = [];
  // One listing of the sweep's keys instead of two existence checks per trial. A result that
  // lands after the listing is harmless: its job finds result.json and returns untrained.
  const stored = new Set(await store.list(`${keys.sweepDir(sweep)}/trials/`));
  await mapLimit(trials, 16, async (trial) => {
    if (stored.has(keys.result(sweep, trial.id))) {
      outcome.done += 1;
    } else {
      const configKey = keys.trialConfig(sweep, trial.id);
      if (!stored.has(configKey)) await writeTrialConfig(store, keys, sweep, trial);
      const job = await queue.getJob(jobIdFor(sweep, trial.id));
      const state = job ? await job.getState() : 'unknown';
      if (job && state === 'failed') {
        await job.retry('failed');
        outcome.retried += 1;
      } else if (job && state === 'completed') {
        await job.remove();
        toAdd.push(trial);
      } else if (job && state !== 'unknown') {
        outcome.alreadyQueued += 1;
      } else {
        toAdd.push(trial);
      }
    }
  });

  for (let i = 0; i < toAdd.length; i += 500) {
    const chunk = toAdd.slice(i, i + 500);
    const jobs = await queue.addBulk(chunk.map((trial) => ({
      name: JOB_NAME,
      data: { format: 1, sweep, trial, dataset, checkpoints: { keep: spec.keep_checkpoints, metric: spec.metric } } satisfies TrainJobData,
      opts: { ...TRIAL_JOB_OPTIONS, jobId: jobIdFor(sweep, trial.id) },
    })));
    outcome.enqueued += jobs.length;
  }
  return outcome;
}
