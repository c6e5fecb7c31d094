import * as tf from '@tensorflow/tfjs';

/** Fashion-MNIST images are 28x28 grey levels. */
const IMAGE_SIZE = 28;

export interface AutoencoderOptions {
  /** Conv widths per encoder level; the decoder mirrors them. 1 to 5 levels. */
  filters: readonly number[];
  /** Seed of the Glorot-uniform kernel initialisers: same seed, same initial weights. */
  seed: number;
  /** @defaultValue 28 */
  imageSize?: number;
}

/**
 * The seed's Keras denoising autoencoder, made trainable.
 *
 * Encoder: per width, conv3x3 (relu, same) then maxpool 2 (same). Decoder: per width in
 * reverse, conv3x3 (relu, same) then nearest upsample x2. Output: conv3x3 to one channel,
 * sigmoid. The seed's model, as written, pools 28 -> 14 -> 7 -> 4 and upsamples back to 32,
 * so its 32x32 output cannot be compared with the 28x28 targets; here the decoder output is
 * cropped back to the input size (centred: 2 px a side for three levels) before the last conv,
 * by cropping 1 px a side before the last upsampling (the same values, see below).
 * At filters [32, 64, 128] this has exactly 332,801 parameters, like the Keras model.
 *
 * Layers carry fixed names so that checkpoints map weights by name, whatever else the
 * process has built before.
 */
export function buildAutoencoder(options: AutoencoderOptions): tf.LayersModel {
  const { filters, seed } = options;
  const imageSize = options.imageSize ?? IMAGE_SIZE;
  if (filters.length < 1 || filters.length > 5) {
    throw new RangeError(`filters must have 1 to 5 levels, got ${filters.length}`);
  }
  let layerIndex = 0;
  const conv = (name: string, width: number, activation: 'relu' | 'sigmoid') =>
    tf.layers.conv2d({
      name,
      filters: width,
      kernelSize: 3,
      padding: 'same',
      activation,
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 101 + layerIndex++ }),
      biasInitializer: 'zeros',
    });

  const input = tf.input({ shape: [imageSize, imageSize, 1], name: 'noisy' });
  let x = input as tf.SymbolicTensor;
  let size = imageSize;
  filters.forEach((width, i) => {
    x = conv(`enc_conv_${i + 1}`, width, 'relu').apply(x) as tf.SymbolicTensor;
    x = tf.layers.maxPooling2d({ name: `enc_pool_${i + 1}`, poolSize: 2, padding: 'same' }).apply(x) as tf.SymbolicTensor;
    size = Math.ceil(size / 2);
  });
  const excess = size * 2 ** filters.length - imageSize;
  const before = Math.floor(excess / 2);
  const crop: [number, number] = [before, excess - before];
  // Nearest upsampling repeats each pixel twice along each axis, so cropping an even number of
  // pixels after the last upsampling gives the same values as cropping half as many before
  // it; done there, the crop, its gradient and the upsampling move a quarter of the data.
  const cropEarly = excess > 0 && crop.every((c) => c % 2 === 0);
  const cropping = (amounts: readonly number[]) =>
    tf.layers.cropping2D({ name: 'dec_crop', cropping: [[amounts[0]!, amounts[1]!], [amounts[0]!, amounts[1]!]] });
  [...filters].reverse().forEach((width, i) => {
    x = conv(`dec_conv_${i + 1}`, width, 'relu').apply(x) as tf.SymbolicTensor;
    if (cropEarly && i === filters.length - 1) x = cropping(crop.map((c) => c / 2)).apply(x) as tf.SymbolicTensor;
    x = tf.layers.upSampling2d({ name: `dec_up_${i + 1}`, size: [2, 2] }).apply(x) as tf.SymbolicTensor;
  });
  if (excess > 0 && !cropEarly) x = cropping(crop).apply(x) as tf.SymbolicTensor;
  const output = conv('out_conv', 1, 'sigmoid').apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: 'denoising_autoencoder' });
}
