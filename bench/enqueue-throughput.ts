/**
 * Time to enqueue a big random sweep through enqueueSweep (what `orchestrator sweep` does:
 * sweep.json, one listing of the sweep's keys, then a config.json per new trial in the store, then
 * queue.addBulk in chunks of 500), and separately the Redis part alone: the same jobs added with
 * queue.addBulk under another sweep id.
 */
import { enqueueSweep, TRIAL_JOB_OPTIONS } from '@denoise-sweep/orchestrator';
import type { DatasetRef, TrainJobData } from '@denoise-sweep/shared';
import { JOB_NAME, jobIdFor, sweepId } from '@denoise-sweep/shared';
import type { BenchServices } from './bench-services.js';
import { benchSweep } from './bench-sweep.js';
import { round } from './stats.js';
import type { TrialQueue } from './trial-queue.js';

export interface EnqueueThroughputResult {
  trials: number;
  expandSeconds: number;
  /** enqueueSweep end to end against redis-server and s3rver. */
  enqueueSweepSeconds: number;
  enqueueSweepTrialsPerSec: number;
  enqueued: number;
  /** Store requests enqueueSweep made on a new sweep: sweep.json, one listing (one page: nothing stored yet), one config.json per trial. */
  storeRequests: number;
  /** queue.addBulk of the same number of jobs alone (chunks of 500, same options). */
  redisOnlySeconds: number;
  redisOnlyTrialsPerSec: number;
  /** Redis memory used by the queue after both enqueues (2 x trials jobs), MB. */
  redisUsedMemoryMb: number;
}

export async function measureEnqueue(services: BenchServices, tq: TrialQueue, dataset: DatasetRef, trials: number, log: (line: string) => void): Promise<EnqueueThroughputResult> {
  const file = {
    name: 'bench-enqueue',
    method: 'random',
    run_cap: trials,
    parameters: {
      noise_factor: { distribution: 'uniform', min: 0.05, max: 1.5 },
      filters: { values: [[8, 16], [16, 32], [32, 64, 128], 16, 32] },
      learning_rate: { distribution: 'log_uniform_values', min: 0.0001, max: 0.01 },
      batch_size: { values: [64, 128, 256] },
      epochs: { distribution: 'int_uniform', min: 5, max: 50 },
      seed: { distribution: 'int_uniform', min: 0, max: 1_000_000 },
    },
    dataset: { train_limit: 60_000, test_limit: 10_000 },
  };
  let t0 = performance.now();
  const { spec, trials: expanded } = benchSweep(file);
  const expandSeconds = (performance.now() - t0) / 1000;
  log(`random sweep, run_cap ${trials}: parsed and expanded in ${expandSeconds.toFixed(2)} s`);

  t0 = performance.now();
  const outcome = await enqueueSweep({ spec, trials: expanded, store: services.store, keys: services.keys, queue: tq.queue, redis: tq.redis, dataset });
  const enqueueSweepSeconds = (performance.now() - t0) / 1000;
  log(`  enqueueSweep (store checks + ${outcome.enqueued} config.json to s3rver + addBulk to Redis): ${enqueueSweepSeconds.toFixed(2)} s = ${Math.round(trials / enqueueSweepSeconds)} trials/s`);

  const other = `${sweepId(spec)}-redis-only`;
  t0 = performance.now();
  for (let i = 0; i < expanded.length; i += 500) {
    await tq.queue.addBulk(expanded.slice(i, i + 500).map((trial) => ({
      name: JOB_NAME,
      data: { format: 1, sweep: other, trial, dataset } satisfies TrainJobData,
      opts: { ...TRIAL_JOB_OPTIONS, jobId: jobIdFor(other, trial.id) },
    })));
  }
  const redisOnlySeconds = (performance.now() - t0) / 1000;
  log(`  the Redis part alone (queue.addBulk of ${trials} jobs in chunks of 500): ${redisOnlySeconds.toFixed(2)} s = ${Math.round(trials / redisOnlySeconds)} trials/s`);
  const info = await tq.redis.info('memory');
  const usedBytes = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
  return {
    trials,
    expandSeconds: round(expandSeconds, 3),
    enqueueSweepSeconds: round(enqueueSweepSeconds, 3),
    enqueueSweepTrialsPerSec: Math.round(trials / enqueueSweepSeconds),
    enqueued: outcome.enqueued,
    storeRequests: 2 + outcome.enqueued,
    redisOnlySeconds: round(redisOnlySeconds, 3),
    redisOnlyTrialsPerSec: Math.round(trials / redisOnlySeconds),
    redisUsedMemoryMb: round(usedBytes / 1e6, 1),
  };
}
