/**
 * The training child process: one per concurrency slot, reused across jobs. Training is
 * CPU/GPU-bound for hours; running it here keeps the parent's event loop free to renew the
 * BullMQ job lock (a job trained in the parent's loop stalls after 30 s and runs twice).
 * The parent talks to it over the IPC channel (child-messages.ts); 'stop' aborts the trial's
 * signal, and training checkpoints at the next batch boundary and returns 'stopped'.
 */
import * as tf from '@tensorflow/tfjs';
import type { EpochRecord, ObjectStore } from '@denoise-sweep/shared';
import { ArtifactKeys, checkpointRetentionOf, fetchDataset, openStore, validateTrainJobData } from '@denoise-sweep/shared';
import { selectEngine } from './backend.js';
import type { FromChild, ToChild } from './child-messages.js';
import { faultPlan } from './fault-injection.js';
import { FashionMnistCache } from './fashion-mnist.js';
import { failureKindOf } from './training-failure.js';
import { executeTrial } from './trial-execution.js';
import { describeAdapter } from './webgpu-engine.js';

const send = (message: FromChild) => {
  if (process.connected) process.send?.(message);
};
const log = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => send({ type: 'log', level, message, fields });

// Kept for the life of this process, which trains trial after trial.
const datasetCache = new FashionMnistCache();
const datasetDirs = new Map<string, string>();
/** The running trial's stop; SIGTERM and the parent's 'stop' abort it. */
let running: AbortController | undefined;
/** The running trial's open boundary question, answered by the parent's 'boundary-decision'. */
let boundaryAnswer: ((cut: 'pause' | 'early-stop' | undefined) => void) | undefined;

/** Asks the parent, which holds the rung tables, whether training goes on past this epoch. */
function askAtBoundary(epochsDone: number, history: readonly EpochRecord[]): Promise<'pause' | 'early-stop' | undefined> {
  return new Promise((resolve) => {
    boundaryAnswer = resolve;
    send({ type: 'boundary', epochsDone, history: [...history] });
  });
}

async function train(message: Extract<ToChild, { type: 'train' }>, engine: Awaited<ReturnType<typeof selectEngine>>, faults: ReturnType<typeof faultPlan>): Promise<void> {
  const stop = new AbortController();
  running = stop;
  let store: ObjectStore | undefined;
  try {
    // Validated by the parent too; the child trusts no message it did not check.
    const data = validateTrainJobData(message.data, `job ${message.jobId}`);
    const { trial } = data;
    store = await openStore(message.store);
    const keys = new ArtifactKeys();
    const base = { worker: message.worker, epochs: trial.params.epochs, updated_at: Date.now() };
    send({ type: 'progress', progress: { ...base, phase: 'starting', epoch: 0, batch: 0, batches: 0 } });
    // Fetched and verified by sha256 once per process; later trials reuse the directory.
    let datasetDir = datasetDirs.get(data.dataset.sha256);
    if (!datasetDir) {
      datasetDir = await fetchDataset(store, keys, data.dataset, message.cacheDir);
      datasetDirs.set(data.dataset.sha256, datasetDir);
    }
    let last: { val_loss?: number; psnr?: number; epoch: number } = { epoch: 0 };
    let lastSent = 0;
    let pending = { images: 0, seconds: [] as number[], trainLoss: 0 };
    const flushBatches = () => {
      if (pending.seconds.length === 0) return;
      send({ type: 'batches', ...pending });
      pending = { images: 0, seconds: [], trainLoss: pending.trainLoss };
    };
    const outcome = await executeTrial({
      store,
      keys,
      sweep: data.sweep,
      trial,
      engine,
      datasetDir,
      datasetCache,
      log: (m) => log('info', m),
      signal: stop.signal,
      atEpochBoundary: data.rungs ? askAtBoundary : undefined,
      retention: checkpointRetentionOf(data),
      shares: data.shares,
      onResume: (checkpoint) => send({ type: 'resumed', checkpoint }),
      onCheckpoint: (info) => send({ type: 'checkpoint', bytes: info.bytes, seconds: info.seconds, ok: info.ok }),
      onBatch: (p) => {
        pending.images += p.size;
        pending.seconds.push(p.seconds);
        pending.trainLoss = p.loss;
        const now = Date.now();
        if (now - lastSent >= 1000 || p.batch === p.batches) {
          lastSent = now;
          flushBatches();
          send({ type: 'progress', progress: { ...base, ...last, phase: 'training', epoch: p.epoch - 1, batch: p.batch, batches: p.batches, updated_at: now } });
        }
        return faults.afterBatch(trial.id, p);
      },
      onEpochEnd: (r) => {
        flushBatches();
        send({ type: 'epoch', trainSeconds: r.train_seconds, trainLoss: r.train_loss, valLoss: r.val_loss });
        last = { val_loss: r.val_loss, psnr: r.psnr, epoch: r.epoch };
        send({ type: 'progress', progress: { ...base, ...last, phase: 'uploading', batch: 0, batches: 0, updated_at: Date.now() } });
      },
    });
    flushBatches();
    const { numTensors: tensors, numBytes: tensorBytes } = tf.memory();
    if (outcome.result) send({ type: 'done', status: 'completed', result: outcome.result, tensors, tensorBytes });
    else send({ type: 'done', status: 'stopped', reason: outcome.stopReason ?? 'shutdown', epochsDone: outcome.epochsDone, tensors, tensorBytes });
  } catch (error) {
    send({ type: 'failed', message: (error as Error).message, kind: failureKindOf(error) });
  } finally {
    store?.close();
    running = undefined;
  }
}

async function main(): Promise<void> {
  const faults = faultPlan();
  const engine = await selectEngine();
  send({ type: 'ready', engine: engine.engine, kernels: engine.kernels, device: engine.adapter ? describeAdapter(engine.adapter) : '', skipped: engine.skipped });
  process.on('message', (message: ToChild) => {
    if (message.type === 'stop') {
      running?.abort(message.reason);
      return;
    }
    if (message.type === 'boundary-decision') {
      const answer = boundaryAnswer;
      boundaryAnswer = undefined;
      answer?.(message.cut);
      return;
    }
    if (running) {
      send({ type: 'failed', message: 'training child is busy', kind: 'retryable' });
      return;
    }
    void train(message, engine, faults);
  });
}

// Without a parent there is nobody to report to: exit rather than linger as an orphan.
process.on('disconnect', () => process.exit(0));
// Signals go to the whole process group on Ctrl-C: the parent decides when training stops.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => running?.abort('shutdown'));
main().catch((error: unknown) => {
  send({ type: 'failed', message: `training child could not start: ${(error as Error).message}`, kind: 'retryable' });
  process.exit(1);
});
