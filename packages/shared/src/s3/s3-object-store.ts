import {
  CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand,
  ListObjectsV2Command, PutObjectCommand, S3Client, type BucketLocationConstraint, type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Readable } from 'node:stream';
import { ObjectStoreError } from '../object-store-error.js';
import { assertSafeKey, openStreamSource, type ObjectStore, type StreamSource } from '../object-store.js';
import { RetryExhaustedError, resolveRetryOptions, withRetry, type RetryOptions } from '../retry-policy.js';
import {
  httpStatus, isCredentialError, isNoSuchBucket, isNotFound, isRetryableS3Error, isUnreachable, primaryCode,
} from './s3-errors.js';

/** Where the store is and how patient to be with it. Credentials come from the SDK's default chain. */
export interface S3ObjectStoreConfig {
  /** Custom endpoint for MinIO, s3rver and other S3-compatible stores; undefined means AWS. */
  endpoint?: string;
  bucket: string;
  /** @defaultValue 'us-east-1' when empty */
  region: string;
  /** Prepended to every key: the path of the store's s3://bucket/prefix URL ('team-a' stores 'x' at 'team-a/x'). @defaultValue '' */
  keyPrefix?: string;
  /**
   * Explicit credentials (tests, local mode). Leave undefined in production so the SDK's default
   * chain applies: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles, instance or pod roles.
   */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Backoff for transient failures. @defaultValue DEFAULT_RETRY_OPTIONS (10 attempts, 0.5 s doubling to 30 s) */
  retry?: Partial<RetryOptions>;
  /** Time allowed to open a connection. @defaultValue 5000 */
  connectionTimeoutMs?: number;
  /** Time a request may go without progress before it counts as a (retryable) timeout. @defaultValue 120000 */
  requestTimeoutMs?: number;
  /** Called before each retry, for logs: the store was unreachable or overloaded. */
  onRetry?: (info: { operation: string; uri: string; attempt: number; delayMs: number; code: string | undefined }) => void;
}

const ignore = (): void => undefined;
const SILENT_LOGGER = { trace: ignore, debug: ignore, info: ignore, warn: ignore, error: ignore };

/** Attempts of check(): enough to ride out a dropped connection, few enough to answer within seconds. */
const CHECK_ATTEMPTS = 3;

/** Multipart part size for uploads of unknown length (S3's minimum is 5 MiB). */
const PART_SIZE_BYTES = 8 * 1024 * 1024;

/** The endpoint as people should see it: no user info, no trailing slash. */
function displayEndpoint(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    url.username = '';
    url.password = '';
    return url.toString().replace(/\/$/, '');
  } catch {
    return endpoint.replace(/\/\/[^@/]*@/, '//');
  }
}

function cleanPrefix(prefix: string): string {
  const clean = prefix.replace(/^\/+|\/+$/g, '');
  if (clean !== '') assertSafeKey(clean);
  return clean;
}

/**
 * An ObjectStore in an S3 bucket (AWS, MinIO, s3rver). Every operation retries transient
 * failures (RETRYABLE_ERROR_CODES, RETRYABLE_HTTP_STATUSES) with exponential backoff, then fails
 * with an ObjectStoreError naming the object and what to check.
 */
export class S3ObjectStore implements ObjectStore {
  readonly bucket: string;
  readonly prefix: string;
  private readonly client: S3Client;
  private readonly retry: RetryOptions;
  private readonly where: string;
  private readonly config: S3ObjectStoreConfig;

