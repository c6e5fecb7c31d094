/**
 * The benchmark trains the project's own model: the worker's buildAutoencoder, so a change to
 * the model shows in the figures (the bench sits outside the packages and may use any of them).
 */
import type * as tf from '@tensorflow/tfjs';
import { buildAutoencoder } from '@denoise-sweep/worker';

export function buildBenchAutoencoder(filters: readonly number[], seed: number, imageSize = 28): tf.LayersModel {
  return buildAutoencoder({ filters, seed, imageSize });
}
