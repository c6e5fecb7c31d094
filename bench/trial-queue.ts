/** The trial queue as the orchestrator opens it (Redis connection, BullMQ Queue), for enqueueSweep. */
import { connectRedis } from '@denoise-sweep/orchestrator';
import type { QueueJobData } from '@denoise-sweep/shared';
import { QUEUE_NAME, QUEUE_PREFIX } from '@denoise-sweep/shared';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

export interface TrialQueue {
  redis: Redis;
  queue: Queue<QueueJobData>;
  close(): Promise<void>;
}

export async function openTrialQueue(redisUrl: string): Promise<TrialQueue> {
  const redis = await connectRedis(redisUrl);
  const queue = new Queue<QueueJobData>(QUEUE_NAME, { connection: redis, prefix: QUEUE_PREFIX });
  queue.on('error', () => {});
  return {
    redis,
    queue,
    close: async () => {
      await queue.close();
      redis.disconnect();
    },
  };
}
