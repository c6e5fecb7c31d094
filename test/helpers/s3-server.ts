import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnService } from '@denoise-sweep/orchestrator/local';
import type { S3rverMainConfig } from './s3rver-main.js';

export interface S3ServerOptions {
  /** Where the objects live on disk (created if missing); they survive restarts. */
  dir: string;
  /** @defaultValue a free port chosen when binding (no race) */
  port?: number;
  /** Only this address is bound. @defaultValue '127.0.0.1' */
  host?: string;
  /** Created before the server reports ready; an existing bucket is kept. */
  bucket: string;
  /** @defaultValue 15000 */
  startTimeoutMs?: number;
}

export interface S3Server {
  /** http://host:port, for S3_ENDPOINT. */
  endpoint: string;
  port: number;
  bucket: string;
  /** The s3rver process id. */
  pid: number;
  /** Closes the server and waits for its process to exit. */
  stop(): Promise<void>;
}

/**
 * The access key s3rver accepts; pass them as AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or
 * S3ObjectStoreConfig.credentials) to talk to a local server. Not a secret.
 */
export const S3RVER_CREDENTIALS = Object.freeze({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });

const ENTRY = fileURLToPath(new URL('./s3rver-main.ts', import.meta.url));

/**
 * Starts s3rver, an S3-protocol server that installs from npm, for the tests and benchmarks of
 * the S3 backend. It runs in a child Node process with --openssl-legacy-provider, which it
 * needs for paginated listings, and exits if this process dies.
 */
export async function startS3Server(options: S3ServerOptions): Promise<S3Server> {
  const host = options.host ?? '127.0.0.1';
  const dir = resolve(options.dir);
  await mkdir(dir, { recursive: true });
  const config: S3rverMainConfig = { dir, host, port: options.port ?? 0, bucket: options.bucket };
  const service = spawnService('s3rver', ENTRY, ['--openssl-legacy-provider', '--import', 'tsx'], config);
  try {
    const { port, pid } = await service.waitFor('ready', options.startTimeoutMs ?? 15_000);
    return { endpoint: `http://${host}:${port}`, port, bucket: options.bucket, pid, stop: () => service.stop() };
  } catch (err) {
    await service.stop();
    throw err;
  }
}
