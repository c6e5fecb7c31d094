/**
 * Fresh Redis and S3-protocol servers for integration tests: each test file that calls
 * useLocalServices() gets its own processes on free ports, data in a temporary directory, all
 * stopped and removed in afterAll. Each store from newStore() gets its own bucket.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedisServer, type RedisServer } from '@denoise-sweep/orchestrator/local';
import { S3RVER_CREDENTIALS, startS3Server, type S3Server } from './s3-server.js';
import { S3ObjectStore, type S3ObjectStoreConfig } from '@denoise-sweep/shared/s3';
import { afterAll, beforeAll } from 'vitest';

export interface LocalServicesHandle {
  /** Set once beforeAll has run. */
  readonly redis: RedisServer;
  readonly s3: S3Server;
  /** The temporary directory holding both servers' data. */
  readonly dir: string;
  /** Config for an S3ObjectStore on the test server (fast retries unless overridden). */
  s3Config(bucket: string, overrides?: Partial<S3ObjectStoreConfig>): S3ObjectStoreConfig;
  /** An S3ObjectStore on a new bucket of its own, closed in afterAll. */
  newStore(overrides?: Partial<S3ObjectStoreConfig>): Promise<S3ObjectStore>;
}

let bucketCounter = 0;

export function useLocalServices(options: { redis?: boolean; s3?: boolean } = {}): LocalServicesHandle {
  let redis: RedisServer | undefined;
  let s3: S3Server | undefined;
  let dir: string | undefined;
  const stores: S3ObjectStore[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'denoise-services-'));
    const [r, s] = await Promise.all([
      options.redis === false ? undefined : startRedisServer({ dir: join(dir, 'redis') }),
      options.s3 === false ? undefined : startS3Server({ dir: join(dir, 's3'), bucket: 'default' }),
    ]);
    redis = r;
    s3 = s;
  });

  afterAll(async () => {
    for (const store of stores) store.close();
    await Promise.all([redis?.stop(), s3?.stop()]);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is not running: call useLocalServices() at the top of the file and use it inside tests`);
    return value;
  };

  const handle: LocalServicesHandle = {
    get redis() { return need(redis, 'Redis'); },
    get s3() { return need(s3, 'the S3 server'); },
    get dir() { return need(dir, 'the services directory'); },
    s3Config(bucket, overrides = {}) {
      return {
        endpoint: handle.s3.endpoint, bucket, region: 'us-east-1', credentials: { ...S3RVER_CREDENTIALS },
        retry: { maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 200 }, ...overrides,
      };
    },
    async newStore(overrides = {}) {
      bucketCounter += 1;
      const store = new S3ObjectStore(handle.s3Config(`test-${process.pid}-${bucketCounter}`, overrides));
      stores.push(store);
      await store.ensureBucket();
      return store;
    },
  };
  return handle;
}
