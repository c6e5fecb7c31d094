/**
 * The training child process: one per concurrency slot, reused across jobs. Training is
 * CPU/GPU-bound for hours; running it here keeps the parent's event loop free to renew the
 * BullMQ job lock (a job trained in the parent's loop stalls after 30 s and runs twice).
 * The parent talks to it over the IPC channel (child-messages.ts); 'stop' makes training
 * checkpoint at the next batch boundary and return 'stopped'.
 */
import * as tf from '@tensorflow/tfjs';
import { ArtifactKeys, fetchDataset, validateTrial } from '@denoise-sweep/shared';
import { S3ObjectStore } from '@denoise-sweep/shared/s3';
import { selectEngine } from './backend.js';
import type { FromChild, ToChild } from './child-messages.js';
import { FashionMnistCache } from './fashion-mnist.js';
import { runTrial } from './trial-runner.js';

const send = (message: FromChild) => {
  if (process.connected) process.send?.(message);
};
const log = (level: 'info' | 'warn' | 'error', message: string) => send({ type: 'log', level, message });

let stopRequested = false;
// Kept for the life of this process, which trains trial after trial.
const datasetCache = new FashionMnistCache();
const datasetDirs = new Map<string, string>();
/**
 * Fault injection for tests and drills, comma-separated in DENOISE_SWEEP_INJECT_FAULTS:
 * - `nan-loss:<trial id>`: that trial's loss is reported as NaN, as a diverging trial's would be;
 * - `batch-delay:<ms>`: every batch waits that long after it, so that tests which signal a
 *   worker mid-epoch do not depend on how fast the kernels are.
 */
const injected = new Set((process.env.DENOISE_SWEEP_INJECT_FAULTS ?? '').split(',').map((f) => f.trim()).filter(Boolean));
const batchDelayMs = Math.max(0, ...[...injected].map((f) => /^batch-delay:(\d+)$/.exec(f)).map((m) => (m ? Number(m[1]) : 0)));
let busy = false;

async function train(message: Extract<ToChild, { type: 'train' }>, engine: Awaited<ReturnType<typeof selectEngine>>): Promise<void> {
  busy = true;
  stopRequested = false;
  try {
    const { data } = message;
    const trial = validateTrial(data.trial, `job ${message.jobId}`);
    const store = new S3ObjectStore({ ...message.s3, forcePathStyle: true });
    const keys = new ArtifactKeys(message.s3.prefix);
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
    const outcome = await runTrial({
      store,
      keys,
      sweep: data.sweep,
      trial,
      engine,
      datasetDir,
      datasetCache,
      log: (m) => log('info', m),
      shouldStop: () => stopRequested,
      onResume: (checkpoint) => send({ type: 'resumed', checkpoint }),
      onCheckpoint: (info) => send({ type: 'checkpoint', bytes: info.bytes, seconds: info.seconds, ok: info.ok }),
      onBatch: (p) => {
        if (injected.has(`nan-loss:${trial.id}`)) throw new Error(`training diverged: loss is NaN at epoch ${p.epoch}, batch ${p.batch} (fault injected by DENOISE_SWEEP_INJECT_FAULTS)`);
        pending.images += p.size;
        pending.seconds.push(p.seconds);
        pending.trainLoss = p.loss;
        const now = Date.now();
        if (now - lastSent >= 1000 || p.batch === p.batches) {
          lastSent = now;
          flushBatches();
          send({ type: 'progress', progress: { ...base, ...last, phase: 'training', epoch: p.epoch - 1, batch: p.batch, batches: p.batches, updated_at: now } });
        }
        return batchDelayMs > 0 ? new Promise<void>((resolve) => setTimeout(resolve, batchDelayMs)) : undefined;
      },
      onEpoch: (r) => {
        flushBatches();
        send({ type: 'epoch', trainSeconds: r.train_seconds, trainLoss: r.train_loss, valLoss: r.val_loss });
        last = { val_loss: r.val_loss, psnr: r.psnr, epoch: r.epoch };
        send({ type: 'progress', progress: { ...base, ...last, phase: 'uploading', batch: 0, batches: 0, updated_at: Date.now() } });
      },
    });
    flushBatches();
    const { numTensors: tensors, numBytes: tensorBytes } = tf.memory();
    if (outcome.status === 'completed' && outcome.result) send({ type: 'done', status: 'completed', result: outcome.result, tensors, tensorBytes });
    else send({ type: 'done', status: 'stopped', epochsDone: outcome.epochsDone, tensors, tensorBytes });
  } catch (error) {
    const err = error as Error;
    // Invalid payloads and diverged training fail for good; anything else (store down, crash) is retried.
    const unrecoverable = err.name === 'SweepSpecError' || /training diverged/.test(err.message);
    send({ type: 'failed', message: err.message, unrecoverable });
  } finally {
    busy = false;
  }
}

async function main(): Promise<void> {
  const engine = await selectEngine(process.env.TFJS_BACKEND);
  send({ type: 'ready', engine: engine.engine, kernels: engine.kernels, skipped: engine.skipped });
  process.on('message', (message: ToChild) => {
    if (message.type === 'stop') {
      stopRequested = true;
      return;
    }
    if (busy) {
      send({ type: 'failed', message: 'training child is busy', unrecoverable: false });
      return;
    }
    void train(message, engine);
  });
}

// Without a parent there is nobody to report to: exit rather than linger as an orphan.
process.on('disconnect', () => process.exit(0));
// Signals go to the whole process group on Ctrl-C: the parent decides when training stops.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {
  stopRequested = true;
});
main().catch((error: unknown) => {
  send({ type: 'failed', message: `training child could not start: ${(error as Error).message}`, unrecoverable: false });
  process.exit(1);
});
