/**
 * Section 'overhead' (issue 3): per-trial overhead of a real `worker run` process against a real
 * redis-server and s3rver.
 * - Job start (BullMQ processedOn) to the first training batch (first 'training' progress), for
 *   a cold dataset cache in a new worker, a warm cache in a new worker, and a warm cache in a
 *   worker whose training child already runs (its second job).
 * - Checkpoint time per epoch as a share of the epoch, for the default net: in the worker
 *   (from progress timestamps and metrics.jsonl) and by timing CheckpointStore.save of that
 *   trial's real checkpoint files against s3rver.
 */
import { join } from 'node:path';
import { enqueueSweep } from '@denoise-sweep/orchestrator';
import type { DatasetRef, EpochRecord, SweepSpec, Trial } from '@denoise-sweep/shared';
import { fashionMnistDir, jobIdFor, publishDataset, sweepId } from '@denoise-sweep/shared';
import { startBenchServices, type BenchServices } from './bench-services.js';
import { seedGridSweep } from './bench-sweep.js';
import { measureCheckpointSaves, type CheckpointSaveResult } from './checkpoint-save.js';
import { median, round } from './stats.js';
import { TrialTimelines, type TrialTimeline } from './trial-timeline.js';
import { openTrialQueue, type TrialQueue } from './trial-queue.js';
import { startWorkerProcess } from './worker-process.js';

const STARTUP_CASES = ['coldCacheNewWorker', 'warmCacheWarmWorker', 'warmCacheNewWorker'] as const;
type StartupCase = (typeof STARTUP_CASES)[number];

const CASE_LABELS: Record<StartupCase, string> = {
  coldCacheNewWorker: 'cold cache, new worker process',
  warmCacheWarmWorker: 'warm cache, same worker (2nd job, training child running)',
  warmCacheNewWorker: 'warm cache, new worker process',
};

interface StartupSample {
  /** Job added -> processedOn. */
  queuedMs: number;
  /** processedOn -> first training progress (first batch done). */
  startToFirstBatchMs: number;
  /** processedOn -> 'starting' progress (the training child has the job). */
  startToChildMs: number | null;
  /** 'starting' -> first batch: dataset fetch/verify, IDX load, model build, first batch. */
  childToFirstBatchMs: number | null;
}

export interface OverheadSectionResult {
  startupTrial: { filters: number[]; batch_size: number; train_limit: number; test_limit: number };
  repetitions: number;
  /** Medians over repetitions, per case. */
  startupMedianMs: Record<StartupCase, StartupSample>;
  startupSamples: Record<StartupCase, StartupSample[]>;
  checkpoint: CheckpointShareResult;
}

interface CheckpointShareResult {
  trial: { filters: number[]; batch_size: number; train_limit: number; test_limit: number; epochs: number };
  /**
   * Per epoch, measured in the worker: last batch progress -> epoch-end progress (sent once the
   * checkpoint is serialized and its writes started), minus eval time: the checkpoint's cost on
   * the training path. The upload, pruning and metrics.jsonl run while the next epoch trains.
   */
  inWorker: { epoch: number; trainSeconds: number; evalSeconds: number; checkpointSeconds: number; share: number }[];
  checkpointBytes: number;
  /** CheckpointStore.save of the same files, timed here against s3rver. */
  save: CheckpointSaveResult;
  /** Train+eval seconds of a full epoch (60,000 train, 10,000 test images) scaled from this trial's per-image times. */
  fullEpochSecondsProjected: number;
  /** Median save time / (full epoch + save). */
  fullEpochShareProjected: number;
  workerImagesPerSec: number;
}

interface Context {
  services: BenchServices;
  tq: TrialQueue;
  timelines: TrialTimelines;
  dataset: DatasetRef;
}

async function runOne(ctx: Context, spec: SweepSpec, trial: Trial): Promise<TrialTimeline> {
  await enqueueSweep({ spec, trials: [trial], store: ctx.services.store, keys: ctx.services.keys, queue: ctx.tq.queue, redis: ctx.tq.redis, dataset: ctx.dataset });
  return ctx.timelines.waitFor(jobIdFor(sweepId(spec), trial.id));
}

