import type { ArtifactKeys, CheckpointRetention, EpochRecord, ObjectStore, StopReason, Trial, TrialResult } from '@denoise-sweep/shared';
import type { SelectedEngine } from './backend.js';
import type { CheckpointStoreOptions } from './checkpoint-store.js';
import { CheckpointStore, checkpointName } from './checkpoint-store.js';
import type { FashionMnistCache } from './fashion-mnist.js';
import { loadFashionMnist } from './fashion-mnist.js';
import { renderSampleGrid } from './samples-png.js';
import type { BatchProgress, TrainOutcome } from './trainer.js';
import { trainTrial } from './trainer.js';
import type { EpochMetrics, TrainingParams } from './trainer-state.js';

export interface ExecuteTrialOptions {
  store: ObjectStore;
  keys: ArtifactKeys;
  sweep: string;
  trial: Trial;
  engine: SelectedEngine;
  /** Directory of the Fashion-MNIST IDX files. */
  datasetDir: string;
  log?: (message: string) => void;
  onEpoch?: (record: EpochRecord) => void | Promise<void>;
  onBatch?: (progress: BatchProgress) => void | Promise<void>;
  /** Aborted to stop the trial after a checkpoint, for the signal's reason. */
  signal?: AbortSignal;
  /** Which older checkpoints to delete once a newer one is durable; none: keep every one. */
  retention?: CheckpointRetention;
  onCheckpoint?: CheckpointStoreOptions['onSave'];
  onResume?: (checkpoint: string) => void;
  /** Parsed dataset files kept across trials by a long-lived training process. */
  datasetCache?: FashionMnistCache;
}

export interface TrialOutcome {
  status: TrainOutcome['status'];
  /** Why it stopped (status 'stopped'). */
  stopReason?: StopReason;
  /** Present when the trial completed. */
  result?: TrialResult;
  epochsDone: number;
}

export function toTrainingParams(trial: Trial): TrainingParams {
  const p = trial.params;
  return {
    noiseFactor: p.noise_factor,
    filters: [...p.filters],
    epochs: p.epochs,
    batchSize: p.batch_size,
    learningRate: p.learning_rate,
    seed: p.seed,
    trainLimit: trial.dataset.train_limit,
    testLimit: trial.dataset.test_limit,
  };
}

export function toEpochRecord(m: EpochMetrics): EpochRecord {
  return {
    epoch: m.epoch,
    train_loss: m.trainLoss,
    val_loss: m.valLoss,
    psnr: m.psnr,
    ssim: m.ssim,
    noisy_psnr: m.noisyPsnr,
    train_seconds: m.trainSeconds,
    eval_seconds: m.evalSeconds,
    images_per_sec: m.imagesPerSec,
  };
}

const jsonl = (history: EpochMetrics[]) => history.map((m) => JSON.stringify(toEpochRecord(m))).join('\n') + '\n';

/**
 * Runs one trial against an object store: writes its config, resumes from its newest complete
 * checkpoint, checkpoints and rewrites metrics.jsonl after every epoch (object stores cannot
 * append), and on completion writes samples.png, then result.json last: a trial whose
 * result.json exists is done.
 */
export async function executeTrial(options: ExecuteTrialOptions): Promise<TrialOutcome> {
  const { store, keys, sweep, trial, engine } = options;
  const log = options.log ?? (() => {});
  const started = performance.now();
  const params = toTrainingParams(trial);
  await store.put(keys.trialConfig(sweep, trial.id), JSON.stringify({ sweep, ...trial }, null, 2));
  const data = await loadFashionMnist({ dir: options.datasetDir, trainLimit: params.trainLimit, testLimit: params.testLimit, cache: options.datasetCache });
  const checkpoints = new CheckpointStore(store, keys.checkpoints(sweep, trial.id), { onWarning: log, onSave: options.onCheckpoint });
  const history: EpochMetrics[] = [];
  const outcome = await trainTrial({
    params,
    data,
    checkpoints,
    log,
    onBatch: options.onBatch,
    onResume: options.onResume,
    signal: options.signal,
    retention: options.retention,
    onEpoch: async (metrics) => {
      history.push(metrics);
      await options.onEpoch?.(toEpochRecord(metrics));
    },
  });
  // The trainer's history includes epochs done before a resume; write all of it.
  await store.put(keys.metrics(sweep, trial.id), jsonl(outcome.history.length ? outcome.history : history));
  if (outcome.status !== 'completed' || !outcome.samples) return { status: outcome.status, stopReason: outcome.stopReason, epochsDone: outcome.epochsDone };

  const last = outcome.history.at(-1);
  if (!last) throw new Error(`trial ${trial.id} completed without any epoch`);
  const samplesKey = keys.samples(sweep, trial.id);
  await store.put(samplesKey, renderSampleGrid(outcome.samples, outcome.samples.count));
  const sum = (f: (m: EpochMetrics) => number) => outcome.history.reduce((s, m) => s + f(m), 0);
  const trainSeconds = sum((m) => m.trainSeconds);
  const result: TrialResult = {
    format: 1,
    sweep,
    trial: trial.id,
    params: trial.params,
    dataset: trial.dataset,
    status: 'completed',
    final: {
      train_loss: last.trainLoss,
      val_loss: last.valLoss,
      psnr: last.psnr,
      ssim: last.ssim,
      noisy_psnr: last.noisyPsnr,
    },
    epochs_completed: outcome.epochsDone,
    param_count: outcome.paramCount,
    engine: { name: engine.engine, backend: engine.backend, kernels: engine.kernels },
    timings: {
      train_seconds: trainSeconds,
      eval_seconds: sum((m) => m.evalSeconds),
      wall_seconds: (performance.now() - started) / 1000,
      images_per_sec: (params.trainLimit * outcome.history.length) / trainSeconds,
    },
    resumed_from: outcome.resumedFrom ?? null,
    checkpoint_key: `${keys.checkpoints(sweep, trial.id)}/${checkpointName(outcome.epochsDone)}`,
    samples_key: samplesKey,
    finished_at: new Date().toISOString(),
  };
  await store.put(keys.result(sweep, trial.id), JSON.stringify(result, null, 2));
  return { status: 'completed', result, epochsDone: outcome.epochsDone };
}
