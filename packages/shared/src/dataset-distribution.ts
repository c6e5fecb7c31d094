import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';
import type { ArtifactKeys } from './artifact-keys.js';
import { canonicalJson } from './canonical-json.js';
import { FASHION_MNIST_DATASET, FASHION_MNIST_FILES } from './fashion-mnist-files.js';
import type { ObjectStore } from './object-store.js';

/**
 * Dataset distribution: the orchestrator publishes the dataset to the object store once,
 * content-addressed (`datasets/<name>/<sha256>/`), and every worker fetches it into a local
 * cache, verifying each byte against the manifest. The digest is the sha256 of the manifest,
 * which lists each file's name, size and sha256, so one digest pins every file.
 */

/** A dataset published content-addressed in the object store. */
export interface DatasetRef {
  name: string;
  /** sha256 (hex) of the dataset's manifest.json bytes. */
  sha256: string;
}

interface DatasetManifest {
  format: 1;
  name: string;
  /** Sorted by name. */
  files: DatasetFile[];
}

interface DatasetFile {
  name: string;
  size: number;
  sha256: string;
}

const DATASET_MANIFEST_FILE = 'manifest.json';

/** The four gzipped IDX files, as published and cached. */
export const FASHION_MNIST_GZ_FILES: readonly string[] = Object.values(FASHION_MNIST_FILES).map((name) => `${name}.gz`).sort();

