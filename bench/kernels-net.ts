/**
 * The benchmark trains the project's own model: the worker's buildAutoencoder, so a change to
 * the model shows in the figures (the bench sits outside the packages and may use any of them).
 */
import type * as tf from '@tensorflow/tfjs';
import { buildAutoencoder } from '@denoise-sweep/worker';

export function buildBenchAutoencoder(filters: readonly number[], seed: number, imageSize = 28): tf.LayersModel {
  return buildAutoencoder({ filters, seed, imageSize });
}

/**
 * Convolution arithmetic of one training image, in FLOPs (a multiply-add is 2): the forward
 * pass, and the training step's total (forward, weight gradients, and input gradients of every
 * convolution but the first, whose input needs none). Elementwise work is not counted.
 */
export function convFlopsPerImage(model: tf.LayersModel): { forward: number; training: number } {
  const macs = model.layers
    .filter((layer) => layer.getClassName() === 'Conv2D')
    .map((layer) => {
      const [kh, kw, cin, cout] = layer.getWeights()[0]!.shape as [number, number, number, number];
      const [, h, w] = layer.outputShape as [null, number, number, number];
      return h * w * cout * kh * kw * cin;
    });
  const forward = 2 * macs.reduce((a, b) => a + b, 0);
  const inputGradients = 2 * macs.slice(1).reduce((a, b) => a + b, 0);
  return { forward, training: 2 * forward + inputGradients };
}
