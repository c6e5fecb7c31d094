import { createHash, randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { ObjectStoreError } from '@denoise-sweep/shared';
import { findFreePort } from '@denoise-sweep/orchestrator/local';
import { S3RVER_CREDENTIALS, startS3Server } from './helpers/s3-server.js';
import { S3ObjectStore } from '@denoise-sweep/shared/s3';
import { describe, expect, it } from 'vitest';
import { useLocalServices } from './helpers/services.js';

const services = useLocalServices({ redis: false });
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const text = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : new TextDecoder().decode(bytes));

/** Splits bytes into uneven chunks, as a file or socket stream would deliver them. */
function chunked(bytes: Uint8Array, size = 64 * 1024 + 7): Readable {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return Readable.from(chunks);
}

describe('S3ObjectStore against s3rver', () => {
  it('puts, gets, checks, lists and deletes objects', async () => {
    const store = await services.newStore();
    await store.put('sweeps/a/result.json', '{"ok":true}');
    await store.put('sweeps/a/weights.bin', new Uint8Array([0, 1, 2, 255]));
    expect(text(await store.get('sweeps/a/result.json'))).toBe('{"ok":true}');
    expect(await store.get('sweeps/a/weights.bin')).toEqual(new Uint8Array([0, 1, 2, 255]));
    expect(await store.get('sweeps/a/missing.json')).toBeUndefined();
    expect(await store.exists('sweeps/a/result.json')).toBe(true);
    expect(await store.exists('sweeps/a/missing.json')).toBe(false);
    expect(await store.list('sweeps/')).toEqual(['sweeps/a/result.json', 'sweeps/a/weights.bin']);
    expect(await store.list('nothing/')).toEqual([]);
    await store.delete('sweeps/a/result.json');
    await store.delete('sweeps/a/result.json');
    expect(await store.exists('sweeps/a/result.json')).toBe(false);
    expect(store.uri('sweeps/a/weights.bin')).toBe(`s3://${store.bucket}/sweeps/a/weights.bin`);
    expect(() => store.uri('../escape')).toThrow(/unsafe object key/);
  });

  it('keeps keys under keyPrefix and hides it from callers', async () => {
    const store = await services.newStore({ keyPrefix: 'team-a/' });
    const bare = new S3ObjectStore(services.s3Config(store.bucket));
    try {
      await store.put('x/y.txt', 'y');
      expect(await store.list('')).toEqual(['x/y.txt']);
      expect(await bare.list('')).toEqual(['team-a/x/y.txt']);
      expect(store.uri('x/y.txt')).toBe(`s3://${store.bucket}/team-a/x/y.txt`);
    } finally {
      bare.close();
    }
  });

  it('lists more than 1000 keys by following continuation tokens', async () => {
    const store = await services.newStore();
    const keys = Array.from({ length: 1105 }, (_, i) => `many/k-${String(i).padStart(5, '0')}`);
    for (let i = 0; i < keys.length; i += 25) await Promise.all(keys.slice(i, i + 25).map((k) => store.put(k, k)));
    await store.put('other/z', 'z');
    expect(await store.list('many/')).toEqual(keys);
  });

  it('stores streamed uploads byte for byte (no aws-chunked framing), with and without a length', async () => {
    const store = await services.newStore();
    const small = new Uint8Array(randomBytes(1_500_000));
    await store.putStream('stream/known-length.bin', chunked(small), small.length);
    const readBack = await store.get('stream/known-length.bin');
    expect(readBack?.length).toBe(small.length);
    expect(sha256(readBack!)).toBe(sha256(small));

    // Unknown length: a multipart upload (two 8 MiB parts and a tail).
    const large = new Uint8Array(randomBytes(17 * 1024 * 1024));
    await store.putStream('stream/unknown-length.bin', () => chunked(large));
    const largeBack = await store.get('stream/unknown-length.bin');
    expect(largeBack?.length).toBe(large.length);
    expect(sha256(largeBack!)).toBe(sha256(large));
  });

  it('a read while the object is rewritten sees one whole version, never a partial one (S3 replaces objects atomically)', async () => {
    const store = await services.newStore();
    const versions = Array.from({ length: 4 }, (_, i) => JSON.stringify({ version: i, pad: 'x'.repeat(1_000_000 + i * 1_000) }));
    await store.put('race/result.json', versions[0]!);
    let writing = true;
    const writer = (async () => {
      for (let round = 0; round < 10; round++) for (const v of versions) await store.put('race/result.json', v);
      writing = false;
    })();
    const reader = async () => {
      const lengths: number[] = [];
      while (writing) lengths.push(text(await store.get('race/result.json'))!.length);
      return lengths;
    };
    const lengths = (await Promise.all([reader(), reader(), reader()])).flat();
    await writer;
    const whole = new Set(versions.map((v) => v.length));
    expect(lengths.filter((n) => !whole.has(n)), 'lengths of reads that were not one whole version').toEqual([]);
    expect(lengths.length).toBeGreaterThan(0);
    expect(await store.list('race/')).toEqual(['race/result.json']);
  });

  it('fails after its bounded attempts with a message naming the endpoint, the object and the fix', async () => {
    const port = await findFreePort();
    const store = new S3ObjectStore({
      endpoint: `http://127.0.0.1:${port}`, bucket: 'nowhere', region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'very-secret-key' },
      retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 50 },
    });
    const retries: number[] = [];
    const observed = new S3ObjectStore({
      endpoint: `http://127.0.0.1:${port}`, bucket: 'nowhere', region: 'us-east-1', credentials: { ...S3RVER_CREDENTIALS },
      retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 50 }, onRetry: ({ attempt }) => retries.push(attempt),
    });
    try {
      const error = await store.put('sweeps/s/result.json', '{}').then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(ObjectStoreError);
      const e = error as ObjectStoreError;
      expect(e.message).toMatch(new RegExp(`^S3 endpoint http://127\\.0\\.0\\.1:${port} unreachable \\(ECONNREFUSED\\) after 3 attempts`));
      expect(e.message).toContain('s3://nowhere/sweeps/s/result.json');
      expect(e.message).toContain('check S3_ENDPOINT');
      expect(e.message).not.toContain('very-secret-key');
      expect(e.details).toMatchObject({ operation: 'put', attempts: 3, transient: true, code: 'ECONNREFUSED' });
      await expect(observed.get('k')).rejects.toThrow(/unreachable/);
      expect(retries).toEqual([1, 2]);
    } finally {
      store.close();
      observed.close();
    }
  });

  it('says which bucket is missing, without retrying', async () => {
    const store = new S3ObjectStore(services.s3Config('no-such-bucket-here'));
    try {
      await expect(store.put('k', 'v')).rejects.toThrow(/S3 bucket 'no-such-bucket-here' does not exist .*name an existing bucket in STORE_URL/);
      const error = await store.get('k').then(() => undefined, (e: unknown) => e as ObjectStoreError);
      expect(error?.details).toMatchObject({ attempts: 1, transient: false, code: 'NoSuchBucket' });
    } finally {
      store.close();
    }
  });

  it('check() passes on a usable store and fails within seconds, saying what to fix, on one that is not', async () => {
    const good = await services.newStore({ keyPrefix: 'team-a' });
    await good.check();
    good.close();
    // Refused connections: 3 quick attempts, not the 10 with backoff up to 30 s that ride out an outage.
    const port = await findFreePort();
    const refused = new S3ObjectStore({ endpoint: `http://127.0.0.1:${port}`, bucket: 'b', region: 'us-east-1', credentials: { ...S3RVER_CREDENTIALS } });
    const started = Date.now();
    const error = await refused.check().then(() => undefined, (e: unknown) => e as ObjectStoreError);
    refused.close();
    expect(error?.message).toMatch(new RegExp(`^S3 endpoint http://127\\.0\\.0\\.1:${port} unreachable \\(ECONNREFUSED\\) after 3 attempts .*during check s3://b: check S3_ENDPOINT`));
    expect(Date.now() - started).toBeLessThan(10_000);
    // An endpoint that accepts connections and never answers.
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const sink = new S3ObjectStore({ endpoint: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, bucket: 'b', region: 'us-east-1', credentials: { ...S3RVER_CREDENTIALS } });
    try {
      const timeout = await sink.check({ timeoutMs: 300 }).then(() => undefined, (e: unknown) => e as ObjectStoreError);
      expect(timeout?.message).toMatch(/unreachable \(TimeoutError: no answer within 0\.3 s\) after 3 attempts/);
      expect(timeout?.details).toMatchObject({ operation: 'check', attempts: 3, transient: true });
      // Abandoned: at once, with the abort's reason, not after its timeouts.
      const stop = new AbortController();
      const abandoned = sink.check({ signal: stop.signal }).then(() => undefined, (e: unknown) => e);
      setTimeout(() => stop.abort(new Error('stopping')), 100);
      const at = Date.now();
      expect(await abandoned).toEqual(new Error('stopping'));
      expect(Date.now() - at).toBeLessThan(10_000); // its 3 attempts would take 15 s
    } finally {
      sink.close();
      silent.close();
    }
    // No such bucket: at once, without retrying.
    const missing = new S3ObjectStore(services.s3Config('no-such-bucket-either'));
    const noBucket = await missing.check().then(() => undefined, (e: unknown) => e as ObjectStoreError);
    missing.close();
    expect(noBucket?.message).toMatch(/S3 bucket 'no-such-bucket-either' does not exist/);
    expect(noBucket?.details).toMatchObject({ attempts: 1, transient: false });
    // Credentials the store refuses.
    const theirs = await services.newStore();
    const stranger = new S3ObjectStore({ ...services.s3Config(theirs.bucket), credentials: { accessKeyId: 'NOT-A-KEY', secretAccessKey: 'wrong' } });
    const refusedKey = await stranger.check().then(() => undefined, (e: unknown) => e as ObjectStoreError);
    stranger.close();
    theirs.close();
    expect(refusedKey?.message).toMatch(/refused check s3:\/\/.*\(InvalidAccessKeyId\): check the credentials/);
  });

  it('rides out a server that comes up while it retries', async () => {
    const port = await findFreePort();
    const store = new S3ObjectStore({
      endpoint: `http://127.0.0.1:${port}`, bucket: 'late', region: 'us-east-1', credentials: { ...S3RVER_CREDENTIALS },
      retry: { maxAttempts: 40, baseDelayMs: 100, maxDelayMs: 300 },
    });
    const retried: string[] = [];
    const streaming = new S3ObjectStore({
      endpoint: `http://127.0.0.1:${port}`, bucket: 'late', region: 'us-east-1', credentials: { ...S3RVER_CREDENTIALS },
      retry: { maxAttempts: 40, baseDelayMs: 100, maxDelayMs: 300 }, onRetry: ({ code }) => retried.push(code ?? '?'),
    });
    const body = new Uint8Array(randomBytes(300_000));
    const put = store.put('late/object.txt', 'made it');
    const putStream = streaming.putStream('late/stream.bin', () => chunked(body), body.length);
    await new Promise((r) => setTimeout(r, 1_500));
    const server = await startS3Server({ dir: `${services.dir}/late-s3`, port, bucket: 'late' });
    try {
      await Promise.all([put, putStream]);
      expect(text(await store.get('late/object.txt'))).toBe('made it');
      expect(sha256((await store.get('late/stream.bin'))!)).toBe(sha256(body));
      expect(retried.length).toBeGreaterThan(0);
      expect(retried[0]).toBe('ECONNREFUSED');
    } finally {
      store.close();
      streaming.close();
      await server.stop();
    }
  });
});
