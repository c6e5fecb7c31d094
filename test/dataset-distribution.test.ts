import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ArtifactKeys, DatasetDistributionError, FASHION_MNIST_GZ_FILES, fashionMnistDir, fetchDataset, publishDataset,
  type ObjectStore, type StreamSource,
} from '@denoise-sweep/shared';
import { loadFashionMnist } from '@denoise-sweep/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useLocalServices } from './helpers/services.js';

const services = useLocalServices({ redis: false });
const root = mkdtempSync(join(tmpdir(), 'dataset-dist-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const sourceDir = fashionMnistDir();
const keys = new ArtifactKeys();
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A real store that counts what goes through it (not a mock: every call reaches S3). */
class CountingStore implements ObjectStore {
  puts: string[] = [];
  gets: string[] = [];
  constructor(private readonly inner: ObjectStore) {}
  put(key: string, body: Uint8Array | string) { this.puts.push(key); return this.inner.put(key, body); }
  putStream(key: string, body: StreamSource, length?: number) { this.puts.push(key); return this.inner.putStream(key, body, length); }
  get(key: string) { this.gets.push(key); return this.inner.get(key); }
  exists(key: string) { return this.inner.exists(key); }
  list(prefix: string) { return this.inner.list(prefix); }
  delete(key: string) { return this.inner.delete(key); }
  uri(key: string) { return this.inner.uri(key); }
  close() { this.inner.close(); }
}

describe('dataset distribution through S3', () => {
  let store: CountingStore;
  beforeAll(async () => {
    // A store under a prefix, as STORE_URL=s3://bucket/team-a opens it.
    store = new CountingStore(await services.newStore({ keyPrefix: 'team-a' }));
  });

  it('publishes the four files and then the manifest, once', async () => {
    const ref = await publishDataset(store, keys, sourceDir);
    expect(ref.name).toBe('fashion-mnist');
    expect(ref.sha256).toMatch(/^[0-9a-f]{64}$/);
    const prefix = `datasets/fashion-mnist/${ref.sha256}`;
    // Keys are relative to the store; the store puts them under its URL's prefix.
    expect(store.uri(`${prefix}/manifest.json`)).toMatch(new RegExp(`^s3://[^/]+/team-a/${prefix}/manifest.json$`));
    expect(store.puts).toEqual([...FASHION_MNIST_GZ_FILES.map((f) => `${prefix}/${f}`), `${prefix}/manifest.json`]);
    expect(await store.list(`${prefix}/`)).toEqual([...FASHION_MNIST_GZ_FILES.map((f) => `${prefix}/${f}`), `${prefix}/manifest.json`].sort());
    const manifest = (await store.get(`${prefix}/manifest.json`))!;
    expect(sha256(manifest)).toBe(ref.sha256);

    store.puts = [];
    expect(await publishDataset(store, keys, sourceDir)).toEqual(ref);
    expect(store.puts).toEqual([]);
  });

  it('fetches into an empty cache, verified, usable by loadFashionMnist, and serves the next fetch from the cache', async () => {
    const ref = await publishDataset(store, keys, sourceDir);
    const cache = join(root, 'cache-a');
    store.gets = [];
    const dir = await fetchDataset(store, keys, ref, cache);
    expect(dir).toBe(join(cache, 'fashion-mnist', ref.sha256));
    expect(readdirSync(dir).sort()).toEqual([...FASHION_MNIST_GZ_FILES, 'manifest.json'].sort());
    for (const f of FASHION_MNIST_GZ_FILES) expect(sha256(readFileSync(join(dir, f)))).toBe(sha256(readFileSync(join(sourceDir, f))));
    expect(store.gets).toHaveLength(5);

    const data = await loadFashionMnist({ dir, trainLimit: 10, testLimit: 10 });
    expect(data.train.count).toBe(10);

    store.gets = [];
    expect(await fetchDataset(store, keys, ref, cache)).toBe(dir);
    expect(store.gets).toEqual([]);
  });

  it('replaces a corrupted or missing cached file', async () => {
    const ref = await publishDataset(store, keys, sourceDir);
    const cache = join(root, 'cache-b');
    const dir = await fetchDataset(store, keys, ref, cache);
    const labels = join(dir, 't10k-labels-idx1-ubyte.gz');
    const good = readFileSync(labels);
    const bad = Buffer.from(good);
    bad[100] = bad[100]! ^ 0xff;
    writeFileSync(labels, bad);
    rmSync(join(dir, 'train-labels-idx1-ubyte.gz'));
    store.gets = [];
    await fetchDataset(store, keys, ref, cache);
    expect(readFileSync(labels)).toEqual(good);
    expect(store.gets.map((k) => k.split('/').pop()).sort()).toEqual(['t10k-labels-idx1-ubyte.gz', 'train-labels-idx1-ubyte.gz']);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('lets concurrent fetches share one cache', async () => {
    const ref = await publishDataset(store, keys, sourceDir);
    const cache = join(root, 'cache-c');
    const dirs = await Promise.all([fetchDataset(store, keys, ref, cache), fetchDataset(store, keys, ref, cache), fetchDataset(store, keys, ref, cache)]);
    expect(new Set(dirs).size).toBe(1);
    for (const f of FASHION_MNIST_GZ_FILES) expect(sha256(readFileSync(join(dirs[0]!, f)))).toBe(sha256(readFileSync(join(sourceDir, f))));
    expect(readdirSync(dirs[0]!).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses a tampered file or manifest in the store, and an unpublished digest', async () => {
    const tampered = await services.newStore();
    const ref = await publishDataset(tampered, keys, sourceDir);
    const prefix = keys.dataset(ref.name, ref.sha256);
    await tampered.put(`${prefix}/t10k-labels-idx1-ubyte.gz`, 'not the labels');
    const error = await fetchDataset(tampered, keys, ref, join(root, 'cache-d')).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetDistributionError);
    expect((error as DatasetDistributionError).kind).toBe('corrupt');
    expect((error as Error).message).toMatch(new RegExp(`^s3://${tampered.bucket}/${prefix}/t10k-labels-idx1-ubyte\\.gz is corrupt: 14 bytes .*publish the dataset again`));

    const manifest = JSON.parse(new TextDecoder().decode((await tampered.get(`${prefix}/manifest.json`))!)) as { files: { size: number }[] };
    manifest.files[0]!.size += 1;
    await tampered.put(`${prefix}/manifest.json`, JSON.stringify(manifest));
    await expect(fetchDataset(tampered, keys, ref, join(root, 'cache-e'))).rejects.toThrow(/manifest\.json has sha256 [0-9a-f]{64}, not the [0-9a-f]{64} the job asks for/);

    await expect(fetchDataset(tampered, keys, { name: 'fashion-mnist', sha256: 'ab'.repeat(32) }, join(root, 'cache-f')))
      .rejects.toThrow(/is not published: .* does not exist; run 'orchestrator sweep'/);
  });

  it('names the source directory when a file is missing', async () => {
    await expect(publishDataset(store, keys, join(root, 'empty'))).rejects.toThrow(/cannot read .*empty\/t10k-images-idx3-ubyte\.gz.*apt-get install dataset-fashion-mnist/);
  });
});
