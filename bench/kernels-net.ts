/**
 * The project's denoising autoencoder (DESIGN.md), rebuilt for the kernels benchmark so it
 * measures the exact layer sequence without depending on the worker package: per level
 * conv3x3 relu same + maxpool 2 same, mirrored conv + upsample 2, centred crop back to the
 * input size, conv3x3 sigmoid to one channel.
 */
import * as tf from '@tensorflow/tfjs';

export function buildBenchAutoencoder(filters: readonly number[], seed: number, imageSize = 28): tf.LayersModel {
  let layerIndex = 0;
  const conv = (width: number, activation: 'relu' | 'sigmoid') =>
    tf.layers.conv2d({
      filters: width,
      kernelSize: 3,
      padding: 'same',
      activation,
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 101 + layerIndex++ }),
      biasInitializer: 'zeros',
    });
  const input = tf.input({ shape: [imageSize, imageSize, 1] });
  let x = input as tf.SymbolicTensor;
  let size = imageSize;
  for (const width of filters) {
    x = conv(width, 'relu').apply(x) as tf.SymbolicTensor;
    x = tf.layers.maxPooling2d({ poolSize: 2, padding: 'same' }).apply(x) as tf.SymbolicTensor;
    size = Math.ceil(size / 2);
  }
  for (const width of [...filters].reverse()) {
    x = conv(width, 'relu').apply(x) as tf.SymbolicTensor;
    x = tf.layers.upSampling2d({ size: [2, 2] }).apply(x) as tf.SymbolicTensor;
    size *= 2;
  }
  const excess = size - imageSize;
  if (excess > 0) {
    const before = Math.floor(excess / 2);
    x = tf.layers.cropping2D({ cropping: [[before, excess - before], [before, excess - before]] }).apply(x) as tf.SymbolicTensor;
  }
  const output = conv(1, 'sigmoid').apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output });
}
