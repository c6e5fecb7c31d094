import type { ObjectStore } from './object-store.js';
import { FileObjectStore } from './object-store.js';
import type { RetryOptions } from './retry-policy.js';
import { parseStoreUrl } from './store-url.js';

/** A store to open: its URL and, for s3:// URLs, the endpoint and region. */
export interface StoreConfig {
  /** s3://bucket/prefix or file:///dir */
  url: string;
  /** S3-compatible endpoint (MinIO...); undefined means AWS. */
  s3Endpoint?: string;
  s3Region: string;
}

/** Store tuning that only tests and benchmarks change. */
export interface OpenStoreOptions {
  /** Explicit S3 credentials; undefined: the AWS SDK's default chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  retry?: Partial<RetryOptions>;
}

/**
 * Opens the store a URL names. Every program opens its store here. The S3 backend is loaded
 * only for s3:// URLs, so a program on a file store never loads the AWS SDK.
 */
export async function openStore(config: StoreConfig, options: OpenStoreOptions = {}): Promise<ObjectStore> {
  const location = parseStoreUrl(config.url);
  if (location.kind === 'file') return new FileObjectStore(location.dir);
  const { S3ObjectStore } = await import('./s3/s3-object-store.js');
  return new S3ObjectStore({
    endpoint: config.s3Endpoint,
    region: config.s3Region,
    bucket: location.bucket,
    keyPrefix: location.prefix,
    credentials: options.credentials,
    retry: options.retry,
  });
}
