import * as tf from '@tensorflow/tfjs';
import type { CheckpointRetention, EpochRecord, StopReason, Trial } from '@denoise-sweep/shared';
import { stopReasonOf } from '@denoise-sweep/shared';
import type { CheckpointStore } from './checkpoint-store.js';
import { checkpointName } from './checkpoint-store.js';
import { BackgroundWrites } from './background-writes.js';
import { pruneCheckpoints } from './checkpoint-retention.js';
import type { FashionMnist } from './fashion-mnist.js';
import { denoiseAll, evaluateDenoiser } from './evaluation.js';
import { imageQuality } from './image-quality.js';
import { buildAutoencoder } from './model.js';
import { restoreWeights, serializeModel, WEIGHTS_FILE } from './model-io.js';
import { addGaussianNoise } from './noise.js';
import type { AdamStateHeader } from './resumable-adam.js';
import { ResumableAdam } from './resumable-adam.js';
import { Rng } from './rng.js';
import { trainingForward } from './training-forward.js';
import { TrainingDivergedError } from './training-failure.js';
import type { TrainerState } from './trainer-state.js';
import { MODEL_FILE, OPTIMIZER_DATA_FILE, OPTIMIZER_STATE_FILE, TRAINER_STATE_FILE } from './trainer-state.js';

export interface BatchProgress {
  /** 1-based epoch being trained. */
  epoch: number;
  /** Batches done in this epoch, and how many it has. */
  batch: number;
  batches: number;
  loss: number;
  /** Images in this batch, and the wall time of its step (gather, forward, backward, update). */
  size: number;
  seconds: number;
}

export interface EpochLoopOptions {
  /** What to train: its params, and how many images of each split (trial.dataset). */
  trial: Trial;
  /** The data, already limited to trial.dataset's train_limit / test_limit images. */
  data: FashionMnist;
  /** Where checkpoints go and resume comes from; none: train from scratch, keep nothing. */
  checkpoints?: CheckpointStore;
  /** Which checkpoints to keep once a newer one is saved (the job's checkpointRetentionOf); none: keep all. */
  retention?: CheckpointRetention;
  /**
   * When an epoch's checkpoint is taken and its writes have started (they run while the next
   * epoch trains): its record. On the training path, so keep it short (a progress report).
   */
  onEpochEnd?: (record: EpochRecord) => void;
  /**
   * After each epoch's checkpoint is saved: its record, and every epoch's so far (those before a
   * resume included). It runs, after the save, while the next epoch trains.
   */
  onEpoch?: (record: EpochRecord, history: readonly EpochRecord[]) => void | Promise<void>;
  /** Called after every batch; a returned promise is awaited before the next one. */
  onBatch?: (progress: BatchProgress) => void | Promise<void>;
  /**
   * Epochs at which a trial of the same run with fewer epochs ends (a sibling of this trial
   * that differs only in epochs): at each, after the checkpoint, onMilestone gets what that
   * trial's own training would have produced, since nothing before epoch k depends on the
   * total epoch count (per-epoch shuffles are seeded by (seed, epoch), no schedule).
   */
  milestones?: readonly number[];
  onMilestone?: (milestone: Milestone) => Promise<void>;
  /** Told the checkpoint training resumes from, before it goes on. */
  onResume?: (checkpoint: string) => void;
  /** Checked at every batch boundary; once aborted, training checkpoints where it is and returns 'stopped' with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Asked at every epoch boundary before the next epoch starts (after a resume too), with the
   * epochs done: a returned 'pause' or 'early-stop' ends training there (the boundary's
   * checkpoint is already saved) and returns 'stopped' with that reason.
   */
  atEpochBoundary?: (epochsDone: number, history: readonly EpochRecord[]) => Promise<'pause' | 'early-stop' | undefined>;
  log?: (message: string) => void;
  /** Images per forward pass when evaluating. @defaultValue 500 */
  evalBatchSize?: number;
  /** How many test images go into the samples picture. @defaultValue 10 */
  sampleCount?: number;
}

/** A checkpoint's files by name (see trainer-state.ts). */
export type CheckpointFiles = Record<string, Uint8Array>;

