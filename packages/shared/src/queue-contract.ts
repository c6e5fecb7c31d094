import type { DatasetRef } from './dataset-distribution.js';
import { parseWith, SLOT_JOB_SCHEMA, TRAIN_JOB_SCHEMA } from './job-schema.js';
import type { EarlyTerminate } from './early-terminate.js';
import type { SearchPayload } from './suggestion-record.js';
import { DEFAULT_KEEP_CHECKPOINTS, DEFAULT_METRIC, type KeepCheckpoints, type SweepMetric } from './sweep-spec.js';
import type { Trial } from './trial.js';

/**
 * The contract between the orchestrator, which enqueues trials, and workers, which train them.
 * One BullMQ job per trial; its id is derived from the sweep and trial ids, so enqueueing the
 * same trial twice is a no-op and a trial is never trained twice at once.
 */
export const QUEUE_NAME = 'denoise-sweep-trials';
export const JOB_NAME = 'train';

/** The payload of a training job. Workers validate all of it before use. */
export interface TrainJobData {
  format: 1;
  sweep: string;
  trial: Trial;
  dataset: DatasetRef;
  /** Which checkpoints the worker keeps; absent (jobs enqueued before it existed): DEFAULT_CHECKPOINT_RETENTION. */
  checkpoints?: CheckpointRetention;
  /** The sweep's early termination and the metric it compares trials by; absent: train every epoch. */
  rungs?: RungPolicy;
  /** Trials of the sweep that differ from this one only in epochs: finished on the way, or started from. */
  shares?: RunShares;
  /** An adaptive sweep's trial: the slot it was suggested for, and the sweep's search. */
  slot?: number;
  search?: SearchPayload;
}

/**
 * An adaptive sweep's job before its trial is known: one per run_cap, each a *slot*. The
 * worker that takes it suggests the trial (suggestForSlot), stores it in the job's data, and
 * from then on the job is a TrainJobData like any other (with slot and search kept).
 */
export interface SlotJobData extends Omit<TrainJobData, 'trial'> {
  trial?: Trial;
  slot: number;
  search: SearchPayload;
}

/** What the queue holds: trials, and the slots of adaptive sweeps. */
export type QueueJobData = TrainJobData | SlotJobData;

/**
 * Epochs are a budget, not a retraining: trials that differ only in epochs are one training
 * run. The longest unfinished one is enqueued and finishes the shorter ones (milestones) when
 * it passes their epoch counts; it starts from the final checkpoint of the longest finished
 * shorter one (the donor), if any.
 */
export interface RunShares {
  milestones: Trial[];
  donor?: { trial: string; epochs: number };
}

/** What a worker needs to take rung decisions for a trial. */
interface RungPolicy {
  early_terminate: EarlyTerminate;
  metric: SweepMetric;
}

/** The sweep's keep_checkpoints, with the metric that picks the best epoch. */
export interface CheckpointRetention {
  keep: KeepCheckpoints;
  metric: SweepMetric;
}

/** What a job without `checkpoints` gets: the sweep defaults (best by val_loss, minimized). */
export const DEFAULT_CHECKPOINT_RETENTION: Readonly<CheckpointRetention> = Object.freeze({
  keep: DEFAULT_KEEP_CHECKPOINTS,
  metric: DEFAULT_METRIC,
});

/** The retention a (validated) job asks for, its default filled in. */
export function checkpointRetentionOf(data: Pick<TrainJobData, 'checkpoints'>): CheckpointRetention {
  const retention = data.checkpoints ?? DEFAULT_CHECKPOINT_RETENTION;
  return { keep: retention.keep, metric: { ...retention.metric } };
}

/** What a worker reports while training, through job.updateProgress. */
export interface TrainProgress {
  /** starting: fetching the dataset, loading a checkpoint; uploading: evaluating and checkpointing after an epoch. */
  phase: 'starting' | 'training' | 'uploading';
  /** Who trains it: host and pid. */
  worker: string;
  /** Epochs done and to do. */
  epoch: number;
  epochs: number;
  /** Batches done in the current epoch, and how many it has. */
  batch: number;
  batches: number;
  /** The last epoch's metrics, once there is one. */
  val_loss?: number;
  psnr?: number;
  updated_at: number;
}

/** What a completed job returns (the full result is result.json in the store). */
export interface TrainJobResult {
  result_key: string;
  val_loss: number;
  psnr: number;
  ssim: number;
  epochs_completed: number;
}

/** The BullMQ job id of a trial: sweep ids are slugs without dots, trial ids are hex. */
export function jobIdFor(sweep: string, trialId: string): string {
  return `${sweep}.${trialId}`;
}

/** The failure reason a cancelled trial is failed with; `status` shows it as cancelled. */
export const CANCELLED_REASON = 'cancelled by orchestrator cancel';

/** Redis key whose presence asks workers to stop every running trial of a sweep. */
export function cancelKey(queuePrefix: string, sweep: string): string {
  return `${queuePrefix}:${QUEUE_NAME}:cancelled:${sweep}`;
}

/** BullMQ's default key prefix. */
export const QUEUE_PREFIX = 'bull';

/**
 * Validates a job payload received from the queue before anything touches it (TRAIN_JOB_SCHEMA):
 * a malformed or hostile job fails without retry.
 * @throws SweepSpecError listing every problem with its key path
 */
export function validateTrainJobData(value: unknown, source = 'job payload'): TrainJobData {
  return parseWith(TRAIN_JOB_SCHEMA, value, source) as TrainJobData;
}

/** Validates a slot job's payload (its trial may not be suggested yet). @throws SweepSpecError */
export function validateSlotJobData(value: unknown, source = 'job payload'): SlotJobData {
  return parseWith(SLOT_JOB_SCHEMA, value, source) as SlotJobData;
}
