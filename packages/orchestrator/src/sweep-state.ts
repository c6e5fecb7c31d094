import type { ArtifactKeys, ObjectStore, TrainJobData, TrainProgress, TrialFailure, TrialResult } from '@denoise-sweep/shared';
import { CANCELLED_REASON, QUEUE_PREFIX, cancelKey, jobIdFor, mapLimit, readJson } from '@denoise-sweep/shared';
import type { Redis } from 'ioredis';
import type { Queue } from 'bullmq';
import type { SweepRecord } from './sweep-record.js';

/**
 * What a trial is doing. `done` comes from the store (result.json exists), the rest from the
 * queue: S3 is the source of truth for results, Redis for work in flight.
 */
export type TrialState = 'done' | 'running' | 'waiting' | 'retrying' | 'failed' | 'cancelled' | 'missing';
export const TRIAL_STATES: readonly TrialState[] = ['done', 'running', 'waiting', 'retrying', 'failed', 'cancelled', 'missing'];

export interface TrialStatus {
  id: string;
  state: TrialState;
  result?: TrialResult;
  progress?: TrainProgress;
  /** Why the last attempt failed. */
  failedReason?: string;
  attempts: number;
}

export interface SweepStatus {
  sweep: string;
  record: SweepRecord;
  trials: TrialStatus[];
  counts: Record<TrialState, number>;
}

function isProgress(value: unknown): value is TrainProgress {
  return typeof value === 'object' && value !== null && 'phase' in value && 'epochs' in value;
}

/** Reads every trial's state from the store and, when given, the queue. */
export async function readSweepStatus(
  record: SweepRecord,
  store: ObjectStore,
  keys: ArtifactKeys,
  queue: Queue<TrainJobData> | undefined,
  /** Results already read, by result key: a result.json never changes once written. */
  resultCache?: Map<string, TrialResult>,
  /** The sweep was cancelled: trials without a job were removed by the cancel. */
  cancelled = false,
): Promise<SweepStatus> {
  const sweep = record.id;
  const trials = await mapLimit(record.trial_ids, 16, async (id): Promise<TrialStatus> => {
    const key = keys.result(sweep, id);
    const result = resultCache?.get(key) ?? (await readJson<TrialResult>(store, key));
    if (result) {
      resultCache?.set(key, result);
      return { id, state: 'done', result, attempts: 0 };
    }
    const job = queue ? await queue.getJob(jobIdFor(sweep, id)) : undefined;
    if (!job) {
      // No job (a lost Redis, a removed job): the store may still say why it last failed.
      const failure = await readJson<TrialFailure>(store, keys.failure(sweep, id));
      if (cancelled) return { id, state: 'cancelled', attempts: 0 };
      return failure ? { id, state: 'failed', failedReason: failure.reason, attempts: failure.attempt } : { id, state: 'missing', attempts: 0 };
    }
    const jobState = await job.getState();
    const progress = isProgress(job.progress) ? job.progress : undefined;
    const base = { id, progress, attempts: job.attemptsMade, failedReason: job.failedReason || undefined };
    switch (jobState) {
      case 'active':
        return { ...base, state: 'running' };
      case 'failed':
        return { ...base, state: job.failedReason === CANCELLED_REASON ? 'cancelled' : 'failed' };
      case 'delayed':
        return { ...base, state: 'retrying' };
      case 'completed':
        // Completed in the queue but no result in the store: the store lost it; `sweep` re-runs it.
        return { ...base, state: 'missing' };
      case 'unknown':
        return { id, state: cancelled ? 'cancelled' : 'missing', attempts: 0 };
      default:
        return { ...base, state: 'waiting' };
    }
  });
  const counts = Object.fromEntries(TRIAL_STATES.map((s) => [s, 0])) as Record<TrialState, number>;
  for (const t of trials) counts[t.state] += 1;
  return { sweep, record, trials, counts };
}

/** True while `orchestrator cancel` holds for the sweep (until it is run again). */
export async function sweepCancelled(redis: Redis | undefined, sweep: string): Promise<boolean> {
  return redis ? (await redis.exists(cancelKey(QUEUE_PREFIX, sweep))) > 0 : false;
}

/** True when nothing of the sweep is left to run: every trial done, failed or cancelled. */
export function isSettled(status: SweepStatus): boolean {
  const c = status.counts;
  return c.running + c.waiting + c.retrying + c.missing === 0;
}

/** Fraction of the sweep's training done, counting running trials by their epochs and batches. */
export function sweepFraction(status: SweepStatus): number {
  if (status.trials.length === 0) return 1;
  let done = 0;
  for (const t of status.trials) {
    if (t.state === 'done' || t.state === 'failed' || t.state === 'cancelled') done += 1;
    else if (t.progress && t.progress.epochs > 0) {
      const inEpoch = t.progress.batches > 0 ? t.progress.batch / t.progress.batches : 0;
      done += Math.min(1, (t.progress.epoch + inEpoch) / t.progress.epochs);
    }
  }
  return done / status.trials.length;
}