function startupSample(t: TrialTimeline): StartupSample {
  if (t.firstBatchAt === undefined) throw new Error(`job ${t.jobId} reported no training progress`);
  return {
    queuedMs: t.startedAt - t.addedAt,
    startToFirstBatchMs: t.firstBatchAt - t.startedAt,
    startToChildMs: t.startingAt === undefined ? null : t.startingAt - t.startedAt,
    childToFirstBatchMs: t.startingAt === undefined ? null : t.firstBatchAt - t.startingAt,
  };
}

function medianSample(samples: readonly StartupSample[]): StartupSample {
  const m = (f: (s: StartupSample) => number | null) => {
    const values = samples.map(f).filter((v): v is number => v !== null);
    return values.length ? Math.round(median(values)) : null;
  };
  return {
    queuedMs: m((s) => s.queuedMs)!,
    startToFirstBatchMs: m((s) => s.startToFirstBatchMs)!,
    startToChildMs: m((s) => s.startToChildMs),
    childToFirstBatchMs: m((s) => s.childToFirstBatchMs),
  };
}

export async function runOverheadSection(quick: boolean, log: (line: string) => void): Promise<OverheadSectionResult> {
  const services = await startBenchServices();
  let tq: TrialQueue | undefined;
  let timelines: TrialTimelines | undefined;
  try {
    log(`redis-server ${services.redis.url}, s3rver ${services.s3.endpoint}`);
    const t0 = performance.now();
    const dataset = await publishDataset(services.store, services.keys, fashionMnistDir());
    log(`dataset published in ${((performance.now() - t0) / 1000).toFixed(2)} s (fashion-mnist ${dataset.sha256.slice(0, 12)})`);
    tq = await openTrialQueue(services.redis.url);
    timelines = await TrialTimelines.open(tq.queue, services.redis.url);
    const ctx: Context = { services, tq, timelines, dataset };

    const repetitions = quick ? 1 : 3;
    const startupTrial = { filters: [8, 16], batch_size: 64, train_limit: 512, test_limit: 128 };
    const { spec, trials } = seedGridSweep('bench-startup', repetitions * 3, { ...startupTrial, epochs: 1 }, { train_limit: startupTrial.train_limit, test_limit: startupTrial.test_limit });
    log(`job start -> first training batch: ${repetitions} repetition(s) of 3 jobs, trial filters ${JSON.stringify(startupTrial.filters)}, batch ${startupTrial.batch_size}, ${startupTrial.train_limit} images`);
    const samples: Record<StartupCase, StartupSample[]> = { coldCacheNewWorker: [], warmCacheWarmWorker: [], warmCacheNewWorker: [] };
    const record = (c: StartupCase, t: TrialTimeline) => {
      const s = startupSample(t);
      samples[c].push(s);
      log(`  ${CASE_LABELS[c]}: ${s.startToFirstBatchMs} ms (child has job after ${s.startToChildMs ?? '?'} ms, then ${s.childToFirstBatchMs ?? '?'} ms to the first batch; queued ${s.queuedMs} ms)`);
    };
    let checkpoint: CheckpointShareResult | undefined;
    for (let rep = 0; rep < repetitions; rep++) {
      const cacheDir = join(services.dir, `cache-${rep}`);
      const first = startWorkerProcess(services.workerEnv(cacheDir));
      try {
        await first.waitForLog(/^worker started$/);
        record('coldCacheNewWorker', await runOne(ctx, spec, trials[rep * 3]!));
        record('warmCacheWarmWorker', await runOne(ctx, spec, trials[rep * 3 + 1]!));
      } finally {
        await first.stop();
      }
      const second = startWorkerProcess(services.workerEnv(cacheDir));
      try {
        await second.waitForLog(/^worker started$/);
        record('warmCacheNewWorker', await runOne(ctx, spec, trials[rep * 3 + 2]!));
        if (rep === repetitions - 1) checkpoint = await measureCheckpointShare(ctx, quick, log);
      } finally {
        await second.stop();
      }
    }
    const startupMedianMs = Object.fromEntries(STARTUP_CASES.map((c) => [c, medianSample(samples[c])])) as Record<StartupCase, StartupSample>;
    log(`job start -> first training batch, median of ${repetitions}: `
      + STARTUP_CASES.map((c) => `${CASE_LABELS[c]} ${startupMedianMs[c].startToFirstBatchMs} ms`).join('; '));
    return { startupTrial, repetitions, startupMedianMs, startupSamples: samples, checkpoint: checkpoint! };
  } finally {
    await timelines?.close();
    await tq?.close();
    await services.stop();
  }
}

