import type { ArtifactKeys, CheckpointRetention, EpochRecord, ObjectStore, RunShares, StopReason, Trial, TrialResult } from '@denoise-sweep/shared';
import { writeTrialConfig, writeTrialMetrics } from '@denoise-sweep/shared';
import type { SelectedEngine } from './backend.js';
import type { CheckpointStoreOptions } from './checkpoint-store.js';
import { CheckpointStore, checkpointName } from './checkpoint-store.js';
import type { FashionMnistCache } from './fashion-mnist.js';
import { loadFashionMnist } from './fashion-mnist.js';
import { renderSampleGrid } from './samples-png.js';
import type { BatchProgress, CheckpointFiles, EpochLoopOptions, EpochLoopOutcome, Milestone } from './epoch-loop.js';
import type { TrainerState } from './trainer-state.js';
import { TRAINER_STATE_FILE } from './trainer-state.js';
import { trainEpochs } from './epoch-loop.js';
import { describeAdapter } from './webgpu-engine.js';

export interface ExecuteTrialOptions {
  store: ObjectStore;
  keys: ArtifactKeys;
  sweep: string;
  trial: Trial;
  engine: SelectedEngine;
  /** Directory of the Fashion-MNIST IDX files. */
  datasetDir: string;
  log?: (message: string) => void;
  /** As EpochLoopOptions.onEpochEnd; the checkpoint and metrics.jsonl are written while the next epoch trains. */
  onEpochEnd?: EpochLoopOptions['onEpochEnd'];
  onBatch?: (progress: BatchProgress) => void | Promise<void>;
  /** Aborted to stop the trial after a checkpoint, for the signal's reason. */
  signal?: AbortSignal;
  /** Early termination's question at each epoch boundary (see EpochLoopOptions.atEpochBoundary). */
  atEpochBoundary?: EpochLoopOptions['atEpochBoundary'];
  /** Which older checkpoints to delete once a newer one is durable; none: keep every one. */
  retention?: CheckpointRetention;
  onCheckpoint?: CheckpointStoreOptions['onSave'];
  onResume?: (checkpoint: string) => void;
  /** Shorter trials of the same run to finish on the way, and a finished one to start from. */
  shares?: RunShares;
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

/**
 * Runs one trial against an object store: resumes from its newest complete checkpoint,
 * checkpoints and rewrites metrics.jsonl after every epoch (object stores cannot append), and
 * on completion writes samples.png, then result.json last: a trial whose result.json exists is
 * done. config.json is written first, before anything else of the trial.
 */
export async function executeTrial(options: ExecuteTrialOptions): Promise<TrialOutcome> {
  const { store, keys, sweep, trial } = options;
  const log = options.log ?? (() => {});
  const started = performance.now();
  await writeTrialConfig(store, keys, sweep, trial);
  const { dataset } = trial;
  const data = await loadFashionMnist({ dir: options.datasetDir, trainLimit: dataset.train_limit, testLimit: dataset.test_limit, cache: options.datasetCache });
  const checkpoints = new CheckpointStore(store, keys.checkpoints(sweep, trial.id), { onWarning: log, onSave: options.onCheckpoint });
  await startFromDonor(options, checkpoints);
  const siblings = new Map((options.shares?.milestones ?? []).map((t) => [t.params.epochs, t]));
  const outcome = await trainEpochs({
    milestones: [...siblings.keys()],
    onMilestone: async (milestone) => {
      const sibling = siblings.get(milestone.epoch);
      if (sibling) await finishMilestone(options, sibling, milestone, started);
    },
    trial,
    data,
    checkpoints,
    log,
    onBatch: options.onBatch,
    onResume: options.onResume,
    signal: options.signal,
    atEpochBoundary: options.atEpochBoundary,
    retention: options.retention,
    onEpochEnd: options.onEpochEnd,
    onEpoch: async (_record, history) => {
      // The history includes the epochs done before a resume: all of it, every epoch.
      await writeTrialMetrics(store, keys, sweep, trial.id, history);
    },
  });
  // An early-stopped trial is done too: it gets its samples and a result, with status 'stopped'.
  const stoppedEarly = outcome.status === 'stopped' && outcome.stopReason === 'early-stop';
  if ((outcome.status !== 'completed' && !stoppedEarly) || !outcome.samples) {
    return { status: outcome.status, stopReason: outcome.stopReason, epochsDone: outcome.epochsDone };
  }
  const result = await writeResult(options, trial, {
    history: outcome.history,
    samples: outcome.samples,
    paramCount: outcome.paramCount,
    resumedFrom: outcome.resumedFrom ?? null,
    stoppedAt: stoppedEarly ? outcome.epochsDone : undefined,
    wallSeconds: (performance.now() - started) / 1000,
  });
  return { status: 'completed', stopReason: outcome.stopReason, result, epochsDone: outcome.epochsDone };
}

interface FinishedRun {
  history: readonly EpochRecord[];
  samples: NonNullable<EpochLoopOutcome['samples']>;
  paramCount: number;
  resumedFrom: string | null;
  /** The rung epoch of an early stop. */
  stoppedAt?: number;
  wallSeconds: number;
}

/** Writes a finished trial's samples.png, then its result.json, last: the mark of a done trial. */
async function writeResult(options: ExecuteTrialOptions, trial: Trial, run: FinishedRun): Promise<TrialResult> {
  const { store, keys, sweep, engine } = options;
  const last = run.history.at(-1);
  if (!last) throw new Error(`trial ${trial.id} completed without any epoch`);
  const samplesKey = keys.samples(sweep, trial.id);
  await store.put(samplesKey, renderSampleGrid(run.samples, run.samples.count));
  const sum = (f: (r: EpochRecord) => number) => run.history.reduce((s, r) => s + f(r), 0);
  const trainSeconds = sum((r) => r.train_seconds);
  const result: TrialResult = {
    format: 1,
    sweep,
    trial: trial.id,
    params: trial.params,
    dataset: trial.dataset,
    status: run.stoppedAt === undefined ? 'completed' : 'stopped',
    ...(run.stoppedAt === undefined ? {} : { stopped_at: run.stoppedAt }),
    final: { train_loss: last.train_loss, val_loss: last.val_loss, psnr: last.psnr, ssim: last.ssim, noisy_psnr: last.noisy_psnr },
    epochs_completed: run.history.length,
    param_count: run.paramCount,
    engine: { name: engine.engine, backend: engine.backend, kernels: engine.kernels, ...(engine.adapter ? { device: describeAdapter(engine.adapter) } : {}) },
    timings: {
      train_seconds: trainSeconds,
      eval_seconds: sum((r) => r.eval_seconds),
      wall_seconds: run.wallSeconds,
      images_per_sec: (trial.dataset.train_limit * run.history.length) / trainSeconds,
    },
    resumed_from: run.resumedFrom,
    checkpoint_key: new CheckpointStore(store, keys.checkpoints(sweep, trial.id)).key(checkpointName(run.history.length)),
    samples_key: samplesKey,
    finished_at: new Date().toISOString(),
  };
  await store.put(keys.result(sweep, trial.id), JSON.stringify(result, null, 2));
  return result;
}

/** A checkpoint's files with its trainer state handed to another trial of the same run. */
function filesFor(files: CheckpointFiles, trial: Trial): CheckpointFiles {
  const state = JSON.parse(Buffer.from(files[TRAINER_STATE_FILE]!).toString('utf8')) as TrainerState;
  return { ...files, [TRAINER_STATE_FILE]: Buffer.from(JSON.stringify({ ...state, trial })) };
}

/**
 * A trial that ends at a milestone of a longer sibling's run: its checkpoint, metrics,
 * samples and result, as if it had been trained on its own (which would give the same bytes).
 */
async function finishMilestone(options: ExecuteTrialOptions, sibling: Trial, milestone: Milestone, started: number): Promise<void> {
  const { store, keys, sweep } = options;
  if (await store.exists(keys.result(sweep, sibling.id))) return;
  await writeTrialConfig(store, keys, sweep, sibling);
  const checkpoints = new CheckpointStore(store, keys.checkpoints(sweep, sibling.id), { onWarning: options.log });
  await checkpoints.save(checkpointName(milestone.epoch), filesFor(milestone.files, sibling));
  await writeTrialMetrics(store, keys, sweep, sibling.id, milestone.history);
  await writeResult(options, sibling, {
    history: milestone.history, samples: milestone.samples, paramCount: milestone.paramCount, resumedFrom: null,
    wallSeconds: (performance.now() - started) / 1000,
  });
  options.log?.(`trial ${sibling.id} (${sibling.params.epochs} epochs) finished as the epoch-${milestone.epoch} milestone of this run`);
}

/**
 * A trial with no checkpoint of its own starts from its finished shorter sibling's final
 * checkpoint, if there is one: the same state its own first epochs would reach.
 */
async function startFromDonor(options: ExecuteTrialOptions, checkpoints: CheckpointStore): Promise<void> {
  const donor = options.shares?.donor;
  if (!donor || (await checkpoints.latest())) return;
  const source = new CheckpointStore(options.store, options.keys.checkpoints(options.sweep, donor.trial), { onWarning: options.log });
  const loaded = await source.load(checkpointName(donor.epochs)).catch(() => undefined);
  if (!loaded) {
    options.log?.(`the checkpoint of trial ${donor.trial} at epoch ${donor.epochs} is gone: training from the start`);
    return;
  }
  await checkpoints.save(checkpointName(donor.epochs), filesFor(loaded.files, options.trial));
  options.log?.(`starting from trial ${donor.trial}'s epoch-${donor.epochs} checkpoint: the same run, ${donor.epochs} epochs done`);
}
