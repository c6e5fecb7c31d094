/**
 * Synthetic workers for the scale benchmark: K BullMQ workers in one process, each with its own
 * Redis connection and the queue options of the product's worker, whose trials train nothing
 * but do every other thing a trial does, through the product's own code: read result.json, write
 * config.json, look for a checkpoint to resume from, then per epoch wait the epoch's duration
 * (reporting progress every second), save a checkpoint (CheckpointStore, one object) and prune
 * the older ones (keep_checkpoints: best, the default), rewrite metrics.jsonl and report
 * progress, those writes running while the next epoch does (BackgroundWrites, as in the
 * product's epoch loop); last, samples.png and result.json. Each trial's record says where its
 * time beyond its epochs went (TrialPhases).
 *
 *   node --import tsx bench/scale-worker.ts CONFIG_JSON
 *
 * Prints 'ready' once every worker is connected; on SIGTERM closes them and prints one JSON line
 * (ScaleWorkerReport).
 */
import type { EpochRecord, QueueJobData, TrainJobData, TrialResult } from '@denoise-sweep/shared';
import { ArtifactKeys, QUEUE_NAME, QUEUE_PREFIX, readJson, writeTrialConfig, writeTrialMetrics } from '@denoise-sweep/shared';
import { S3ObjectStore } from '@denoise-sweep/shared/s3';
import { BackgroundWrites, CheckpointStore, checkpointName, pruneCheckpoints } from '@denoise-sweep/worker';
import { Worker } from 'bullmq';
import { countingStore } from './counting-store.js';
import { wallClockMs } from './stats.js';

export interface ScaleWorkerConfig {
  redisUrl: string;
  s3: { endpoint: string; bucket: string; accessKeyId: string; secretAccessKey: string };
  workers: number;
  epochSeconds: number;
  /** Bytes of each checkpoint's weights.bin (the other 5 files are small). */
  checkpointBytes: number;
}

/** One trial as a synthetic worker ran it. */
export interface ScaleJobRecord {
  worker: string;
  job: string;
  /** Wall clock, ms: when the job was added, when this worker started and finished it. */
  addedAt: number;
  startedAt: number;
  finishedAt: number;
  /** When this worker finished its previous job (null for its first). */
  previousFinishedAt: number | null;
  phases: TrialPhases;
}

/**
 * Where a trial's time beyond its epochs went, ms: before its first epoch (result.json read,
 * config.json, the checkpoint listing), its epochs beyond their set duration (late timers,
 * waiting for the previous epoch's writes), after its last epoch (its last
 * writes, samples.png, result.json).
 */
export interface TrialPhases {
  startMs: number;
  epochsOverMs: number;
  endMs: number;
}

