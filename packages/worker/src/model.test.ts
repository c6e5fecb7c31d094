import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectEngine } from './backend.js';
import { buildAutoencoder } from './model.js';
import { trainingForward } from './training-forward.js';

beforeAll(async () => {
  await selectEngine('cpu');
});

/** The autoencoder as first written: the decoder's output cropped after the last upsampling. */
function cropLast(model: tf.LayersModel): tf.LayersModel {
  const input = tf.input({ shape: [28, 28, 1] });
  let x = input;
  let crop: tf.layers.Layer | undefined;
  for (const layer of model.layers.slice(1)) {
    if (layer.name === 'dec_crop') {
      crop = layer;
      continue;
    }
    if (layer.name === 'out_conv' && crop) {
      const [[a, b]] = (crop.getConfig() as { cropping: [[number, number]] }).cropping;
      x = tf.layers.cropping2D({ cropping: [[2 * a, 2 * b], [2 * a, 2 * b]] }).apply(x) as tf.SymbolicTensor;
    }
    x = layer.apply(x) as tf.SymbolicTensor;
  }
  return tf.model({ inputs: input, outputs: x });
}

describe('buildAutoencoder', () => {
  it('has exactly the Keras model parameter count at filters [32, 64, 128]', () => {
    const model = buildAutoencoder({ filters: [32, 64, 128], seed: 1 });
    expect(model.countParams()).toBe(332_801);
    model.dispose();
  });

  it.each([[[8]], [[8, 16]], [[4, 8, 16]], [[4, 4, 4, 4]], [[2, 2, 2, 2, 2]]])(
    'maps 28x28 to 28x28 at filters %j',
    (filters) => {
      const model = buildAutoencoder({ filters, seed: 3 });
      expect(model.outputs[0]?.shape).toEqual([null, 28, 28, 1]);
      model.dispose();
    },
  );

  it('crops before the last upsampling: outputs and gradients bit for bit those of cropping after it', async () => {
    const model = buildAutoencoder({ filters: [4, 8, 16], seed: 2 });
    const names = model.layers.map((l) => l.name);
    expect(names.indexOf('dec_crop')).toBe(names.indexOf('dec_up_3') - 1);
    expect(model.getLayer('dec_crop').outputShape).toEqual([null, 14, 14, 4]);
    const reference = cropLast(model);
    const y = tf.randomUniform([4, 28, 28, 1], 0, 1, 'float32', 3);
    const x = tf.tidy(() => tf.clipByValue(tf.add(y, tf.randomNormal(y.shape, 0, 0.5, 'float32', 4)), 0, 1)) as tf.Tensor4D;
    const run = async (forward: (t: tf.Tensor4D) => tf.Tensor) => {
      const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.squaredDifference(forward(x), y)) as tf.Scalar, variables);
      const out = { loss: (await value.data())[0], grads: await Promise.all(variables.map(async (v) => Array.from(await grads[v.name]!.data()))) };
      tf.dispose([value, ...Object.values(grads)]);
      return out;
    };
    const early = await run((t) => trainingForward(model, t));
    expect(early).toEqual(await run((t) => trainingForward(reference, t)));
    expect(early).toEqual(await run((t) => model.apply(t, { training: true }) as tf.Tensor));
    const predicted = [model, reference].map((m) => tf.tidy(() => Array.from((m.predict(x) as tf.Tensor).dataSync())));
    expect(predicted[0]).toEqual(predicted[1]);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('crops after the last upsampling when the crop is odd', () => {
    const model = buildAutoencoder({ filters: [4], seed: 1, imageSize: 27 });
    const names = model.layers.map((l) => l.name);
    expect(names.indexOf('dec_crop')).toBe(names.indexOf('dec_up_1') + 1);
    expect(model.outputs[0]?.shape).toEqual([null, 27, 27, 1]);
    model.dispose();
  });

  it('is initialised from its seed alone', () => {
    const a = buildAutoencoder({ filters: [4, 8], seed: 7 });
    const b = buildAutoencoder({ filters: [4, 8], seed: 7 });
    const c = buildAutoencoder({ filters: [4, 8], seed: 8 });
    const flat = (m: tf.LayersModel) => m.getWeights().flatMap((w) => Array.from(w.dataSync()));
    expect(flat(a)).toEqual(flat(b));
    expect(flat(a)).not.toEqual(flat(c));
    [a, b, c].forEach((m) => m.dispose());
  });

  it('refuses 0 or 6 levels', () => {
    expect(() => buildAutoencoder({ filters: [], seed: 1 })).toThrow(/1 to 5 levels/);
    expect(() => buildAutoencoder({ filters: [1, 1, 1, 1, 1, 1], seed: 1 })).toThrow(/1 to 5 levels/);
  });
});
