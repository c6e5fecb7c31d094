/**
 * Worker processes against a real Redis and s3rver: SIGTERM hands a trial back at once after a
 * checkpoint and another worker resumes it; `orchestrator cancel` stops running trials after a
 * checkpoint and removes waiting ones, and running the sweep again continues them.
 */
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DatasetRef, QueueJobData, TrainJobData, TrialResult } from '@denoise-sweep/shared';
import { QUEUE_NAME, QUEUE_PREFIX, fashionMnistDir, jobIdFor, publishDataset } from '@denoise-sweep/shared';
import type { S3ObjectStore } from '@denoise-sweep/shared/s3';
import { connectRedis, enqueueSweep } from '@denoise-sweep/orchestrator';
import { findFreePort } from '@denoise-sweep/orchestrator/local';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as h from './helpers/sweep-harness.js';
import { startS3Server } from './helpers/s3-server.js';
import { useLocalServices } from './helpers/services.js';

const { exited, keys, until } = h;
const services = useLocalServices();
let store: S3ObjectStore;
let redis: Redis;
let queue: Queue<QueueJobData>;
let dataset: DatasetRef;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  store = await services.newStore();
  redis = await connectRedis(services.redis.url);
  queue = new Queue<QueueJobData>(QUEUE_NAME, { connection: redis, prefix: QUEUE_PREFIX });
  dataset = await publishDataset(store, keys, fashionMnistDir());
});

afterAll(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await queue.close();
  redis.disconnect();
});

// Batches paced at 25 ms, so that signals land mid-epoch however fast the kernels are.
const env = () => h.serviceEnv(services, store, { DENOISE_SWEEP_INJECT_FAULTS: 'batch-delay:25' });
/** Starts a worker and waits until it is up, so that signals find their handlers. */
const startWorker = async () => {
  const child = h.startWorker(env());
  workers.push(child);
  await h.workerReady(child);
  return child;
};
const sweep = (name: string, noise: number[]) => h.sweepOf(name, noise);
const progressOf = (sweepId: string, trialId: string) => h.progressOf(queue, sweepId, trialId);
const readResult = (sweepId: string, trialId: string) => h.readResult(store, sweepId, trialId);

