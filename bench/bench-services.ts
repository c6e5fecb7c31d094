/**
 * A real redis-server (append-only, as local mode runs it) and an S3-protocol server (s3rver,
 * as the tests run it) for one benchmark section, with data in a temporary directory removed on
 * stop, and an S3ObjectStore on the bucket: the figures are those of a deployment's S3 path.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedisServer, type RedisServer } from '@denoise-sweep/orchestrator/local';
import { S3RVER_CREDENTIALS, startS3Server, type S3Server } from '../test/helpers/s3-server.js';
import { ArtifactKeys } from '@denoise-sweep/shared';
import { S3ObjectStore } from '@denoise-sweep/shared/s3';

const BENCH_BUCKET = 'bench';

export interface BenchServices {
  redis: RedisServer;
  s3: S3Server;
  store: S3ObjectStore;
  keys: ArtifactKeys;
  /** Temporary directory of the servers' data; other scratch files may go under it too. */
  dir: string;
  /** Environment for a `worker run` process talking to these services. */
  workerEnv(cacheDir: string): NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

export async function startBenchServices(): Promise<BenchServices> {
  const dir = mkdtempSync(join(tmpdir(), 'denoise-bench-'));
  const [redis, s3] = await Promise.all([
    startRedisServer({ dir: join(dir, 'redis') }),
    startS3Server({ dir: join(dir, 's3'), bucket: BENCH_BUCKET }),
  ]);
  const store = new S3ObjectStore({
    endpoint: s3.endpoint, bucket: BENCH_BUCKET, region: 'us-east-1', credentials: { ...S3RVER_CREDENTIALS },
  });
  return {
    redis,
    s3,
    store,
    keys: new ArtifactKeys(),
    dir,
    workerEnv: (cacheDir) => ({
      ...process.env,
      REDIS_URL: redis.url,
      S3_ENDPOINT: s3.endpoint,
      STORE_URL: `s3://${BENCH_BUCKET}`,
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      DENOISE_SWEEP_CACHE_DIR: cacheDir,
    }),
    stop: async () => {
      store.close();
      await Promise.all([redis.stop(), s3.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
