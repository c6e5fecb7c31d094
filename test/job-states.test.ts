/**
 * jobStates, the one read of the queue's lists and sets that status, results, report and the
 * exporter take every job's state from, against a real Redis and BullMQ: each job gets the state
 * BullMQ's own job.getState() gives it.
 */
import { jobStates } from '@denoise-sweep/orchestrator';
import type { QueueJobData } from '@denoise-sweep/shared';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
