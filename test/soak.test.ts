/**
 * Soak: 1,000 trials of a tiny real training config through 4 worker processes, one of them
 * killed with SIGKILL on the way and replaced. Every trial must end with exactly one result:
 * none lost, none completed twice. Prints trials/s (a figure, not an assertion).
 */
import type { ChildProcess } from 'node:child_process';
import type { DatasetRef, QueueJobData } from '@denoise-sweep/shared';
import { QUEUE_NAME, QUEUE_PREFIX, expandSweep, fashionMnistDir, parseSweepText, publishDataset } from '@denoise-sweep/shared';
import type { S3ObjectStore } from '@denoise-sweep/shared/s3';
import { connectRedis, enqueueSweep } from '@denoise-sweep/orchestrator';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as h from './helpers/sweep-harness.js';
import { useLocalServices } from './helpers/services.js';

const TRIALS = Number(process.env.SOAK_TRIALS ?? 1000);
const services = useLocalServices();
let store: S3ObjectStore;
let redis: Redis;
let queue: Queue<QueueJobData>;
let dataset: DatasetRef;
const workers: (ChildProcess & { log: string[] })[] = [];

beforeAll(async () => {
  store = await services.newStore();
  redis = await connectRedis(services.redis.url);
  queue = new Queue<QueueJobData>(QUEUE_NAME, { connection: redis, prefix: QUEUE_PREFIX });
  dataset = await publishDataset(store, h.keys, fashionMnistDir());
});

afterAll(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await queue.close();
  redis.disconnect();
});

function startWorker() {
  const w = h.startWorker(h.serviceEnv(services, store, { DENOISE_SWEEP_LOCK_MS: '4000', DENOISE_SWEEP_STALLED_MS: '1000' }));
  workers.push(w);
  return w;
}

/** Trial ids of the 'trial completed' lines in the workers' JSON logs, with their counts. */
function completions(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const w of workers) {
    for (const line of w.log.join('').split('\n')) {
      if (!line.startsWith('{')) continue;
      const entry = JSON.parse(line) as { msg?: string; trial?: string };
      if (entry.msg === 'trial completed' && entry.trial) counts.set(entry.trial, (counts.get(entry.trial) ?? 0) + 1);
    }
  }
  return counts;
}

describe('soak', () => {
  it(`${TRIALS} tiny trials through 4 workers, one killed and restarted: exactly one result each`, { timeout: 900_000 }, async () => {
    const spec = parseSweepText([
      'name: soak',
      'method: random',
      `run_cap: ${TRIALS}`,
      'parameters:',
      '  noise_factor: {distribution: uniform, min: 0, max: 1}',
      '  filters: {value: [1]}',
      '  epochs: {value: 1}',
      '  batch_size: {value: 8}',
      '  seed: {distribution: int_uniform, min: 0, max: 1000000000}',
      'dataset: {train_limit: 8, test_limit: 8}',
    ].join('\n'), 'soak.yaml');
    const trials = expandSweep(spec);
    expect(trials).toHaveLength(TRIALS);
    const started = performance.now();
    await enqueueSweep({ spec, trials, store, keys: h.keys, queue, redis, dataset });
    for (let i = 0; i < 4; i++) startWorker();

    await h.until('a tenth of the trials', async () => ((await queue.getJobCounts('completed')).completed! >= TRIALS / 10 ? true : undefined));
    const victim = workers[0]!;
    victim.kill('SIGKILL');
    await h.exited(victim);
    startWorker();

    await h.until('every trial', async () => ((await queue.getJobCounts('completed')).completed! >= TRIALS ? true : undefined), 600_000);
    const seconds = (performance.now() - started) / 1000;
    console.log(`soak: ${TRIALS} trials in ${seconds.toFixed(1)} s, ${(TRIALS / seconds).toFixed(2)} trials/s with 4 workers (one killed and replaced)`);

    const counts = await queue.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed');
    expect(counts).toMatchObject({ completed: TRIALS, failed: 0, waiting: 0, active: 0, delayed: 0 });
    const resultKeys = (await store.list('sweeps/soak/trials/')).filter((k) => k.endsWith('/result.json'));
    expect(resultKeys).toHaveLength(TRIALS);
    expect(new Set(resultKeys.map((k) => k.split('/')[3])).size).toBe(TRIALS);
    expect(resultKeys.map((k) => k.split('/')[3]).sort()).toEqual(trials.map((t) => t.id).sort());
    // None completed twice: each trial's completion is logged once across all workers (the
    // killed worker's log is kept up to its death).
    const done = completions();
    expect([...done.values()].filter((n) => n > 1)).toEqual([]);
  });
});