/** Why a dataset could not be published or fetched; `kind` tells callers whether retrying can help. */
export class DatasetDistributionError extends Error {
  constructor(message: string, readonly kind: 'source' | 'missing' | 'corrupt', options?: ErrorOptions) {
    super(message, options);
    this.name = 'DatasetDistributionError';
  }
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function sha256OfFile(path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

/** The manifest's bytes: canonical JSON, so the same files always give the same digest. */
function manifestBytes(manifest: DatasetManifest): Uint8Array {
  return new TextEncoder().encode(canonicalJson(manifest));
}

/**
 * Uploads the four gzipped Fashion-MNIST files in sourceDir (as Debian's dataset-fashion-mnist
 * installs them) under `datasets/fashion-mnist/<sha256>/`, then manifest.json last, so a
 * manifest is present only when every file is. A no-op when the manifest is already there.
 */
export async function publishDataset(
  store: ObjectStore,
  keys: ArtifactKeys,
  sourceDir: string,
  options: { log?: (message: string) => void } = {},
): Promise<DatasetRef> {
  const files: DatasetFile[] = [];
  for (const name of FASHION_MNIST_GZ_FILES) {
    const path = join(sourceDir, name);
    try {
      files.push({ name, ...(await sha256OfFile(path)) });
    } catch (err) {
      throw new DatasetDistributionError(
        `cannot read ${path}: ${(err as Error).message}; install the dataset with 'apt-get install dataset-fashion-mnist' `
          + 'or set FASHION_MNIST_DIR to a directory holding the four gzipped IDX files',
        'source',
        { cause: err },
      );
    }
  }
  const manifest: DatasetManifest = { format: 1, name: FASHION_MNIST_DATASET, files };
  const bytes = manifestBytes(manifest);
  const ref: DatasetRef = { name: FASHION_MNIST_DATASET, sha256: sha256Hex(bytes) };
  const dir = keys.dataset(ref.name, ref.sha256);
  if (await store.exists(`${dir}/${DATASET_MANIFEST_FILE}`)) return ref;
  for (const file of files) {
    options.log?.(`uploading ${file.name} (${file.size} bytes) to ${store.uri(`${dir}/${file.name}`)}`);
    await store.putStream(`${dir}/${file.name}`, () => createReadStream(join(sourceDir, file.name)), file.size);
  }
  await store.put(`${dir}/${DATASET_MANIFEST_FILE}`, bytes);
  return ref;
}

function parseManifest(bytes: Uint8Array, where: string, ref: DatasetRef): DatasetManifest {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new DatasetDistributionError(`${where} is not JSON`, 'corrupt', { cause: err });
  }
  const m = value as Partial<DatasetManifest>;
  const valid = m.format === 1 && m.name === ref.name && Array.isArray(m.files) && m.files.every((f) =>
    typeof f === 'object' && f !== null && typeof f.name === 'string' && FILE_NAME.test(f.name)
    && Number.isSafeInteger(f.size) && f.size >= 0 && typeof f.sha256 === 'string' && SHA256_HEX.test(f.sha256));
  if (!valid) throw new DatasetDistributionError(`${where} is not a dataset manifest for ${ref.name}`, 'corrupt');
  return m as DatasetManifest;
}

/** Whether a cached file is present with the manifest's size and sha256. */
async function cachedFileIsValid(path: string, file: DatasetFile): Promise<boolean> {
  try {
    if ((await stat(path)).size !== file.size) return false;
    return (await sha256OfFile(path)).sha256 === file.sha256;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

async function loadManifest(store: ObjectStore, keys: ArtifactKeys, ref: DatasetRef, cachedPath: string): Promise<DatasetManifest> {
  const cached = await readFile(cachedPath).catch(() => undefined);
  if (cached !== undefined && sha256Hex(cached) === ref.sha256) return parseManifest(cached, cachedPath, ref);
  const key = `${keys.dataset(ref.name, ref.sha256)}/${DATASET_MANIFEST_FILE}`;
  const bytes = await store.get(key);
  if (bytes === undefined) {
    throw new DatasetDistributionError(
      `dataset ${ref.name}@${ref.sha256.slice(0, 12)} is not published: ${store.uri(key)} does not exist; `
        + "run 'orchestrator sweep' to publish it, and check that the worker uses the same bucket and S3_PREFIX",
      'missing',
    );
  }
  const actual = sha256Hex(bytes);
  if (actual !== ref.sha256) {
    throw new DatasetDistributionError(
      `${store.uri(key)} has sha256 ${actual}, not the ${ref.sha256} the job asks for: the stored manifest was modified; `
        + `delete ${store.uri(keys.dataset(ref.name, ref.sha256))} and publish the dataset again`,
      'corrupt',
    );
  }
  const manifest = parseManifest(bytes, store.uri(key), ref);
  await writeFileAtomic(cachedPath, bytes);
  return manifest;
}

/**
 * Makes `<cacheDir>/<name>/<sha256>/` hold the dataset's files, each verified by size and
 * sha256 against the manifest (whose own sha256 must be ref.sha256), downloading only what is
 * missing or corrupt. Safe when several processes fetch into one cache at once. Returns the
 * directory, to pass to loadFashionMnist as its `dir`.
 */
export async function fetchDataset(store: ObjectStore, keys: ArtifactKeys, ref: DatasetRef, cacheDir: string): Promise<string> {
  const prefix = keys.dataset(ref.name, ref.sha256); // validates name and digest
  if (!SHA256_HEX.test(ref.sha256)) throw new DatasetDistributionError(`dataset digest '${ref.sha256}' is not a sha256`, 'corrupt');
  const dir = join(cacheDir, ref.name, ref.sha256);
  await mkdir(dir, { recursive: true });
  const manifest = await loadManifest(store, keys, ref, join(dir, DATASET_MANIFEST_FILE));
  for (const file of manifest.files) {
    const path = join(dir, file.name);
    if (await cachedFileIsValid(path, file)) continue;
    const key = `${prefix}/${file.name}`;
    const bytes = await store.get(key);
    if (bytes === undefined) {
      throw new DatasetDistributionError(`${store.uri(key)} is missing although its manifest lists it: publish the dataset again`, 'missing');
    }
    const actual = sha256Hex(bytes);
    if (bytes.byteLength !== file.size || actual !== file.sha256) {
      throw new DatasetDistributionError(
        `${store.uri(key)} is corrupt: ${bytes.byteLength} bytes with sha256 ${actual}, but the manifest says ${file.size} bytes `
          + `with sha256 ${file.sha256}; delete ${store.uri(prefix)} and publish the dataset again`,
        'corrupt',
      );
    }
    await writeFileAtomic(path, bytes);
  }
  return dir;
}
