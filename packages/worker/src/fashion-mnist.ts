import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FASHION_MNIST_FILES, FASHION_MNIST_SIZES, fashionMnistDir } from '@denoise-sweep/shared';
import { DatasetError, parseIdxImages, parseIdxLabels } from './idx-file.js';

export { DEBIAN_FASHION_MNIST_DIR, fashionMnistDir } from '@denoise-sweep/shared';

/** Images scaled to [0, 1], as the seed does (x / 255). */
interface ImageSet {
  count: number;
  side: number;
  /** count * side * side floats in [0, 1]. */
  images: Float32Array;
  labels: Uint8Array;
}

export interface FashionMnist {
  train: ImageSet;
  test: ImageSet;
  /** The directory the files were read from. */
  dir: string;
}

export interface LoadFashionMnistOptions {
  /** @defaultValue FASHION_MNIST_DIR, else Debian's /usr/share/datasets/fashion-mnist */
  dir?: string;
  /** First N training images. @defaultValue 60000 */
  trainLimit?: number;
  /** First N test images. @defaultValue 10000 */
  testLimit?: number;
  /** Parsed files kept across calls: a training process reuses them from trial to trial. */
  cache?: FashionMnistCache;
}

interface RawSplit {
  imagesFile: string;
  rows: number;
  cols: number;
  count: number;
  pixels: Uint8Array;
  labels: Uint8Array;
}

/**
 * Parsed IDX files by path, for a process that trains many trials: inflating and checking the
 * 26 MB training file costs about half a second, which tiny trials should not pay each time.
 */
export class FashionMnistCache {
  private readonly splits = new Map<string, Promise<RawSplit>>();

  get(key: string, load: () => Promise<RawSplit>): Promise<RawSplit> {
    let split = this.splits.get(key);
    if (!split) {
      split = load();
      this.splits.set(key, split);
      split.catch(() => this.splits.delete(key));
    }
    return split;
  }
}

/** Finds `<name>.gz` or `<name>` in dir. */
function locate(dir: string, name: string): string {
  for (const candidate of [join(dir, `${name}.gz`), join(dir, name)]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new DatasetError(
    `Fashion-MNIST file ${name}(.gz) not found in ${dir}: install it with 'apt-get install dataset-fashion-mnist' or set FASHION_MNIST_DIR to a directory holding the original IDX files`,
  );
}

async function readSplit(imagesFile: string, labelsFile: string): Promise<RawSplit> {
  const idx = parseIdxImages(await readFile(imagesFile), imagesFile);
  const labels = parseIdxLabels(await readFile(labelsFile), labelsFile);
  if (idx.rows !== FASHION_MNIST_SIZES.side || idx.cols !== FASHION_MNIST_SIZES.side) {
    throw new DatasetError(`${imagesFile}: images are ${idx.rows}x${idx.cols}, expected 28x28`);
  }
  if (labels.length !== idx.count) {
    throw new DatasetError(`${labelsFile}: ${labels.length} labels for ${idx.count} images in ${imagesFile}`);
  }
  return { imagesFile, ...idx, labels };
}

async function loadSplit(dir: string, images: string, labels: string, limit: number, cache?: FashionMnistCache): Promise<ImageSet> {
  const imagesFile = locate(dir, images);
  const labelsFile = locate(dir, labels);
  const read = () => readSplit(imagesFile, labelsFile);
  const idx = cache ? await cache.get(`${imagesFile}\u0000${labelsFile}`, read) : await read();
  const labelBytes = idx.labels;
  if (limit > idx.count) {
    throw new DatasetError(`asked for ${limit} images but ${imagesFile} has ${idx.count}`);
  }
  const pixels = limit * idx.rows * idx.cols;
  const out = new Float32Array(pixels);
  for (let i = 0; i < pixels; i++) out[i] = idx.pixels[i]! / 255;
  return { count: limit, side: idx.rows, images: out, labels: labelBytes.slice(0, limit) };
}

/** Reads the original Fashion-MNIST IDX files (gzipped or not), verifying headers and sizes. */
export async function loadFashionMnist(options: LoadFashionMnistOptions = {}): Promise<FashionMnist> {
  const dir = options.dir ?? fashionMnistDir();
  const trainLimit = options.trainLimit ?? FASHION_MNIST_SIZES.train;
  const testLimit = options.testLimit ?? FASHION_MNIST_SIZES.test;
  for (const [what, n] of [['trainLimit', trainLimit], ['testLimit', testLimit]] as const) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`${what} must be a positive integer, got ${n}`);
  }
  const [train, test] = await Promise.all([
    loadSplit(dir, FASHION_MNIST_FILES.trainImages, FASHION_MNIST_FILES.trainLabels, trainLimit, options.cache),
    loadSplit(dir, FASHION_MNIST_FILES.testImages, FASHION_MNIST_FILES.testLabels, testLimit, options.cache),
  ]);
  return { train, test, dir };
}
