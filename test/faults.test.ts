/**
 * Faults, with real redis-server, s3rver and worker / orchestrator processes: nothing is lost,
 * nothing is trained twice. Each test names the fault it injects.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { QueueJobData, TrialResult } from '@denoise-sweep/shared';
import { QUEUE_NAME, QUEUE_PREFIX, expandSweep, parseSweepText } from '@denoise-sweep/shared';
import type { S3ObjectStore } from '@denoise-sweep/shared/s3';
import { connectRedis } from '@denoise-sweep/orchestrator';
import type { RedisServer } from '@denoise-sweep/orchestrator/local';
import { startRedisServer } from '@denoise-sweep/orchestrator/local';
import { startS3Server } from './helpers/s3-server.js';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as h from './helpers/sweep-harness.js';
import { useLocalServices } from './helpers/services.js';

const { exited, keys, until } = h;
const services = useLocalServices();
let store: S3ObjectStore;
let redis: Redis;
let queue: Queue<QueueJobData>;
const children: ChildProcess[] = [];
let replacementRedis: RedisServer | undefined;

// Short locks so that a killed worker's trial is taken over in seconds, not 30 s.
const FAST_STALLS = { DENOISE_SWEEP_LOCK_MS: '4000', DENOISE_SWEEP_STALLED_MS: '1000' };

beforeAll(async () => {
  store = await services.newStore();
  redis = await connectRedis(services.redis.url);
  queue = new Queue<QueueJobData>(QUEUE_NAME, { connection: redis, prefix: QUEUE_PREFIX });
  queue.on('error', () => {}); // Redis goes away on purpose in test 3
});

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await queue.close();
  redis.disconnect();
  await replacementRedis?.stop();
});

// Batches paced at 25 ms, so that signals land mid-epoch however fast the kernels are.
const PACED = { DENOISE_SWEEP_INJECT_FAULTS: 'batch-delay:25' };
const env = (extra: NodeJS.ProcessEnv = {}) => h.serviceEnv(services, store, { ...FAST_STALLS, ...PACED, ...extra });
const startWorker = () => {
  const w = h.startWorker(env());
  children.push(w);
  return w;
};

function writeSweep(name: string, yaml: string): string {
  const file = join(services.dir, `${name}.yaml`);
  writeFileSync(file, yaml);
  return file;
}

/** A random sweep of `count` tiny trials: enqueueing them is the work, not training. */
function manyTrials(name: string, count: number): string {
  return [
    `name: ${name}`,
    'method: random',
    `run_cap: ${count}`,
    'parameters:',
    '  noise_factor: {distribution: uniform, min: 0, max: 1}',
    '  filters: {value: [2]}',
    '  epochs: {value: 1}',
    '  batch_size: {value: 8}',
    '  seed: {distribution: int_uniform, min: 0, max: 1000000}',
    'dataset: {train_limit: 8, test_limit: 8}',
    '',
  ].join('\n');
}

async function jobIdsOf(sweep: string): Promise<string[]> {
  const jobs = await queue.getJobs(['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed']);
  return jobs.filter((j) => j?.id?.startsWith(`${sweep}.`)).map((j) => j.id!);
}

async function results(sweep: string, ids: string[]): Promise<(TrialResult | undefined)[]> {
  return Promise.all(ids.map((id) => h.readResult(store, sweep, id)));
}

