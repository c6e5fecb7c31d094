import { UsageError } from './cli-errors.js';

/**
 * Where the queue and the object store are. Read once at start-up: flags override the
 * environment, the environment overrides defaults. AWS credentials are not here: the SDK's
 * default chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles, instance roles) finds them.
 */
export interface RuntimeConfig {
  /** redis:// or rediss:// URL; undefined means local mode (the orchestrator starts its own). */
  redisUrl?: string;
  s3: S3Location;
}

export interface S3Location {
  /** Custom endpoint for MinIO and other S3-compatible stores; undefined means AWS. */
  endpoint?: string;
  /** @defaultValue 'denoise-sweep' */
  bucket: string;
  /** @defaultValue 'us-east-1' */
  region: string;
  /** Key prefix inside the bucket, e.g. 'team-a'. @defaultValue '' */
  prefix: string;
}

export interface RuntimeConfigFlags {
  redis?: string;
  s3Endpoint?: string;
  s3Bucket?: string;
  s3Region?: string;
  s3Prefix?: string;
}

export const DEFAULT_BUCKET = 'denoise-sweep';
export const DEFAULT_REGION = 'us-east-1';

function checkUrl(value: string, what: string, protocols: string[]): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${what} is not a URL: '${redactUrl(value)}' (expected e.g. ${protocols[0]}//host:port)`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new UsageError(`${what} must start with ${protocols.map((p) => `${p}//`).join(' or ')}, got '${redactUrl(value)}'`);
  }
  return value;
}

/** A URL with any password replaced, for messages and logs. */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return value.replace(/\/\/[^@/]*@/, '//***@');
  }
}

export function readRuntimeConfig(flags: RuntimeConfigFlags = {}, env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const redisUrl = flags.redis ?? (env.REDIS_URL || undefined);
  const endpoint = flags.s3Endpoint ?? (env.S3_ENDPOINT || undefined);
  const bucket = flags.s3Bucket ?? (env.S3_BUCKET || DEFAULT_BUCKET);
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new UsageError(`S3 bucket '${bucket}' is not a valid bucket name (3-63 of a-z, 0-9, '.', '-'): set S3_BUCKET or --s3-bucket`);
  }
  const prefix = (flags.s3Prefix ?? env.S3_PREFIX ?? '').replace(/^\/+|\/+$/g, '');
  if (prefix.split('/').some((p) => p === '..' || p === '.') || /[^A-Za-z0-9/_.-]/.test(prefix)) {
    throw new UsageError(`S3 prefix '${prefix}' may hold only letters, digits, '/', '_', '.', '-' and no '..' segment: fix S3_PREFIX or --s3-prefix`);
  }
  return {
    redisUrl: redisUrl === undefined ? undefined : checkUrl(redisUrl, 'REDIS_URL (or --redis)', ['redis:', 'rediss:']),
    s3: {
      endpoint: endpoint === undefined ? undefined : checkUrl(endpoint, 'S3_ENDPOINT (or --s3-endpoint)', ['http:', 'https:']),
      bucket,
      region: flags.s3Region ?? (env.S3_REGION || env.AWS_REGION || DEFAULT_REGION),
      prefix,
    },
  };
}

/** The flags both binaries take for the queue and the store, in commander's `--flag <value>` form. */
export const RUNTIME_FLAGS: readonly { flags: string; description: string }[] = [
  { flags: '--redis <url>', description: 'Redis URL, redis:// or rediss:// (env REDIS_URL)' },
  { flags: '--s3-endpoint <url>', description: 'S3-compatible endpoint, e.g. http://minio:9000 (env S3_ENDPOINT; default AWS)' },
  { flags: '--s3-bucket <name>', description: `bucket (env S3_BUCKET; default ${DEFAULT_BUCKET})` },
  { flags: '--s3-region <region>', description: `region (env S3_REGION; default ${DEFAULT_REGION})` },
  { flags: '--s3-prefix <prefix>', description: 'key prefix inside the bucket (env S3_PREFIX)' },
];