  constructor(config: S3ObjectStoreConfig) {
    this.config = config;
    this.bucket = config.bucket;
    this.prefix = cleanPrefix(config.keyPrefix ?? '');
    this.retry = resolveRetryOptions(config.retry);
    const region = config.region || 'us-east-1';
    this.where = config.endpoint === undefined ? `AWS S3 (region ${region})` : `S3 endpoint ${displayEndpoint(config.endpoint)}`;
    const clientConfig: S3ClientConfig = {
      region,
      // Path-style URLs (http://host/bucket/key) for custom endpoints: MinIO and s3rver need them.
      forcePathStyle: config.endpoint !== undefined,
      // Without these a streamed PutObject is stored with aws-chunked framing inside it by
      // s3rver (and some other S3-compatible stores), silently.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // One retry layer, ours: the SDK's token bucket stops retrying during a long outage.
      maxAttempts: 1,
      // The SDK prints "non-retryable streaming request" to the console on every failed
      // streamed attempt; retries are ours and reported through onRetry and ObjectStoreError.
      logger: SILENT_LOGGER,
      requestHandler: { connectionTimeout: config.connectionTimeoutMs ?? 5_000, requestTimeout: config.requestTimeoutMs ?? 120_000 },
    };
    if (config.endpoint !== undefined) clientConfig.endpoint = config.endpoint;
    if (config.credentials !== undefined) clientConfig.credentials = config.credentials;
    this.client = new S3Client(clientConfig);
  }

