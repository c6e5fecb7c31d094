import * as tf from '@tensorflow/tfjs';
import { imageQuality, type QualitySummary } from './image-quality.js';

const SIDE = 28;
const PIXELS = SIDE * SIDE;

/**
 * The model's output for `count` images, `chunk` at a time, in inference mode. Reads each
 * chunk back asynchronously (no synchronous read: backends such as WebGPU have none in Node).
 */
export async function denoiseAll(model: tf.LayersModel, images: Float32Array, count: number, chunk: number): Promise<Float32Array> {
  const out = new Float32Array(count * PIXELS);
  for (let start = 0; start < count; start += chunk) {
    const n = Math.min(chunk, count - start);
    // The tidy returns the tensor, not its values: tidy walks whatever it returns, and a
    // Float32Array of 392,000 floats costs it about a second per chunk.
    const y = tf.tidy(() => {
      const x = tf.tensor4d(images.subarray(start * PIXELS, (start + n) * PIXELS), [n, SIDE, SIDE, 1]);
      return model.apply(x, { training: false }) as tf.Tensor;
    });
    out.set(await y.data(), start * PIXELS);
    y.dispose();
  }
  return out;
}

export interface Evaluation {
  quality: QualitySummary;
  /** Seconds of the forward passes (denoiseAll). */
  forwardSeconds: number;
  /** Seconds of MSE, PSNR and SSIM (imageQuality). */
  qualitySeconds: number;
}

/** Denoises the noisy test images and measures the result against the clean ones. */
export async function evaluateDenoiser(model: tf.LayersModel, noisy: Float32Array, clean: Float32Array, count: number, chunk: number): Promise<Evaluation> {
  const t0 = performance.now();
  const denoised = await denoiseAll(model, noisy, count, chunk);
  const t1 = performance.now();
  const quality = imageQuality(denoised, clean, count, SIDE);
  return { quality, forwardSeconds: (t1 - t0) / 1000, qualitySeconds: (performance.now() - t1) / 1000 };
}