/** The state of a run at a milestone epoch: everything a trial ending there needs. */
export interface Milestone {
  epoch: number;
  history: readonly EpochRecord[];
  /** The checkpoint at that epoch (its trainer-state names this run's trial). */
  files: CheckpointFiles;
  samples: NonNullable<EpochLoopOutcome['samples']>;
  paramCount: number;
}

export interface EpochLoopOutcome {
  status: 'completed' | 'stopped';
  /** Why training stopped early (status 'stopped'). */
  stopReason?: StopReason;
  epochsDone: number;
  history: EpochRecord[];
  /** The checkpoint training resumed from, if any. */
  resumedFrom?: string;
  paramCount: number;
  /** The first sampleCount test images: noisy input, model output, clean target (completed and early-stopped runs). */
  samples?: { noisy: Float32Array; denoised: Float32Array; clean: Float32Array; count: number };
}

const PIXELS = 28 * 28;

/** Copies rows `order[from..to)` of src (rows of `PIXELS` floats) into dst. */
function gather(src: Float32Array, order: Uint32Array, from: number, to: number, dst: Float32Array): void {
  for (let i = from; i < to; i++) {
    const row = order[i]!;
    dst.set(src.subarray(row * PIXELS, (row + 1) * PIXELS), (i - from) * PIXELS);
  }
}

/** Runs the model over images in chunks, in inference mode, and returns all outputs. */
function decodeJson<T>(bytes: Uint8Array | undefined, what: string): T {
  if (!bytes) throw new Error(`checkpoint has no ${what}`);
  return JSON.parse(Buffer.from(bytes).toString('utf8')) as T;
}

/**
 * Trains one trial: the seed's autoencoder on noisy Fashion-MNIST, Adam on MSE, evaluating
 * val MSE, PSNR and SSIM on the test subset after every epoch and checkpointing it.
 *
 * Everything random (initial weights, the noisy copies of train and test, each epoch's
 * shuffle) comes from params.seed, so a trial that is stopped and resumed from a checkpoint
 * ends with the same weights as one that never stopped (on the CPU backends).
 */