  /** The bucket key of a store key. */
  private fullKey(key: string): string {
    assertSafeKey(key);
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  uri(key: string): string {
    return `s3://${this.bucket}/${this.fullKey(key)}`;
  }

  async put(key: string, body: Uint8Array | string): Promise<void> {
    const Key = this.fullKey(key);
    const Body = typeof body === 'string' ? new TextEncoder().encode(body) : body;
    await this.run('put', this.uri(key), () => this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body, ContentLength: Body.byteLength })));
  }

  async putStream(key: string, body: StreamSource, contentLength?: number): Promise<void> {
    const Key = this.fullKey(key);
    let current: Readable | undefined;
    // A bare stream can be retried only if the failed attempt read nothing from it.
    const canRetry = (): boolean => typeof body === 'function' || (current !== undefined && !current.readableDidRead && !current.destroyed);
    await this.run('put', this.uri(key), async (attempt) => {
      if (attempt === 1 || typeof body === 'function') {
        current?.destroy();
        current = openStreamSource(body);
      }
      const Body = current;
      if (Body === undefined) throw new Error('no stream to upload');
      if (contentLength !== undefined) {
        await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body, ContentLength: contentLength }));
      } else {
        await new Upload({ client: this.client, params: { Bucket: this.bucket, Key, Body }, partSize: PART_SIZE_BYTES, queueSize: 2 }).done();
      }
    }, canRetry);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const Key = this.fullKey(key);
    return this.run('get', this.uri(key), async () => {
      try {
        const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }));
        if (out.Body === undefined) return new Uint8Array(0);
        return await out.Body.transformToByteArray();
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    });
  }

  async exists(key: string): Promise<boolean> {
    const Key = this.fullKey(key);
    return this.run('head', this.uri(key), async () => {
      try {
        await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }));
        return true;
      } catch (err) {
        if (isNotFound(err)) return false;
        throw err;
      }
    });
  }

  async list(prefix: string): Promise<string[]> {
    const full = this.prefix ? `${this.prefix}/${prefix}` : prefix;
    const strip = this.prefix ? this.prefix.length + 1 : 0;
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.run('list', `s3://${this.bucket}/${full}`, () =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: full, ContinuationToken: token })));
      for (const object of page.Contents ?? []) {
        if (object.Key !== undefined) keys.push(object.Key.slice(strip));
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return keys.sort();
  }

  async delete(key: string): Promise<void> {
    const Key = this.fullKey(key);
    await this.run('delete', this.uri(key), () => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key })));
  }

  /**
   * Fails within seconds when this store cannot be used, with the message its operations would
   * give after all their retries: the endpoint unreachable or silent, the bucket missing, the
   * credentials refused. One listing of at most one key under the store's prefix (what a
   * prefix-scoped policy allows), CHECK_ATTEMPTS tries of at most `timeoutMs` each. `signal`
   * abandons it at once (its error then is the abort's).
   */
  async check(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    const { timeoutMs = 5_000, signal } = options;
    const uri = `s3://${this.bucket}${this.prefix ? `/${this.prefix}/` : ''}`;
    const started = Date.now();
    try {
      await withRetry(async () => {
        try {
          await this.client.send(
            new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix ? `${this.prefix}/` : undefined, MaxKeys: 1 }),
            { abortSignal: signal ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs) },
          );
        } catch (err) {
          if (signal?.aborted) throw signal.reason;
          // An endpoint that accepts connections and never answers: a timeout, as the socket's own would be.
          if ((err as Error).name === 'AbortError') throw Object.assign(new Error(`no answer within ${timeoutMs / 1000} s`), { name: 'TimeoutError' });
          throw err;
        }
      }, { ...this.retry, maxAttempts: CHECK_ATTEMPTS, maxDelayMs: Math.min(this.retry.maxDelayMs, 2_000) }, (err) => !signal?.aborted && isRetryableS3Error(err));
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      if (err instanceof RetryExhaustedError) throw this.describe('check', uri, err.lastError, err.attempts, Date.now() - started);
      throw err;
    }
  }

  /** Creates the bucket if it does not exist (local mode, tests); an existing bucket of ours is fine. */
  async ensureBucket(): Promise<void> {
    const uri = `s3://${this.bucket}`;
    const present = await this.run('head bucket', uri, async () => {
      try {
        await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
        return true;
      } catch (err) {
        if (isNotFound(err) || isNoSuchBucket(err)) return false;
        throw err;
      }
    });
    if (present) return;
    const region = this.config.region || 'us-east-1';
    await this.run('create bucket', uri, async () => {
      try {
        await this.client.send(new CreateBucketCommand({
          Bucket: this.bucket,
          ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
        }));
      } catch (err) {
        // A concurrent ensureBucket won the race.
        if (primaryCode(err) !== 'BucketAlreadyOwnedByYou') throw err;
      }
    });
  }

  /** Releases the client's sockets. */
  close(): void {
    this.client.destroy();
  }

  private async run<T>(operation: string, uri: string, op: (attempt: number) => Promise<T>, canRetry: () => boolean = () => true): Promise<T> {
    const started = Date.now();
    try {
      const { value } = await withRetry(op, this.retry, (err) => canRetry() && isRetryableS3Error(err), ({ attempt, error, delayMs }) =>
        this.config.onRetry?.({ operation, uri, attempt, delayMs, code: primaryCode(error) }));
      return value;
    } catch (err) {
      if (err instanceof RetryExhaustedError) throw this.describe(operation, uri, err.lastError, err.attempts, Date.now() - started);
      throw err;
    }
  }

  /** One message per kind of failure, saying what to check; never the credentials. */
  private describe(operation: string, uri: string, error: unknown, attempts: number, elapsedMs: number): ObjectStoreError {
    const code = primaryCode(error);
    const status = httpStatus(error);
    const transient = isRetryableS3Error(error);
    const tries = `after ${attempts} attempt${attempts === 1 ? '' : 's'} over ${(elapsedMs / 1000).toFixed(1)} s`;
    const what = `${operation} ${uri}`;
    let message: string;
    if (isUnreachable(error)) {
      const fix = this.config.endpoint === undefined
        ? 'check network access to AWS, or set S3_ENDPOINT for MinIO or another S3-compatible store'
        : 'check S3_ENDPOINT and that the server is running';
      // A timeout says how long it waited (the SDK's and check()'s messages do).
      const reason = code === 'TimeoutError' && error instanceof Error && error.message ? `${code}: ${error.message}` : code ?? 'network error';
      message = `${this.where} unreachable (${reason}) ${tries}, during ${what}: ${fix}`;
    } else if (isNoSuchBucket(error)) {
      message = `S3 bucket '${this.bucket}' does not exist at ${this.where} (${what}): create it, or name an existing bucket in STORE_URL (s3://bucket/prefix)`;
    } else if (isCredentialError(error)) {
      message = `${this.where} refused ${what} (${code}): check the credentials (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profile or role) and the bucket policy`;
    } else if (transient) {
      message = `${this.where} kept failing ${what} (${code ?? `HTTP ${status}`}) ${tries}: the store is overloaded or failing; retry later`;
    } else {
      const detail = error instanceof Error ? error.message : String(error);
      message = `S3 ${what} failed (${[code, status === undefined ? undefined : `HTTP ${status}`].filter(Boolean).join(', ') || 'error'}): ${detail}`;
    }
    return new ObjectStoreError(message, { operation, uri, attempts, transient, ...(code === undefined ? {} : { code }) }, { cause: error });
  }
}
