import type { Rng } from './rng.js';

/**
 * The seed's corruption: clean + noiseFactor * N(0, 1), clipped to [0, 1], drawn once per
 * image set from a seeded stream (the seed, too, draws its noisy copies once before training).
 */
export function addGaussianNoise(clean: Float32Array, noiseFactor: number, rng: Rng): Float32Array {
  const out = new Float32Array(clean.length);
  for (let i = 0; i < clean.length; i++) {
    const v = clean[i]! + noiseFactor * rng.nextNormal();
    out[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  return out;
}
