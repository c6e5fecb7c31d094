import { QUEUE_NAME, QUEUE_PREFIX } from '@denoise-sweep/shared';
import type { Redis } from 'ioredis';

/** Redis sorted set of sweep ids, scored by the time `orchestrator sweep` last ran them. */
function sweepIndexKey(): string {
  return `${QUEUE_PREFIX}:${QUEUE_NAME}:sweeps`;
}

/** Records that a sweep ran now, so the exporter shows it while it is recent. */
export async function touchSweep(redis: Redis, sweep: string): Promise<void> {
  await redis.zadd(sweepIndexKey(), Date.now(), sweep);
}

/** Sweeps run since `sinceMs` (epoch ms). */
export async function recentSweeps(redis: Redis, sinceMs: number): Promise<string[]> {
  return redis.zrangebyscore(sweepIndexKey(), sinceMs, '+inf');
}