describe('faults', () => {
  it('7. an orchestrator killed half-way through enqueueing: running it again converges, without duplicates', async () => {
    // Jobs go in as chunks of 500, each one transaction: 10,000 trials take 20 of them.
    const count = 10_000;
    const file = writeSweep('killed-enqueue', manyTrials('killed-enqueue', count));
    const ids = expandSweep(parseSweepText(manyTrials('killed-enqueue', count), 'x')).map((t) => `killed-enqueue.${t.id}`).sort();
    const waiting = `${QUEUE_PREFIX}:${QUEUE_NAME}:wait`;
    const first = spawn(process.execPath, [h.orchestratorBin, 'sweep', file, '--detach'], { env: env(), stdio: 'ignore' });
    children.push(first);
    // Kill it as soon as its first jobs are in the queue, long before its last.
    const deadline = Date.now() + 60_000;
    while ((await redis.llen(waiting)) === 0) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the first jobs');
      await new Promise((r) => setTimeout(r, 1));
    }
    first.kill('SIGKILL');
    await exited(first);
    const partial = (await jobIdsOf('killed-enqueue')).length;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(count);
    const again = h.orchestrator(env(), 'sweep', file, '--detach');
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toContain(`${count - partial} enqueued, 0 retried, ${partial} already queued`);
    expect((await jobIdsOf('killed-enqueue')).sort()).toEqual(ids);
    await queue.obliterate({ force: true }); // no worker should spend the next tests on these
  });

  it('8. two orchestrators running the same sweep file at once: still one job per trial', async () => {
    const file = writeSweep('twice-at-once', manyTrials('twice-at-once', 200));
    const run = () => new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [h.orchestratorBin, 'sweep', file, '--detach'], { env: env(), stdio: 'ignore' });
      child.on('exit', resolve);
    });
    expect(await Promise.all([run(), run()])).toEqual([0, 0]);
    const jobs = await jobIdsOf('twice-at-once');
    expect(jobs).toHaveLength(200);
    expect(new Set(jobs).size).toBe(200);
    await queue.obliterate({ force: true });
  });

  it('6. a trial that always fails: it fails with its reason in the store, status and results; the others finish; sweep again retries it', async () => {
    const yaml = h.sweepYaml('always-fails', [0.2, 0.8], { epochs: 1, trainLimit: 256 });
    const { trials } = h.sweepOf('always-fails', [0.2, 0.8], { epochs: 1, trainLimit: 256 });
    const [bad, good] = trials as [typeof trials[0], typeof trials[0]];
    const file = writeSweep('always-fails', yaml);
    expect(h.orchestrator(env(), 'sweep', file, '--detach').status).toBe(0);
    const worker = h.startWorker(env({ DENOISE_SWEEP_INJECT_FAULTS: `nan-loss:${bad.id},batch-delay:25` }));
    children.push(worker);
    await until('the good trial', () => h.readResult(store, 'always-fails', good.id));
    const failure = await until('failure.json', async () => {
      const bytes = await store.get(keys.failure('always-fails', bad.id));
      return bytes ? (JSON.parse(Buffer.from(bytes).toString()) as { reason: string; unrecoverable: boolean }) : undefined;
    });
    expect(failure).toMatchObject({ unrecoverable: true, reason: expect.stringMatching(/training diverged: loss is NaN/) });
    const job = await until('the job to fail', async () => {
      const j = await queue.getJob(`always-fails.${bad.id}`);
      return j && (await j.getState()) === 'failed' ? j : undefined;
    });
    expect(job.attemptsMade).toBe(1); // a diverging trial diverges again from the same seed: no retry

    const status = h.orchestrator(env(), 'status', 'always-fails', '--json');
    const parsed = JSON.parse(status.stdout) as { counts: Record<string, number>; trials: { id: string; state: string; failedReason?: string }[] };
    expect(parsed.counts).toMatchObject({ done: 1, failed: 1 });
    expect(parsed.trials.find((t) => t.id === bad.id)?.failedReason).toMatch(/training diverged/);
    const results = JSON.parse(h.orchestrator(env(), 'results', 'always-fails', '--format', 'json').stdout) as { trial: string; failed_reason: string | null; best: boolean }[];
    expect(results.find((r) => r.trial === bad.id)?.failed_reason).toMatch(/training diverged/);
    expect(results.find((r) => r.trial === good.id)?.best).toBe(true);

    const again = h.orchestrator(env(), 'sweep', file, '--detach');
    expect(again.stderr).toMatch(/2 trials: 1 already done, 0 enqueued, 1 retried/);
    worker.kill('SIGTERM');
    await exited(worker);
    await queue.obliterate({ force: true });
  });

  it('1. a worker killed with SIGKILL mid-epoch: another takes the trial over and resumes from its last checkpoint', async () => {
    const { trials } = h.sweepOf('sigkill', [0.5]);
    const trial = trials[0]!;
    expect(h.orchestrator(env(), 'sweep', writeSweep('sigkill', h.sweepYaml('sigkill', [0.5])), '--detach').status).toBe(0);
    const doomed = startWorker();
    await until('the trial to be in its second epoch', async () => {
      const p = await h.progressOf(queue, 'sigkill', trial.id);
      return p && p.phase === 'training' && p.epoch >= 1 && p.batch >= 5 ? p : undefined;
    });
    const before = await h.checkpointNames(store, 'sigkill', trial.id);
    expect(before).toContain('epoch-0001');
    doomed.kill('SIGKILL');
    await exited(doomed);
    startWorker();
    const result = await until('the result', () => h.readResult(store, 'sigkill', trial.id));
    // Not from epoch 0: from the newest complete checkpoint at the time of the kill.
    expect(result.resumed_from).toMatch(/^epoch-\d{4}$/);
    expect(before).toContain(result.resumed_from);
    const metrics = Buffer.from((await store.get(keys.metrics('sigkill', trial.id)))!).toString().trim().split('\n');
    expect(metrics.map((l) => (JSON.parse(l) as { epoch: number }).epoch)).toEqual([1, 2, 3, 4]);
  });

  // The worker started by test 1 stays up for the tests below.
  it('4. the object store unreachable for a while: uploads retry with backoff and the trial completes', async () => {
    const { trials } = h.sweepOf('store-outage', [0.3], { epochs: 3 });
    const trial = trials[0]!;
    expect(h.orchestrator(env(), 'sweep', writeSweep('store-outage', h.sweepYaml('store-outage', [0.3], { epochs: 3 })), '--detach').status).toBe(0);
    await until('the trial to train', async () => {
      const p = await h.progressOf(queue, 'store-outage', trial.id);
      return p?.phase === 'training' && p.batch >= 3 ? p : undefined;
    });
    const { port } = services.s3;
    await services.s3.stop();
    await new Promise((r) => setTimeout(r, 6000)); // an epoch ends while the store is down
    const revived = await startS3Server({ dir: join(services.dir, 's3'), port, bucket: 'default' });
    try {
      const result = await until('the result', () => h.readResult(store, 'store-outage', trial.id));
      expect(result.epochs_completed).toBe(3);
    } finally {
      await revived.stop();
    }
  });

  it('3. Redis killed and restarted empty mid-sweep: sweep again re-enqueues exactly the unfinished trials', async () => {
    const started = await startS3Server({ dir: join(services.dir, 's3'), port: services.s3.port, bucket: 'default' });
    try {
      const noise = [0.1, 0.2, 0.3];
      const { trials } = h.sweepOf('redis-loss', noise, { epochs: 3, trainLimit: 1024 });
      const file = writeSweep('redis-loss', h.sweepYaml('redis-loss', noise, { epochs: 3, trainLimit: 1024 }));
      expect(h.orchestrator(env(), 'sweep', file, '--detach').status).toBe(0);
      await until('one trial done', async () => ((await results('redis-loss', trials.map((t) => t.id))).filter(Boolean).length >= 1 ? true : undefined));
      const doneBefore = (await results('redis-loss', trials.map((t) => t.id))).filter((r): r is TrialResult => r !== undefined);

      // Redis dies and comes back empty on the same address (its data directory is lost).
      const { port } = services.redis;
      await services.redis.stop();
      replacementRedis = await startRedisServer({ dir: mkdtempSync(join(services.dir, 'redis-new-')), port });
      const again = h.orchestrator(env(), 'sweep', file, '--detach');
      expect(again.status, again.stderr).toBe(0);
      const counts = /(\d+) already done, (\d+) enqueued/.exec(again.stderr);
      expect(counts, again.stderr).not.toBeNull();
      expect(Number(counts![1]) + Number(counts![2])).toBe(3);
      expect(Number(counts![1])).toBeGreaterThanOrEqual(doneBefore.length);

      const all = await until('every result', async () => {
        const r = await results('redis-loss', trials.map((t) => t.id));
        return r.every(Boolean) ? (r as TrialResult[]) : undefined;
      });
      // No finished trial was trained again: its result is the same one.
      for (const before of doneBefore) {
        expect(all.find((r) => r.trial === before.trial)!.finished_at).toBe(before.finished_at);
      }
    } finally {
      await started.stop();
    }
  });
});
