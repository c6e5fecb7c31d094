/**
 * Entry of the tests' S3-protocol server: runs s3rver in its own process because it needs
 * `node --openssl-legacy-provider` (paginated ListObjectsV2 answers HTTP 500 without it).
 * Configuration comes as JSON in argv[2]; readiness and errors go to the parent over IPC; the
 * process exits when the parent goes away or on SIGTERM.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import type { ServiceMessage } from '@denoise-sweep/orchestrator/local';
import { makeS3rverWritesAtomic } from './s3rver-atomic.js';

interface S3rverOptions {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  configureBuckets: { name: string }[];
}

interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
  httpServer?: Server;
}

export interface S3rverMainConfig {
  dir: string;
  host: string;
  port: number;
  bucket: string;
}

function send(message: ServiceMessage): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as S3rverMainConfig;
  mkdirSync(config.dir, { recursive: true });
  makeS3rverWritesAtomic();
  const S3rver = createRequire(import.meta.url)('s3rver') as new (options: S3rverOptions) => S3rverInstance;
  const server = new S3rver({
    address: config.host,
    port: config.port,
    directory: config.dir,
    silent: true,
    configureBuckets: [{ name: config.bucket }],
  });
  let closing = false;
  const shutdown = () => {
    if (closing) return;
    closing = true;
    server.httpServer?.closeAllConnections?.();
    server.close().then(() => process.exit(0), () => process.exit(0));
    setTimeout(() => process.exit(0), 5_000).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  process.on('disconnect', shutdown);
  try {
    const address = await server.run();
    send({ type: 'ready', port: address.port, pid: process.pid });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    send({ type: 'error', ...(e.code === undefined ? {} : { code: e.code }), message: e.message });
    process.exit(1);
  }
}

await main();
