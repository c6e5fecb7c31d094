import type { DatasetRef } from './dataset-distribution.js';
import { SweepSpecError } from './errors.js';
import {
  DEFAULT_KEEP_CHECKPOINTS, DEFAULT_METRIC, KEEP_CHECKPOINTS, METRIC_GOALS, METRIC_NAMES,
  type KeepCheckpoints, type SweepMetric,
} from './sweep-spec.js';
import type { Trial } from './trial.js';
import { validateTrial } from './trial-validate.js';

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
  phase: 'starting' | 'training' | 'evaluating' | 'uploading' | 'stopping';
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
  /** The checkpoint this attempt resumed from. */
  resumed_from?: string | null;
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

const SWEEP_ID = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const SHA256 = /^[0-9a-f]{64}$/;

/**
 * Validates a job payload received from the queue before anything touches it: a malformed or
 * hostile job (huge widths, 10^9 epochs, a sweep id with '..' or '/') must fail without retry.
 * @throws SweepSpecError listing every problem
 */
export function validateTrainJobData(value: unknown, source = 'job payload'): TrainJobData {
  const issues: string[] = [];
  const obj = (typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {}) as Record<string, unknown>;
  if (obj !== value) issues.push(`must be an object, found ${value === null ? 'null' : typeof value}`);
  const allowed = ['format', 'sweep', 'trial', 'dataset', 'checkpoints'];
  for (const key of Object.keys(obj)) if (!allowed.includes(key)) issues.push(`${key}: unknown key (allowed: ${allowed.join(', ')})`);
  if (obj.format !== 1) issues.push(`format: must be 1, found ${JSON.stringify(obj.format)}`);
  if (typeof obj.sweep !== 'string' || !SWEEP_ID.test(obj.sweep)) issues.push(`sweep: must be a sweep id (1-64 of a-z, 0-9, '-'), found ${JSON.stringify(obj.sweep)?.slice(0, 80)}`);
  const dataset = obj.dataset as Record<string, unknown> | undefined;
  if (typeof dataset !== 'object' || dataset === null || dataset.name !== 'fashion-mnist' || typeof dataset.sha256 !== 'string' || !SHA256.test(dataset.sha256)) {
    issues.push(`dataset: must be {name: 'fashion-mnist', sha256: 64 hex digits}, found ${JSON.stringify(dataset)?.slice(0, 120)}`);
  }
  const checkpoints = obj.checkpoints === undefined ? undefined : checkRetention(obj.checkpoints, issues);
  let trial: Trial | undefined;
  try {
    trial = validateTrial(obj.trial, `${source}: trial`);
  } catch (error) {
    issues.push(error instanceof SweepSpecError ? error.message : String(error));
  }
  if (issues.length > 0 || !trial) {
    throw new SweepSpecError(issues.map((message) => ({ source, path: [], message })));
  }
  const data: TrainJobData = { format: 1, sweep: obj.sweep as string, trial, dataset: { name: 'fashion-mnist', sha256: (dataset as { sha256: string }).sha256 } };
  if (checkpoints !== undefined) data.checkpoints = checkpoints;
  return data;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const oneOf = <T extends string>(value: unknown, allowed: readonly T[]): value is T => typeof value === 'string' && (allowed as readonly string[]).includes(value);

/** `checkpoints` of a job: exactly {keep, metric: {name, goal}}, or an issue. */
function checkRetention(value: unknown, issues: string[]): CheckpointRetention | undefined {
  const metric = isRecord(value) ? value.metric : undefined;
  if (!isRecord(value) || Object.keys(value).some((k) => k !== 'keep' && k !== 'metric') || !oneOf(value.keep, KEEP_CHECKPOINTS)
    || !isRecord(metric) || Object.keys(metric).some((k) => k !== 'name' && k !== 'goal')
    || !oneOf(metric.name, METRIC_NAMES) || !oneOf(metric.goal, METRIC_GOALS)) {
    issues.push(`checkpoints: must be {keep: ${KEEP_CHECKPOINTS.join(' | ')}, metric: {name: ${METRIC_NAMES.join(' | ')}, goal: ${METRIC_GOALS.join(' | ')}}}, `
      + `found ${JSON.stringify(value)?.slice(0, 120)}`);
    return undefined;
  }
  return { keep: value.keep, metric: { name: metric.name, goal: metric.goal } };
}
