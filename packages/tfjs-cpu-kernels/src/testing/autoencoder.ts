/**
 * The denoising autoencoder of the project (conv3x3 relu same + maxpool 2 same per level,
 * mirrored conv + upsample 2, centred crop back to the input size, conv3x3 sigmoid to one
 * channel), rebuilt here so the package's tests do not depend on the worker package.
 */
import * as tf from '@tensorflow/tfjs';

export function buildTestAutoencoder(filters: readonly number[], seed: number, imageSize = 28): tf.LayersModel {
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

/** Losses of `steps` optimizer steps on fixed random data (inputs noisy, targets clean). */
export function trainLosses(
  filters: readonly number[],
  optimizer: () => tf.Optimizer,
  steps: number,
  batch: number,
  imageSize = 28,
): number[] {
  const model = buildTestAutoencoder(filters, 7, imageSize);
  const opt = optimizer();
  const clean = tf.randomUniform([batch, imageSize, imageSize, 1], 0, 1, 'float32', 11);
  const noisy = tf.tidy(() => clean.add(tf.randomNormal(clean.shape, 0, 0.3, 'float32', 12)).clipByValue(0, 1));
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const loss = tf.tidy(() => {
      const cost = opt.minimize(() => tf.losses.meanSquaredError(clean, model.apply(noisy, { training: true }) as tf.Tensor) as tf.Scalar, true);
      if (cost === null) throw new Error('optimizer.minimize returned no cost although returnCost was set');
      return cost;
    });
    losses.push(loss.dataSync()[0]!);
    loss.dispose();
  }
  tf.dispose([clean, noisy]);
  opt.dispose();
  model.dispose();
  return losses;
}
