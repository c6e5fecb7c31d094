import type { QueueJobData } from '@denoise-sweep/shared';
import type { JobState, Queue } from 'bullmq';
import type { Redis } from 'ioredis';

/** BullMQ's job lists and sets, in the order its getState looks a job up (the first that holds it wins). */
const STATE_KEYS: readonly { key: string; state: JobState; list: boolean }[] = [
  { key: 'completed', state: 'completed', list: false },
  { key: 'failed', state: 'failed', list: false },
  { key: 'delayed', state: 'delayed', list: false },
  { key: 'prioritized', state: 'prioritized', list: false },
  { key: 'active', state: 'active', list: true },
  { key: 'wait', state: 'waiting', list: true },
  { key: 'paused', state: 'waiting', list: true },
  { key: 'waiting-children', state: 'waiting-children', list: false },
];

/**
 * The state of every job in the queue, from one atomic read of its lists and sets (MULTI).
 * BullMQ's job.getState() finds a job in the waiting list with LPOS, a scan of that list, so
 * asking it for each trial of a sweep costs Redis O(trials x waiting jobs): seconds of its one
 * thread per status or scrape at 30,000 waiting jobs, and it grows with the square. This is one
 * pass over the ids.
 */
export async function jobStates(redis: Redis, queue: Queue<QueueJobData>): Promise<Map<string, JobState>> {
  const multi = redis.multi();
  for (const { key, list } of STATE_KEYS) {
    if (list) multi.lrange(queue.toKey(key), 0, -1);
    else multi.zrange(queue.toKey(key), 0, -1);
  }
  const replies = (await multi.exec()) ?? [];
  const states = new Map<string, JobState>();
  // Backwards, so that a job in two places (never, in one snapshot) gets the state getState would give.
  for (let i = STATE_KEYS.length - 1; i >= 0; i--) {
    const [error, ids] = replies[i] ?? [new Error('no reply'), undefined];
    if (error) throw error;
    for (const id of ids as string[]) states.set(id, STATE_KEYS[i]!.state);
  }
  return states;
}
