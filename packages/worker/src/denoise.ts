import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { UsageError } from '@denoise-sweep/shared';
import * as tf from '@tensorflow/tfjs';
import { PNG } from 'pngjs';
import { parseIdxImages } from './idx-file.js';

const SIDE = 28;
const PIXELS = SIDE * SIDE;

/** Images to denoise, each 28x28 grey levels in [0, 1], with the name its output gets. */
export interface NamedImage {
  name: string;
  pixels: Float32Array;
}

/**
 * Loads a model written by `orchestrator export` (model.json + weights.bin in the tfjs Layers
 * format). A directory without them, or with a model that does not map 28x28x1 images to
 * 28x28x1 images, is a usage error.
 */
export async function loadDenoiser(dir: string): Promise<tf.LayersModel> {
  let json: { format?: string; modelTopology?: object; weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  let weights: Uint8Array;
  try {
    json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as typeof json;
    weights = await readFile(join(dir, 'weights.bin'));
  } catch (error) {
    throw new UsageError(`${dir} is not a model directory (${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no model.json and weights.bin' : (error as Error).message}): write one with 'orchestrator export SWEEP --out DIR'`);
  }
  const specs = json.weightsManifest?.[0]?.weights;
  if (json.format !== 'layers-model' || !json.modelTopology || !specs) {
    throw new UsageError(`${join(dir, 'model.json')} is not a TensorFlow.js Layers model: write one with 'orchestrator export SWEEP --out DIR'`);
  }
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData }));
  const shape = (s: tf.Shape | tf.Shape[]) => JSON.stringify(Array.isArray(s[0]) ? s[0] : s);
  if (shape(model.inputs[0]!.shape) !== JSON.stringify([null, SIDE, SIDE, 1]) || shape(model.outputs[0]!.shape) !== JSON.stringify([null, SIDE, SIDE, 1])) {
    model.dispose();
    throw new UsageError(`${dir} holds a model of another shape (input ${shape(model.inputs[0]!.shape)}): a denoiser takes and returns 28x28x1 images`);
  }
  return model;
}

/** Reads the images of PNG files (28x28; colour is turned to grey) and IDX image files (every image in them). */
export async function readImages(files: readonly string[]): Promise<NamedImage[]> {
  const images: NamedImage[] = [];
  for (const file of files) {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(file);
    } catch (error) {
      throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
    }
    const stem = basename(file).replace(/\.(png|gz)$/i, '');
    if (bytes.length >= 8 && Buffer.from(bytes.subarray(0, 8)).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
      const png = PNG.sync.read(Buffer.from(bytes));
      if (png.width !== SIDE || png.height !== SIDE) throw new UsageError(`${file} is ${png.width}x${png.height}: the model denoises 28x28 images`);
      const pixels = new Float32Array(PIXELS);
      for (let i = 0; i < PIXELS; i++) {
        const [r, g, b] = [png.data[4 * i]!, png.data[4 * i + 1]!, png.data[4 * i + 2]!];
        pixels[i] = (0.299 * r + 0.587 * g + 0.114 * b) / 255;
      }
      images.push({ name: `${stem}.png`, pixels });
      continue;
    }
    let idx;
    try {
      idx = parseIdxImages(bytes, file);
    } catch (error) {
      throw new UsageError(`${file} is neither a PNG image nor an IDX image file (${(error as Error).message})`);
    }
    if (idx.rows !== SIDE || idx.cols !== SIDE) throw new UsageError(`${file} holds ${idx.rows}x${idx.cols} images: the model denoises 28x28 images`);
    const digits = String(idx.count).length;
    for (let n = 0; n < idx.count; n++) {
      const pixels = new Float32Array(PIXELS);
      for (let i = 0; i < PIXELS; i++) pixels[i] = idx.pixels[n * PIXELS + i]! / 255;
      images.push({ name: `${stem}-${String(n).padStart(digits, '0')}.png`, pixels });
    }
  }
  return images;
}

/** Runs the model over the images in batches; returns the denoised pixels of each, in [0, 1]. */
export async function denoiseImages(model: tf.LayersModel, images: readonly NamedImage[], batchSize = 256): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let start = 0; start < images.length; start += batchSize) {
    const batch = images.slice(start, start + batchSize);
    const input = new Float32Array(batch.length * PIXELS);
    batch.forEach((image, i) => input.set(image.pixels, i * PIXELS));
    const y = tf.tidy(() => model.predict(tf.tensor4d(input, [batch.length, SIDE, SIDE, 1])) as tf.Tensor);
    const values = (await y.data()) as Float32Array;
    y.dispose();
    for (let i = 0; i < batch.length; i++) out.push(values.slice(i * PIXELS, (i + 1) * PIXELS));
  }
  return out;
}

/** A 28x28 grey PNG of pixels in [0, 1]. */
export function greyPng(pixels: Float32Array): Buffer {
  const png = new PNG({ width: SIDE, height: SIDE });
  for (let i = 0; i < PIXELS; i++) {
    const v = Math.round(Math.min(1, Math.max(0, pixels[i]!)) * 255);
    png.data[4 * i] = v;
    png.data[4 * i + 1] = v;
    png.data[4 * i + 2] = v;
    png.data[4 * i + 3] = 255;
  }
  return PNG.sync.write(png);
}
