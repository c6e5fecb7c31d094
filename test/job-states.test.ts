/**
 * jobStates, the one read of the queue's lists and sets that status, results, report and the
 * exporter take every job's state from, against a real Redis and BullMQ: each job gets the state
 * BullMQ's own job.getState() gives it. And readSweepStatus's store reads: a trial's job says
 * when it is over, the store is asked about the others, listed only when they are many.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enqueueSweep, jobStates, readSweepStatus, sweepRecord } from '@denoise-sweep/orchestrator';
import type { QueueJobData, TrialResult } from '@denoise-sweep/shared';
import { ArtifactKeys, FileObjectStore, jobIdFor, parseSweepText, expandSweep } from '@denoise-sweep/shared';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countingReads } from './helpers/counting-reads.js';
import { useLocalServices } from './helpers/services.js';

const services = useLocalServices({ s3: false });
const NAME = 'job-states';
let redis: Redis;
let queue: Queue<QueueJobData>;
let worker: Worker<QueueJobData>;

beforeAll(async () => {
  redis = new Redis(services.redis.url, { maxRetriesPerRequest: null });
  queue = new Queue<QueueJobData>(NAME, { connection: redis });
  // No processor: jobs are taken and finished by hand below.
  worker = new Worker<QueueJobData>(NAME, null, { connection: new Redis(services.redis.url, { maxRetriesPerRequest: null }) });
});

afterAll(async () => {
  await worker.close();
  await queue.close();
  redis.disconnect();
});

describe('jobStates', () => {
  it('gives every job the state job.getState() gives it, from one read', async () => {
    const data = (n: number) => ({ n }) as unknown as QueueJobData;
    const jobs: Job<QueueJobData>[] = [];
    for (let n = 0; n < 6; n++) jobs.push(await queue.add('trial', data(n), { jobId: `j${n}` }));
    jobs.push(await queue.add('trial', data(6), { jobId: 'later', delay: 60_000 }));
    jobs.push(await queue.add('trial', data(7), { jobId: 'urgent', priority: 1 }));
    // Three taken by a worker: one stays active, one completes, one fails.
    const token = 'test-token';
    const taken: Job<QueueJobData>[] = [];
    for (let i = 0; i < 3; i++) taken.push((await worker.getNextJob(token))!);
    await taken[1]!.moveToCompleted('ok', token, false);
    await taken[2]!.moveToFailed(new Error('broken'), token, false);

    const states = await jobStates(redis, queue);
    const expected = Object.fromEntries(await Promise.all(jobs.map(async (j) => [j.id, await j.getState()])));
    expect(Object.fromEntries(jobs.map((j) => [j.id, states.get(j.id!)]))).toEqual(expected);
    // Every state a trial can show up in, among them.
    expect(new Set(Object.values(expected))).toEqual(new Set(['waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized']));
    expect(states.get('no-such-job')).toBeUndefined();
  });
});

describe('readSweepStatus', () => {
  it('asks the store only about trials without a job of their own, one by one while few, and lists the sweep when many', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-status-'));
    const files = new FileObjectStore(dir);
    const { store, counts } = countingReads(files);
    const keys = new ArtifactKeys();
    const statusQueue = new Queue<QueueJobData>('sweep-status', { connection: redis });
    try {
      // 40 runs of 4 epochs; each one's 2-epoch trial is finished on the way (no job of its own).
      const noise = Array.from({ length: 40 }, (_, i) => (i + 1) / 100);
      const spec = parseSweepText(`name: carried\nmethod: grid\nparameters:\n  noise_factor: {values: [${noise.join(', ')}]}\n  epochs: {values: [2, 4]}\n`, 'carried.yaml');
      const trials = expandSweep(spec);
      const dataset = { name: 'fashion-mnist', sha256: '0'.repeat(64) };
      const outcome = await enqueueSweep({ spec, trials, store, keys, queue: statusQueue, redis, dataset });
      expect([outcome.enqueued, outcome.onTheWay]).toEqual([40, 40]);
      const record = sweepRecord(spec, trials, dataset);
      const cache = new Map<string, TrialResult>();
      const read = () => readSweepStatus(record, store, keys, statusQueue, cache, redis);
      counts.lists = 0;
      expect((await read()).counts.waiting).toBe(80);
      expect(counts.lists).toBe(0);
      // A carried trial finished while its run goes on: read from the store, shown done.
      const short = trials.find((t) => t.params.epochs === 2)!;
      await store.put(keys.result('carried', short.id), JSON.stringify({ status: 'completed', trial: short.id, final: { val_loss: 0.1 } }));
      const status = await read();
      expect(status.trials.find((t) => t.id === short.id)?.state).toBe('done');
      expect([status.counts.done, status.counts.waiting, counts.lists]).toEqual([1, 79, 0]);
      // 30 runs' jobs gone (a lost Redis): 39 carried trials and 30 others to ask the store about, more than a listing costs.
      const gone = trials.filter((t) => t.params.epochs === 4).slice(0, 30);
      for (const t of gone) await (await statusQueue.getJob(jobIdFor('carried', t.id)))!.remove();
      const goneNoise = new Set(gone.map((t) => t.params.noise_factor));
      const lost = await read();
      expect(counts.lists).toBe(1);
      const missing = trials.filter((t) => t.id !== short.id && goneNoise.has(t.params.noise_factor)).length;
      expect([lost.counts.done, lost.counts.missing, lost.counts.waiting]).toEqual([1, missing, 79 - missing]);
    } finally {
      await statusQueue.obliterate({ force: true });
      await statusQueue.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