export interface ScaleWorkerReport {
  pid: number;
  jobs: ScaleJobRecord[];
  storeRequests: number;
  /** CPU seconds (user + system) of this process since it was ready. */
  cpuSeconds: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as ScaleWorkerConfig;
const keys = new ArtifactKeys();
const store = new S3ObjectStore({ endpoint: config.s3.endpoint, bucket: config.s3.bucket, region: 'us-east-1', credentials: { accessKeyId: config.s3.accessKeyId, secretAccessKey: config.s3.secretAccessKey } });
const { store: counted, requests: storeRequests } = countingStore(store);
const jobs: ScaleJobRecord[] = [];
const weights = new Uint8Array(config.checkpointBytes);
const small = (text: string) => new TextEncoder().encode(text);

async function runTrial(data: TrainJobData, report: (p: object) => void): Promise<TrialPhases> {
  const { sweep, trial } = data;
  const t0 = performance.now();
  const phases: TrialPhases = { startMs: 0, epochsOverMs: 0, endMs: 0 };
  if (await readJson<TrialResult>(counted, keys.result(sweep, trial.id))) return phases;
  await writeTrialConfig(counted, keys, sweep, trial);
  const checkpoints = new CheckpointStore(counted, keys.checkpoints(sweep, trial.id));
  // The epoch loop's resume check: nothing to resume here, yet the store is listed as the product lists it.
  await checkpoints.latest();
  const t1 = performance.now();
  phases.startMs = t1 - t0;
  const history: EpochRecord[] = [];
  const writes = new BackgroundWrites();
  for (let epoch = 1; epoch <= trial.params.epochs; epoch++) {
    // Training: progress at most once a second, as the product's worker reports it.
    const until = Date.now() + config.epochSeconds * 1000;
    for (let left = until - Date.now(); left > 0; left = until - Date.now()) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000, left)));
      if (Date.now() < until) report({ epoch: epoch - 1, phase: 'training' });
    }
    // Improving every epoch, as trials mostly do: the newest checkpoint is the best one.
    history.push({ epoch, train_loss: 0.05, val_loss: 0.04 / epoch, psnr: 15 + epoch, ssim: 0.4, noisy_psnr: 9, train_seconds: config.epochSeconds, eval_seconds: 0, images_per_sec: 0 });
    const records = [...history];
    await writes.start(async () => {
      await checkpoints.save(checkpointName(epoch), {
        'model.json': small('{"synthetic":true}'),
        'weights.bin': weights,
        'optimizer.json': small('{}'),
        'optimizer.bin': small(''),
        'trainer-state.json': small(`{"epoch":${epoch}}`),
      });
      await pruneCheckpoints(checkpoints, { keep: 'best', metric: { name: 'psnr', goal: 'maximize' } }, records);
      await writeTrialMetrics(counted, keys, sweep, trial.id, records);
    });
    report({ epoch, phase: 'uploading' });
  }
  const t2 = performance.now();
  phases.epochsOverMs = t2 - t1 - trial.params.epochs * config.epochSeconds * 1000;
  await writes.settle();
  await counted.put(keys.samples(sweep, trial.id), small('synthetic'));
  const last = history.at(-1)!;
  const seconds = trial.params.epochs * config.epochSeconds;
  const result: TrialResult = {
    format: 1,
    sweep,
    trial: trial.id,
    params: trial.params,
    dataset: trial.dataset,
    status: 'completed',
    final: { train_loss: last.train_loss, val_loss: last.val_loss, psnr: last.psnr, ssim: last.ssim, noisy_psnr: last.noisy_psnr },
    epochs_completed: history.length,
    param_count: 0,
    engine: { name: 'synthetic', backend: 'none', kernels: 'none' },
    timings: { train_seconds: seconds, eval_seconds: 0, wall_seconds: seconds, images_per_sec: 0 },
    resumed_from: null,
    checkpoint_key: checkpoints.key(checkpointName(history.length)),
    samples_key: keys.samples(sweep, trial.id),
    finished_at: new Date().toISOString(),
  };
  await counted.put(keys.result(sweep, trial.id), JSON.stringify(result, null, 2));
  phases.endMs = performance.now() - t2;
  return phases;
}

const workers = Array.from({ length: config.workers }, (_, i) => {
  const name = `${process.pid}-${i}`;
  let previousFinishedAt: number | null = null;
  const worker = new Worker<QueueJobData>(QUEUE_NAME, async (job) => {
    const startedAt = wallClockMs();
    // Progress goes out without waiting for Redis, as the product's worker reports it.
    const report = (p: object) => {
      job.updateProgress(p).catch((err: Error) => process.stderr.write(`scale worker ${name}: progress: ${err.message}\n`));
    };
    const phases = await runTrial(job.data as TrainJobData, report);
    const finishedAt = wallClockMs();
    jobs.push({ worker: name, job: job.id ?? '', addedAt: job.timestamp, startedAt, finishedAt, previousFinishedAt, phases });
    previousFinishedAt = finishedAt;
  }, {
    connection: { url: config.redisUrl, maxRetriesPerRequest: null },
    prefix: QUEUE_PREFIX,
    concurrency: 1,
    // As the product's worker.
    lockDuration: 30_000,
    stalledInterval: 30_000,
    maxStalledCount: 5,
  });
  worker.on('error', (err) => process.stderr.write(`scale worker ${name}: ${err.message}\n`));
  return worker;
});

const close = () => {
  Promise.all(workers.map((w) => w.close())).then(() => {
    store.close();
    const cpu = process.cpuUsage(cpuAtReady);
    process.stdout.write(`${JSON.stringify({ pid: process.pid, jobs, storeRequests: storeRequests(), cpuSeconds: (cpu.user + cpu.system) / 1e6 } satisfies ScaleWorkerReport)}\n`);
    process.exit(0);
  }, () => process.exit(1));
};
process.on('SIGTERM', close);
process.on('disconnect', close);
await Promise.all(workers.map((w) => w.waitUntilReady()));
const cpuAtReady = process.cpuUsage();
process.stdout.write('ready\n');
