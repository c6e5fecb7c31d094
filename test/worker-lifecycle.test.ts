/**
 * Worker processes against a real Redis and s3rver: SIGTERM hands a trial back at once after a
 * checkpoint and another worker resumes it; `orchestrator cancel` stops running trials after a
 * checkpoint and removes waiting ones, and running the sweep again continues them.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileSync } from 'node:fs';
import type { DatasetRef, TrainJobData, TrainProgress, TrialResult } from '@denoise-sweep/shared';
import { ArtifactKeys, QUEUE_NAME, QUEUE_PREFIX, expandSweep, fashionMnistDir, jobIdFor, parseSweepText, publishDataset } from '@denoise-sweep/shared';
import type { S3ObjectStore } from '@denoise-sweep/shared/s3';
import { connectRedis, enqueueSweep } from '@denoise-sweep/orchestrator';
import { S3RVER_CREDENTIALS } from '@denoise-sweep/orchestrator/local';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useLocalServices } from './helpers/services.js';

const workerBin = fileURLToPath(new URL('../packages/worker/dist/bin.js', import.meta.url));
const orchestratorBin = fileURLToPath(new URL('../packages/orchestrator/dist/bin.js', import.meta.url));
const services = useLocalServices();
let store: S3ObjectStore;
let redis: Redis;
let queue: Queue<TrainJobData>;
let dataset: DatasetRef;
const keys = new ArtifactKeys();
const workers: ChildProcess[] = [];

beforeAll(async () => {
  store = await services.newStore();
  redis = await connectRedis(services.redis.url);
  queue = new Queue<TrainJobData>(QUEUE_NAME, { connection: redis, prefix: QUEUE_PREFIX });
  dataset = await publishDataset(store, keys, fashionMnistDir());
});

afterAll(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await queue.close();
  redis.disconnect();
});

function env(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    REDIS_URL: services.redis.url,
    S3_ENDPOINT: services.s3.endpoint,
    S3_BUCKET: store.bucket,
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    DENOISE_SWEEP_CACHE_DIR: join(services.dir, 'cache'),
    TFJS_BACKEND: 'cpu',
  };
}

function startWorker(): ChildProcess {
  const child = spawn(process.execPath, [workerBin, 'run', '--no-metrics'], { env: env(), stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.resume();
  workers.push(child);
  return child;
}

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => {
  if (child.exitCode !== null) resolve(child.exitCode);
  else child.once('exit', (code) => resolve(code));
});

async function until<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 240_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await f();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A sweep of `noise.length` trials long enough to be interrupted mid-epoch: 4 epochs of 64 batches. */
function sweep(name: string, noise: number[]) {
  const spec = parseSweepText([
    `name: ${name}`,
    'method: grid',
    'parameters:',
    `  noise_factor: {values: [${noise.join(', ')}]}`,
    '  filters: {value: [4, 8]}',
    '  epochs: {value: 4}',
    '  batch_size: {value: 32}',
    'dataset: {train_limit: 2048, test_limit: 64}',
  ].join('\n'), `${name}.yaml`);
  return { spec, trials: expandSweep(spec) };
}

async function progressOf(sweepId: string, trialId: string): Promise<TrainProgress | undefined> {
  const job = await queue.getJob(jobIdFor(sweepId, trialId));
  const p = job?.progress as TrainProgress | undefined;
  return p && typeof p === 'object' && 'phase' in p ? p : undefined;
}

async function readResult(sweepId: string, trialId: string): Promise<TrialResult | undefined> {
  const bytes = await store.get(keys.result(sweepId, trialId));
  return bytes ? (JSON.parse(Buffer.from(bytes).toString()) as TrialResult) : undefined;
}

describe('worker lifecycle', () => {
  it('on SIGTERM checkpoints, hands the trial back at once, and another worker resumes it', async () => {
    const { spec, trials } = sweep('sigterm', [0.5]);
    const trial = trials[0]!;
    await enqueueSweep({ spec, trials, store, keys, queue, redis, dataset });
    const first = startWorker();
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
    const checkpoints = (await store.list(keys.checkpoints('sigterm', trial.id)))
      .filter((k) => k.endsWith('/manifest.json')).map((k) => k.split('/').at(-2)!);
    const shutdownCheckpoint = checkpoints.find((name) => /^epoch-0001-batch-\d+$/.test(name));
    expect(shutdownCheckpoint, `checkpoints: ${checkpoints.join(', ')}`).toBeDefined();

    const second = startWorker();
    const result = await until('the result', () => readResult('sigterm', trial.id));
    expect(result.resumed_from).toBe(shutdownCheckpoint);
    expect(result.epochs_completed).toBe(4);
    second.kill('SIGTERM');
    expect(await exited(second)).toBe(0);
  });

  it('cancel stops running trials after a checkpoint and removes waiting ones; sweep again continues them', async () => {
    const { spec, trials } = sweep('cancelled', [0.2, 0.4]);
    await enqueueSweep({ spec, trials, store, keys, queue, redis, dataset });
    const worker = startWorker();
    const running = await until('a trial to train', async () => {
      for (const t of trials) {
        const p = await progressOf('cancelled', t.id);
        if (p && p.phase === 'training' && p.epoch >= 1) return t;
      }
      return undefined;
    });
    const cancel = spawnSync(process.execPath, [orchestratorBin, 'cancel', 'cancelled'], { env: env(), encoding: 'utf8' });
    expect(cancel.status, cancel.stderr).toBe(0);
    expect(cancel.stdout).toMatch(/1 waiting trials removed, 1 running trials stop/);
    await until('the running trial to stop', async () => {
      const job = await queue.getJob(jobIdFor('cancelled', running.id));
      return job && (await job.getState()) === 'failed' ? job : undefined;
    });
    const status = spawnSync(process.execPath, [orchestratorBin, 'status', 'cancelled', '--json'], { env: env(), encoding: 'utf8' });
    expect(status.status, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).counts).toMatchObject({ cancelled: 2, done: 0 });
    const stoppedAt = (await store.list(keys.checkpoints('cancelled', running.id))).filter((k) => /batch-\d+\/manifest\.json$/.test(k));
    expect(stoppedAt).toHaveLength(1);

    const file = join(services.dir, 'cancelled.yaml');
    writeFileSync(file, [
      'name: cancelled', 'method: grid', 'parameters:', '  noise_factor: {values: [0.2, 0.4]}', '  filters: {value: [4, 8]}',
      '  epochs: {value: 4}', '  batch_size: {value: 32}', 'dataset: {train_limit: 2048, test_limit: 64}', '',
    ].join('\n'));
    const again = spawnSync(process.execPath, [orchestratorBin, 'sweep', file, '--detach'], { env: env(), encoding: 'utf8' });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/2 trials: 0 already done, 1 enqueued, 1 retried/);
    const results = await until('both results', async () => {
      const all = await Promise.all(trials.map((t) => readResult('cancelled', t.id)));
      return all.every(Boolean) ? (all as TrialResult[]) : undefined;
    });
    expect(results.find((r) => r.trial === running.id)!.resumed_from).toBe(stoppedAt[0]!.split('/').at(-2));
    worker.kill('SIGTERM');
    expect(await exited(worker)).toBe(0);
  });

  it('fails a malformed or hostile job at once, without retry and without touching the store', async () => {
    const worker = startWorker();
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
    const worker = startWorker();
    await until('the trial to train', async () => {
      const p = await progressOf('twice', trials[0]!.id);
      return p?.phase === 'training' ? p : undefined;
    });
    worker.kill('SIGTERM');
    worker.kill('SIGINT');
    expect(await exited(worker)).toBe(130);
  });
});

