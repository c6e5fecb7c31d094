import type { ObjectStore, QueueJobData, StoreConfig } from '@denoise-sweep/shared';
import { ArtifactKeys, QUEUE_NAME, QUEUE_PREFIX, openStore, redactUrl } from '@denoise-sweep/shared';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

/** The queue and the store, opened from their settings; close() releases them. */
export interface Connections {
  store: ObjectStore;
  keys: ArtifactKeys;
  redis?: Redis;
  queue?: Queue<QueueJobData>;
  close(): Promise<void>;
}

/** Connects to Redis, failing within seconds with a clear message when it is unreachable. */
export async function connectRedis(url: string): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: null,
    connectTimeout: 5000,
    // Reconnect during a run (a restarted Redis), but not forever at start-up: see below.
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  redis.on('error', () => {}); // reported through the failing command below
  try {
    await Promise.race([
      redis.connect(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 5 s')), 5000)),
    ]);
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    throw new Error(`cannot reach Redis at ${redactUrl(url)} (${(error as Error).message}): check REDIS_URL / --redis and that the server runs`, { cause: error });
  }
  return redis;
}

export async function openConnections(config: { redisUrl?: string; store: StoreConfig }, options: { queue: boolean }): Promise<Connections> {
  const store = await openStore(config.store);
  try {
    // Within seconds, not after the long retries that ride out an outage during a run.
    await store.check?.();
  } catch (error) {
    store.close();
    throw error;
  }
  const keys = new ArtifactKeys();
  let redis: Redis | undefined;
  let queue: Queue<QueueJobData> | undefined;
  if (options.queue) {
    if (!config.redisUrl) throw new Error('no Redis configured: set REDIS_URL or pass --redis');
    try {
      redis = await connectRedis(config.redisUrl);
    } catch (error) {
      store.close();
      throw error;
    }
    queue = new Queue<QueueJobData>(QUEUE_NAME, { connection: redis, prefix: QUEUE_PREFIX });
    queue.on('error', () => {});
  }
  return {
    store,
    keys,
    redis,
    queue,
    close: async () => {
      await queue?.close();
      redis?.disconnect();
      store.close();
    },
  };
}
