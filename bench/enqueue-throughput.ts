/**
 * Time to enqueue a big random sweep through enqueueSweep (what `orchestrator sweep` does:
 * sweep.json, one listing of the sweep's keys, one pipelined existence check of its jobs, then
 * queue.addBulk in chunks of 500), on each store the product runs on (s3rver and the local
 * file store), a new sweep and the same sweep enqueued again (every job already queued), and
 * beside it the Redis part alone: the same jobs added with queue.addBulk under another sweep
 * id, the floor no enqueue can go below.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enqueueSweep, TRIAL_JOB_OPTIONS } from '@denoise-sweep/orchestrator';
import type { DatasetRef, ObjectStore, SweepSpec, Trial, TrainJobData } from '@denoise-sweep/shared';
import { FileObjectStore, JOB_NAME, jobIdFor, sweepId } from '@denoise-sweep/shared';
import type { BenchServices } from './bench-services.js';
import { benchSweep } from './bench-sweep.js';
import { countingStore } from './counting-store.js';
import { round } from './stats.js';
import type { TrialQueue } from './trial-queue.js';

/** The target of issue 14: 10,000 trials in under 2 s on either store. */
const TARGET_SECONDS = 2;

interface StoreEnqueue {
  store: 's3rver' | 'file';
  /** enqueueSweep of the new sweep. */
  seconds: number;
  trialsPerSec: number;
  enqueued: number;
  /** Requests enqueueSweep made to the store. */
  storeRequests: number;
  /** The same sweep enqueued again: every job already queued, none added. */
  againSeconds: number;
  againEnqueued: number;
  againAlreadyQueued: number;
  /** seconds over the Redis part alone. */
  overRedisOnly: number;
}

export interface EnqueueThroughputResult {
  trials: number;
  /** The sweep enqueued on s3rver, left in the queue (waiting) with the others. */
  s3SweepId: string;
  /** Parsing and expanding the sweep file (what `orchestrator sweep` does before enqueueing). */
  expandSeconds: number;
  stores: StoreEnqueue[];
  /** queue.addBulk of the same number of jobs alone (chunks of 500, same options). */
  redisOnlySeconds: number;
  redisOnlyTrialsPerSec: number;
  /** Every store's new-sweep enqueue under TARGET_SECONDS (the trials must be 10,000 for it to count). */
  targetMet: boolean;
  /** Redis memory used by the queue after every enqueue (3 x trials jobs), MB. */
  redisUsedMemoryMb: number;
}

export async function measureEnqueue(services: BenchServices, tq: TrialQueue, dataset: DatasetRef, trials: number, log: (line: string) => void): Promise<EnqueueThroughputResult> {
  const file = (name: string) => ({
    name,
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
  });
  let t0 = performance.now();
  const s3Sweep = benchSweep(file('bench-enqueue-s3'));
  const expandSeconds = (performance.now() - t0) / 1000;
  log(`random sweep, run_cap ${trials}: parsed and expanded in ${expandSeconds.toFixed(2)} s`);

  const other = `${sweepId(s3Sweep.spec)}-redis-only`;
  t0 = performance.now();
  for (let i = 0; i < s3Sweep.trials.length; i += 500) {
    await tq.queue.addBulk(s3Sweep.trials.slice(i, i + 500).map((trial) => ({
      name: JOB_NAME,
      data: { format: 1, sweep: other, trial, dataset } satisfies TrainJobData,
      opts: { ...TRIAL_JOB_OPTIONS, jobId: jobIdFor(other, trial.id) },
    })));
  }
  const redisOnlySeconds = (performance.now() - t0) / 1000;
  log(`  the Redis part alone (queue.addBulk of ${trials} jobs in chunks of 500): ${redisOnlySeconds.toFixed(2)} s = ${Math.round(trials / redisOnlySeconds)} trials/s`);

  const fileDir = mkdtempSync(join(tmpdir(), 'denoise-bench-enqueue-'));
  const stores: StoreEnqueue[] = [];
  try {
    const runs: { name: StoreEnqueue['store']; store: ObjectStore; sweep: { spec: SweepSpec; trials: Trial[] } }[] = [
      { name: 's3rver', store: services.store, sweep: s3Sweep },
      { name: 'file', store: new FileObjectStore(fileDir), sweep: benchSweep(file('bench-enqueue-file')) },
    ];
    for (const run of runs) {
      const { store, requests } = countingStore(run.store);
      const options = { spec: run.sweep.spec, trials: run.sweep.trials, store, keys: services.keys, queue: tq.queue, redis: tq.redis, dataset };
      t0 = performance.now();
      const outcome = await enqueueSweep(options);
      const seconds = (performance.now() - t0) / 1000;
      const storeRequests = requests();
      t0 = performance.now();
      const again = await enqueueSweep(options);
      const againSeconds = (performance.now() - t0) / 1000;
      stores.push({
        store: run.name,
        seconds: round(seconds, 3),
        trialsPerSec: Math.round(trials / seconds),
        enqueued: outcome.enqueued,
        storeRequests,
        againSeconds: round(againSeconds, 3),
        againEnqueued: again.enqueued,
        againAlreadyQueued: again.alreadyQueued,
        overRedisOnly: round(seconds / redisOnlySeconds, 2),
      });
      log(`  enqueueSweep on ${run.name}: ${seconds.toFixed(2)} s = ${Math.round(trials / seconds)} trials/s (${outcome.enqueued} jobs, ${storeRequests} store requests; `
        + `${(seconds / redisOnlySeconds).toFixed(2)}x the Redis part alone); enqueued again: ${againSeconds.toFixed(2)} s, ${again.enqueued} added, ${again.alreadyQueued} already queued`);
    }
  } finally {
    rmSync(fileDir, { recursive: true, force: true });
  }
  const targetMet = trials >= 10_000 && stores.every((s) => s.seconds < TARGET_SECONDS);
  log(`  target, 10,000 trials in under ${TARGET_SECONDS} s on either store: ${targetMet ? 'met' : trials < 10_000 ? 'not measured (quick)' : 'NOT met'}`);
  const info = await tq.redis.info('memory');
  const usedBytes = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
  return {
    trials,
    s3SweepId: sweepId(s3Sweep.spec),
    expandSeconds: round(expandSeconds, 3),
    stores,
    redisOnlySeconds: round(redisOnlySeconds, 3),
    redisOnlyTrialsPerSec: Math.round(trials / redisOnlySeconds),
    targetMet,
    redisUsedMemoryMb: round(usedBytes / 1e6, 1),
  };
}
