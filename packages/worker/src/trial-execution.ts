import type { ArtifactKeys, CheckpointRetention, EpochRecord, ObjectStore, StopReason, Trial, TrialResult } from '@denoise-sweep/shared';
import type { SelectedEngine } from './backend.js';
import type { CheckpointStoreOptions } from './checkpoint-store.js';
import { CheckpointStore, checkpointName } from './checkpoint-store.js';
import type { FashionMnistCache } from './fashion-mnist.js';
import { loadFashionMnist } from './fashion-mnist.js';
import { renderSampleGrid } from './samples-png.js';
import type { BatchProgress, EpochLoopOptions, EpochLoopOutcome } from './epoch-loop.js';
import { trainEpochs } from './epoch-loop.js';

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
  /** Early termination's question at each epoch boundary (see EpochLoopOptions.atEpochBoundary). */
  atEpochBoundary?: EpochLoopOptions['atEpochBoundary'];
  /** Which older checkpoints to delete once a newer one is durable; none: keep every one. */
  retention?: CheckpointRetention;
  onCheckpoint?: CheckpointStoreOptions['onSave'];
  onResume?: (checkpoint: string) => void;
  /** Parsed dataset files kept across trials by a long-lived training process. */
  datasetCache?: FashionMnistCache;
}

export interface TrialOutcome {
  status: EpochLoopOutcome['status'];
  /** Why it stopped (status 'stopped'). */
  stopReason?: StopReason;
  /** Present when the trial completed. */
  result?: TrialResult;
  epochsDone: number;
}

const jsonl = (history: readonly EpochRecord[]) => history.map((r) => JSON.stringify(r)).join('\n') + '\n';

/**
 * Runs one trial against an object store: resumes from its newest complete checkpoint,
 * checkpoints and rewrites metrics.jsonl after every epoch (object stores cannot append), and
 * on completion writes samples.png, then result.json last: a trial whose result.json exists is
 * done. Its config.json is the enqueuer's to write (writeTrialConfig), before the trial runs.
 */
export async function executeTrial(options: ExecuteTrialOptions): Promise<TrialOutcome> {
  const { store, keys, sweep, trial, engine } = options;
  const log = options.log ?? (() => {});
  const started = performance.now();
  const { dataset } = trial;
  const data = await loadFashionMnist({ dir: options.datasetDir, trainLimit: dataset.train_limit, testLimit: dataset.test_limit, cache: options.datasetCache });
  const checkpoints = new CheckpointStore(store, keys.checkpoints(sweep, trial.id), { onWarning: log, onSave: options.onCheckpoint });
  const outcome = await trainEpochs({
    trial,
    data,
    checkpoints,
    log,
    onBatch: options.onBatch,
    onResume: options.onResume,
    signal: options.signal,
    atEpochBoundary: options.atEpochBoundary,
    retention: options.retention,
    onEpoch: async (record, history) => {
      // The history includes the epochs done before a resume: all of it, every epoch.
      await store.put(keys.metrics(sweep, trial.id), jsonl(history));
      await options.onEpoch?.(record);
    },
  });
  // An early-stopped trial is done too: it gets its samples and a result, with status 'stopped'.
  const stoppedEarly = outcome.status === 'stopped' && outcome.stopReason === 'early-stop';
  if ((outcome.status !== 'completed' && !stoppedEarly) || !outcome.samples) {
    return { status: outcome.status, stopReason: outcome.stopReason, epochsDone: outcome.epochsDone };
  }

  const last = outcome.history.at(-1);
  if (!last) throw new Error(`trial ${trial.id} completed without any epoch`);
  const samplesKey = keys.samples(sweep, trial.id);
  await store.put(samplesKey, renderSampleGrid(outcome.samples, outcome.samples.count));
  const sum = (f: (r: EpochRecord) => number) => outcome.history.reduce((s, r) => s + f(r), 0);
  const trainSeconds = sum((r) => r.train_seconds);
  const result: TrialResult = {
    format: 1,
    sweep,
    trial: trial.id,
    params: trial.params,
    dataset: trial.dataset,
    status: stoppedEarly ? 'stopped' : 'completed',
    ...(stoppedEarly ? { stopped_at: outcome.epochsDone } : {}),
    final: {
      train_loss: last.train_loss,
      val_loss: last.val_loss,
      psnr: last.psnr,
      ssim: last.ssim,
      noisy_psnr: last.noisy_psnr,
    },
    epochs_completed: outcome.epochsDone,
    param_count: outcome.paramCount,
    engine: { name: engine.engine, backend: engine.backend, kernels: engine.kernels },
    timings: {
      train_seconds: trainSeconds,
      eval_seconds: sum((r) => r.eval_seconds),
      wall_seconds: (performance.now() - started) / 1000,
      images_per_sec: (dataset.train_limit * outcome.history.length) / trainSeconds,
    },
    resumed_from: outcome.resumedFrom ?? null,
    checkpoint_key: `${keys.checkpoints(sweep, trial.id)}/${checkpointName(outcome.epochsDone)}`,
    samples_key: samplesKey,
    finished_at: new Date().toISOString(),
  };
  await store.put(keys.result(sweep, trial.id), JSON.stringify(result, null, 2));
  return { status: 'completed', stopReason: outcome.stopReason, result, epochsDone: outcome.epochsDone };
}