export async function trainEpochs(options: EpochLoopOptions): Promise<EpochLoopOutcome> {
  const { trial, data } = options;
  const { params, dataset } = trial;
  const log = options.log ?? (() => {});
  const tensorsBefore = tf.memory().numTensors;
  if (data.train.count !== dataset.train_limit || data.test.count !== dataset.test_limit) {
    throw new Error(`data has ${data.train.count}/${data.test.count} images, the trial asks for ${dataset.train_limit}/${dataset.test_limit}`);
  }
  const model = buildAutoencoder({ filters: params.filters, seed: params.seed });
  // LayerVariable.read() is the tf.Variable itself: gradients and updates go straight to it.
  const named = model.trainableWeights.map((w) => ({ name: w.originalName, variable: w.read() as tf.Variable }));
  const variables = named.map((v) => v.variable);
  const adam = new ResumableAdam(named, { learningRate: params.learning_rate });
  // An epoch's checkpoint, pruning and record (onEpoch) go to the store while the next epoch
  // trains, so the store's latency is off the training's path; they are settled before whatever
  // needs them durable: a rung decision, a stop's checkpoint, a milestone, the end.
  const writes = new BackgroundWrites();
  try {
    const trainNoisy = addGaussianNoise(data.train.images, params.noise_factor, Rng.from(params.seed, 'noise', 'train'));
    const testNoisy = addGaussianNoise(data.test.images, params.noise_factor, Rng.from(params.seed, 'noise', 'test'));
    const noisyQuality = imageQuality(testNoisy, data.test.images, data.test.count, 28);

    let state: TrainerState = {
      format: 2,
      trial,
      epochsDone: 0,
      batchesIntoEpoch: 0,
      lossSumIntoEpoch: 0,
      secondsIntoEpoch: 0,
      shuffleRng: Rng.from(params.seed, 'shuffle', 0).save(),
      history: [],
    };
    let resumedFrom: string | undefined;
    const latest = await options.checkpoints?.latest();
    if (latest) {
      const saved = decodeJson<TrainerState>(latest.files[TRAINER_STATE_FILE], TRAINER_STATE_FILE);
      if (saved.format !== 2) {
        throw new Error(`checkpoint ${latest.name} was written by an older version (format ${String(saved.format)}), which this one does not resume: delete the trial's checkpoints to train it from the start`);
      }
      if (saved.trial.id !== trial.id) {
        throw new Error(`checkpoint ${latest.name} belongs to trial ${saved.trial.id}, not to ${trial.id}`);
      }
      restoreWeights(model, { modelJson: latest.files[MODEL_FILE]!, weightsBin: latest.files[WEIGHTS_FILE]! });
      const optimizerBytes = latest.files[OPTIMIZER_DATA_FILE];
      if (!optimizerBytes) throw new Error(`checkpoint ${latest.name} has no ${OPTIMIZER_DATA_FILE}`);
      const aligned = new Float32Array(new Uint8Array(optimizerBytes).buffer);
      adam.restore(decodeJson<AdamStateHeader>(latest.files[OPTIMIZER_STATE_FILE], OPTIMIZER_STATE_FILE), aligned);
      state = saved;
      resumedFrom = latest.name;
      log(`resuming from checkpoint ${latest.name}: ${saved.epochsDone} epochs and ${saved.batchesIntoEpoch} batches done`);
      options.onResume?.(latest.name);
    }

    const checkpointFiles = async (): Promise<CheckpointFiles> => {
      const serialized = await serializeModel(model);
      const optimizer = await adam.save();
      return {
        [MODEL_FILE]: serialized.modelJson,
        [WEIGHTS_FILE]: serialized.weightsBin,
        [OPTIMIZER_STATE_FILE]: Buffer.from(JSON.stringify(optimizer.header)),
        [OPTIMIZER_DATA_FILE]: new Uint8Array(optimizer.data.buffer, optimizer.data.byteOffset, optimizer.data.byteLength),
        [TRAINER_STATE_FILE]: Buffer.from(JSON.stringify(state)),
      };
    };
    /** Saves the checkpoint taken at `name` and prunes by `history` (the state then: `state` changes in place within an epoch). */
    const storeCheckpoint = async (checkpoints: CheckpointStore, name: string, files: CheckpointFiles, history: readonly EpochRecord[]) => {
      await checkpoints.save(name, files);
      if (options.retention) await pruneCheckpoints(checkpoints, options.retention, history, log);
    };

    const n = data.train.count;
    const batchSize = Math.min(params.batch_size, n);
    const batches = Math.ceil(n / batchSize);
    const xBuffer = new Float32Array(batchSize * PIXELS);
    const yBuffer = new Float32Array(batchSize * PIXELS);
    const lossOf = (x: tf.Tensor4D, y: tf.Tensor4D) => () =>
      tf.mean(tf.squaredDifference(trainingForward(model, x), y)) as tf.Scalar;

    const count = Math.min(options.sampleCount ?? 10, data.test.count);
    const samplesNow = async () => {
      const noisy = testNoisy.slice(0, count * PIXELS);
      return { noisy, denoised: await denoiseAll(model, noisy, count, count), clean: data.test.images.slice(0, count * PIXELS), count };
    };
    while (state.epochsDone < params.epochs) {
      if (state.epochsDone > 0 && state.batchesIntoEpoch === 0 && options.atEpochBoundary) {
        await writes.settle();
        const cut = await options.atEpochBoundary(state.epochsDone, state.history);
        if (cut !== undefined) {
          log(`${cut === 'pause' ? 'paused' : 'stopped early'} at epoch ${state.epochsDone} by early termination`);
          const outcome: EpochLoopOutcome = { status: 'stopped', stopReason: cut, epochsDone: state.epochsDone, history: state.history, resumedFrom, paramCount: model.countParams() };
          if (cut === 'early-stop') outcome.samples = await samplesNow();
          return outcome;
        }
      }
      const epoch = state.epochsDone + 1;
      // The permutation is a pure function of (seed, epoch): a resumed epoch replays it.
      const shuffle = Rng.from(params.seed, 'shuffle', epoch);
      const order = shuffle.permutation(n);
      state.shuffleRng = shuffle.save();
      let started = performance.now() - state.secondsIntoEpoch * 1000;
      for (let b = state.batchesIntoEpoch; b < batches; b++) {
        if (options.signal?.aborted) {
          state.secondsIntoEpoch = (performance.now() - started) / 1000;
          await writes.settle();
          if (options.checkpoints) await storeCheckpoint(options.checkpoints, checkpointName(state.epochsDone, state.batchesIntoEpoch), await checkpointFiles(), state.history);
          log(`stopped at epoch ${epoch}, batch ${b} of ${batches}; checkpoint saved`);
          return { status: 'stopped', stopReason: stopReasonOf(options.signal), epochsDone: state.epochsDone, history: state.history, resumedFrom, paramCount: model.countParams() };
        }
        const stepStarted = performance.now();
        const from = b * batchSize;
        const to = Math.min(n, from + batchSize);
        const size = to - from;
        gather(trainNoisy, order, from, to, xBuffer);
        gather(data.train.images, order, from, to, yBuffer);
        const loss = tf.tidy(() => {
          const x = tf.tensor4d(xBuffer.subarray(0, size * PIXELS), [size, 28, 28, 1]);
          const y = tf.tensor4d(yBuffer.subarray(0, size * PIXELS), [size, 28, 28, 1]);
          const { value, grads } = tf.variableGrads(lossOf(x, y), variables);
          adam.applyGradients(grads);
          return value;
        });
        const lossValue = (await loss.data())[0]!;
        loss.dispose();
        if (!Number.isFinite(lossValue)) throw new TrainingDivergedError(`training diverged: loss is ${lossValue} at epoch ${epoch}, batch ${b + 1}`);
        state.lossSumIntoEpoch += lossValue * size;
        state.batchesIntoEpoch = b + 1;
        await options.onBatch?.({ epoch, batch: b + 1, batches, loss: lossValue, size, seconds: (performance.now() - stepStarted) / 1000 });
        // Let timers, signals and IPC messages (a stop request) in: on the cpu backend every
        // await above resolves as a microtask, so without this a stop waits for the epoch's end.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      const trainSeconds = (performance.now() - started) / 1000;
      started = performance.now();
      const { quality } = await evaluateDenoiser(model, testNoisy, data.test.images, data.test.count, options.evalBatchSize ?? 500);
      const record: EpochRecord = {
        epoch,
        train_loss: state.lossSumIntoEpoch / n,
        val_loss: quality.mse,
        psnr: quality.psnr,
        ssim: quality.ssim,
        noisy_psnr: noisyQuality.psnr,
        train_seconds: trainSeconds,
        eval_seconds: (performance.now() - started) / 1000,
        images_per_sec: n / trainSeconds,
      };
      state = { ...state, epochsDone: epoch, batchesIntoEpoch: 0, lossSumIntoEpoch: 0, secondsIntoEpoch: 0, history: [...state.history, record] };
      const milestone = options.milestones?.includes(epoch) && options.onMilestone;
      // Taken now, before the next epoch's first step changes the weights.
      const files = options.checkpoints || milestone ? await checkpointFiles() : undefined;
      const { history } = state;
      await writes.start(async () => {
        if (files && options.checkpoints) await storeCheckpoint(options.checkpoints, checkpointName(epoch, 0), files, history);
        await options.onEpoch?.(record, history);
      });
      options.onEpochEnd?.(record);
      if (milestone && files) {
        await writes.settle();
        await milestone({ epoch, history, files, samples: await samplesNow(), paramCount: model.countParams() });
      }
    }

    await writes.settle();
    return { status: 'completed', epochsDone: state.epochsDone, history: state.history, resumedFrom, paramCount: model.countParams(), samples: await samplesNow() };
  } catch (error) {
    // Training failed: the writes in flight finish (or fail) before the caller closes the store.
    await writes.drain();
    throw error;
  } finally {
    adam.dispose();
    model.dispose();
    const leaked = tf.memory().numTensors - tensorsBefore;
    if (leaked !== 0) log(`warning: ${leaked} tensors leaked by this trial`);
  }
}