describe('worker lifecycle', () => {
  it('on SIGTERM checkpoints, hands the trial back at once, and another worker resumes it', async () => {
    const { spec, trials } = sweep('sigterm', [0.5]);
    const trial = trials[0]!;
    await enqueueSweep({ spec, trials, store, keys, queue, redis, dataset });
    const first = await startWorker();
    await until('the trial to be 10 batches into its second epoch', async () => {
      const p = await progressOf('sigterm', trial.id);
      return p && p.phase === 'training' && p.epoch >= 1 && p.batch >= 10 ? p : undefined;
    });
    first.kill('SIGTERM');
    expect(await exited(first)).toBe(0);
    // Handed back, not left active until the 30 s stall detection notices a dead worker.
    const job = (await queue.getJob(jobIdFor('sigterm', trial.id)))!;
    expect(await job.getState()).toBe('waiting');
    expect(job.attemptsMade).toBe(0);
    const checkpoints = await h.checkpointNames(store, 'sigterm', trial.id);
    const shutdownCheckpoint = checkpoints.find((name) => /^epoch-0001-batch-\d+$/.test(name));
    expect(shutdownCheckpoint, `checkpoints: ${checkpoints.join(', ')}`).toBeDefined();

    const second = await startWorker();
    const result = await until('the result', () => readResult('sigterm', trial.id));
    expect(result.resumed_from).toBe(shutdownCheckpoint);
    expect(result.epochs_completed).toBe(4);
    second.kill('SIGTERM');
    expect(await exited(second)).toBe(0);
    // The training child's own lines carry the trial's context, like the parent's.
    const lines = second.log.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const resumeLine = lines.find((l) => String(l.msg).startsWith('resuming from checkpoint'));
    expect(resumeLine).toMatchObject({ sweep: 'sigterm', trial: trial.id, attempt: 1 });
  });

  it('cancel stops running trials after a checkpoint and removes waiting ones; sweep again continues them', async () => {
    const { spec, trials } = sweep('cancelled', [0.2, 0.4]);
    await enqueueSweep({ spec, trials, store, keys, queue, redis, dataset });
    const worker = await startWorker();
    const running = await until('a trial to train', async () => {
      for (const t of trials) {
        const p = await progressOf('cancelled', t.id);
        if (p && p.phase === 'training' && p.epoch >= 1) return t;
      }
      return undefined;
    });
    const cancel = h.orchestrator(env(), 'cancel', 'cancelled');
    expect(cancel.status, cancel.stderr).toBe(0);
    expect(cancel.stdout).toMatch(/1 waiting trials removed, 1 running trials stop/);
    await until('the running trial to stop', async () => {
      const job = await queue.getJob(jobIdFor('cancelled', running.id));
      return job && (await job.getState()) === 'failed' ? job : undefined;
    });
    const status = h.orchestrator(env(), 'status', 'cancelled', '--json');
    expect(status.status, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).counts).toMatchObject({ cancelled: 2, done: 0 });
    // It stopped where it was: a mid-epoch checkpoint, or the last epoch's when the cancel came
    // between epochs; either way before its 4th and last epoch.
    const stoppedAt = (await h.checkpointNames(store, 'cancelled', running.id)).sort().at(-1)!;
    expect(stoppedAt < 'epoch-0004').toBe(true);

    const file = join(services.dir, 'cancelled.yaml');
    writeFileSync(file, h.sweepYaml('cancelled', [0.2, 0.4]));
    const again = h.orchestrator(env(), 'sweep', file, '--detach');
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/2 trials: 0 already done, 1 enqueued, 1 retried/);
    const results = await until('both results', async () => {
      const all = await Promise.all(trials.map((t) => readResult('cancelled', t.id)));
      return all.every(Boolean) ? (all as TrialResult[]) : undefined;
    });
    expect(results.find((r) => r.trial === running.id)!.resumed_from).toBe(stoppedAt);
    worker.kill('SIGTERM');
    expect(await exited(worker)).toBe(0);
  });

  it('fails a malformed or hostile job at once, without retry and without touching the store', async () => {
    const worker = await startWorker();
    const hostile = { format: 1, sweep: '../../etc', trial: { id: 'x', params: { filters: [100000] }, dataset: {} }, dataset: { name: 'fashion-mnist', sha256: 'no' } };
    const job = await queue.add('train', hostile as unknown as TrainJobData, { jobId: 'hostile-1', attempts: 5 });
    const failed = await until('the job to fail', async () => ((await job.getState()) === 'failed' ? (await queue.getJob('hostile-1'))! : undefined));
    expect(failed.attemptsMade).toBe(1);
    expect(failed.failedReason).toMatch(/invalid job payload/);
    expect(failed.failedReason).toMatch(/sweep: must be a sweep id/);
    expect(await store.list('sweeps/../')).toEqual([]);
    expect((await store.list('')).some((k) => k.includes('etc'))).toBe(false);
    worker.kill('SIGTERM');
    expect(await exited(worker)).toBe(0);
  });

  it('exits at once on a second signal', async () => {
    const { spec, trials } = sweep('twice', [0.7]);
    await enqueueSweep({ spec, trials, store, keys, queue, redis, dataset });
    const worker = await startWorker();
    await until('the trial to train', async () => {
      const p = await progressOf('twice', trials[0]!.id);
      return p?.phase === 'training' ? p : undefined;
    });
    worker.kill('SIGTERM');
    worker.kill('SIGINT');
    expect(await exited(worker)).toBe(130);
  });

  it('waits for a store that does not answer before taking any trial, starts once it does, and stops at a missing bucket', async () => {
    const logOf = (w: ChildProcess & { log: string[] }) => w.log.join('');
    const port = await findFreePort();
    const late = { S3_ENDPOINT: `http://127.0.0.1:${port}`, STORE_URL: 's3://late' };
    const waiting = h.startWorker(h.serviceEnv(services, store, late));
    workers.push(waiting);
    await until('the worker to wait for its store', async () => (logOf(waiting).includes('store unreachable: waiting for it before taking any trial') ? true : undefined), 60_000);
    expect(logOf(waiting)).toContain('ECONNREFUSED');
    expect(logOf(waiting)).not.toContain('worker started');
    const server = await startS3Server({ dir: join(services.dir, 'late-s3'), port, bucket: 'late' });
    try {
      await h.workerReady(waiting);
      expect(logOf(waiting)).toContain('store answers: taking trials');
      waiting.kill('SIGTERM');
      expect(await exited(waiting)).toBe(0);
    } finally {
      await server.stop();
    }
    // A signal while it waits ends it at once, having taken nothing.
    const stopped = h.startWorker(h.serviceEnv(services, store, late));
    workers.push(stopped);
    await until('the worker to wait again', async () => (logOf(stopped).includes('store unreachable') ? true : undefined), 60_000);
    stopped.kill('SIGTERM');
    expect(await exited(stopped)).toBe(0);
    expect(logOf(stopped)).toContain('worker stopped before taking any trial');
    // A bucket that does not exist is no reason to wait: exit 1, saying so.
    const lost = h.startWorker(h.serviceEnv(services, store, { STORE_URL: 's3://no-such-bucket-anywhere' }));
    workers.push(lost);
    expect(await exited(lost)).toBe(1);
    expect(logOf(lost)).toMatch(/S3 bucket 'no-such-bucket-anywhere' does not exist/);
  });
});