/** One default-net trial in the worker, then CheckpointStore.save of its checkpoint timed here. */
async function measureCheckpointShare(ctx: Context, quick: boolean, log: (line: string) => void): Promise<CheckpointShareResult> {
  const trialShape = { filters: [32, 64, 128], batch_size: 256, train_limit: quick ? 256 : 512, test_limit: 256, epochs: quick ? 1 : 2 };
  const { spec, trials } = seedGridSweep('bench-checkpoint', 1, trialShape, { train_limit: trialShape.train_limit, test_limit: trialShape.test_limit });
  const trial = trials[0]!;
  log(`checkpoint share: default-net trial in the worker, ${trialShape.epochs} epoch(s) of ${trialShape.train_limit} images (batch 256), eval on ${trialShape.test_limit}`);
  const timeline = await runOne(ctx, spec, trial);
  const sweep = sweepId(spec);
  const metricsBytes = await ctx.services.store.get(ctx.services.keys.metrics(sweep, trial.id));
  if (!metricsBytes) throw new Error('the checkpoint trial wrote no metrics.jsonl');
  const epochs = Buffer.from(metricsBytes).toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as EpochRecord);
  const inWorker = epochs.map((e) => {
    const lastBatch = timeline.progress.filter((p) => p.phase === 'training' && p.epoch === e.epoch - 1 && p.batch === p.batches).at(-1);
    const epochEnd = timeline.progress.find((p) => p.phase === 'uploading' && p.epoch === e.epoch);
    if (!lastBatch || !epochEnd) throw new Error(`no progress around the end of epoch ${e.epoch}`);
    const checkpointSeconds = Math.max(0, (epochEnd.updated_at - lastBatch.updated_at) / 1000 - e.eval_seconds);
    return {
      epoch: e.epoch,
      trainSeconds: round(e.train_seconds, 3),
      evalSeconds: round(e.eval_seconds, 3),
      checkpointSeconds: round(checkpointSeconds, 3),
      share: round(checkpointSeconds / (e.train_seconds + e.eval_seconds + checkpointSeconds), 4),
    };
  });
  for (const e of inWorker) {
    log(`  in the worker, epoch ${e.epoch}: train ${e.trainSeconds} s, eval ${e.evalSeconds} s, checkpoint on the training path (serialize, and wait for the previous epoch's writes) `
      + `${e.checkpointSeconds} s = ${(100 * e.share).toFixed(1)}% of the epoch`);
  }
  const save = await measureCheckpointSaves(ctx.services.store, ctx.services.keys.checkpoints(sweep, trial.id), quick ? 3 : 7);
  log(`  CheckpointStore.save of that checkpoint (${save.files} files in one object, ${(save.bytes / 1e6).toFixed(2)} MB) to s3rver: median ${save.medianMs} ms over ${save.samplesMs.length}`);
  const last = epochs.at(-1)!;
  const fullEpochSecondsProjected = round(last.train_seconds * (60_000 / trialShape.train_limit) + last.eval_seconds * (10_000 / trialShape.test_limit), 1);
  const saveSeconds = save.medianMs / 1000;
  const fullEpochShareProjected = round(saveSeconds / (fullEpochSecondsProjected + saveSeconds), 6);
  const workerImagesPerSec = round(last.images_per_sec);
  log(`  a full epoch (60,000 + 10,000 eval images) at this trial's per-image times: ~${fullEpochSecondsProjected} s; checkpoint share ~${(100 * fullEpochShareProjected).toFixed(3)}%`);
  return {
    trial: trialShape,
    inWorker,
    checkpointBytes: save.bytes,
    save,
    fullEpochSecondsProjected,
    fullEpochShareProjected,
    workerImagesPerSec,
  };
}
