import * as tf from '@tensorflow/tfjs';
import { fastCpuKernelTier, RELU_BIAS_GRAD_KERNEL } from '@denoise-sweep/tfjs-cpu-kernels';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectEngine } from './backend.js';
import { buildAutoencoder } from './model.js';
import { trainingForward } from './training-forward.js';

beforeAll(async () => {
  await selectEngine('cpu');
});

/** Loss and every gradient (by variable) of MSE(forward(x), y), read back. */
async function lossAndGrads(model: tf.LayersModel, forward: (x: tf.Tensor4D) => tf.Tensor, x: tf.Tensor4D, y: tf.Tensor) {
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => tf.mean(tf.squaredDifference(forward(x), y)) as tf.Scalar, variables);
  const result = { loss: (await value.data())[0]!, grads: await Promise.all(variables.map(async (v) => Array.from(await grads[v.name]!.data()))) };
  tf.dispose([value, ...Object.values(grads)]);
  return result;
}

describe('trainingForward', () => {
  it('gives the loss and gradients of model.apply bit for bit, with the relu convolutions fused, and leaks nothing', async () => {
    const model = buildAutoencoder({ filters: [8, 16, 32], seed: 5 });
    const y = tf.randomUniform([6, 28, 28, 1], 0, 1, 'float32', 1);
    const x = tf.tidy(() => tf.clipByValue(tf.add(y, tf.randomNormal(y.shape, 0, 0.5, 'float32', 2)), 0, 1)) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const applied = await lossAndGrads(model, (t) => model.apply(t, { training: true }) as tf.Tensor, x, y);
    const kernels: string[] = [];
    const fused = await (async () => {
      const { kernelNames } = await tf.profile(async () => {
        const r = await lossAndGrads(model, (t) => trainingForward(model, t), x, y);
        kernels.push(JSON.stringify(r));
      });
      return { kernelNames, result: JSON.parse(kernels[0]!) as typeof applied };
    })();
    expect(tf.memory().numTensors).toBe(before);
    expect(fused.result.loss).toBe(applied.loss);
    expect(fused.result.grads).toEqual(applied.grads);
    // Six relu convolutions and the sigmoid one, all FusedConv2D; no separate Relu or bias Add.
    expect(fused.kernelNames).toContain('FusedConv2D');
    expect(fused.kernelNames).not.toContain('Relu');
    expect(fused.kernelNames).not.toContain('Conv2D');
    // On the native kernels, relu's and the bias's gradients are one kernel, with the same bits.
    if (fastCpuKernelTier() === 'native') {
      expect(fused.kernelNames).toContain(RELU_BIAS_GRAD_KERNEL);
      expect(fused.kernelNames).not.toContain('Step');
    }
    tf.dispose([x, y]);
    model.dispose();
  });

  it('runs other layers as they are and a model that is not a chain through model.apply', async () => {
    const input = tf.input({ shape: [8, 8, 2] });
    const a = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(input) as tf.SymbolicTensor;
    const b = tf.layers.conv2d({ filters: 3, kernelSize: 1, activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(input) as tf.SymbolicTensor;
    const skip = tf.model({ inputs: input, outputs: tf.layers.add().apply([a, b]) as tf.SymbolicTensor });
    // Strided 'valid' relu convolution (fused), then one without bias (run as it is).
    const strided = tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'valid', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(input) as tf.SymbolicTensor;
    const noBias = tf.layers.conv2d({ filters: 2, kernelSize: 1, useBias: false, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }).apply(strided) as tf.SymbolicTensor;
    const chain = tf.model({ inputs: input, outputs: noBias });
    const x = tf.randomNormal([2, 8, 8, 2], 0, 1, 'float32', 7) as tf.Tensor4D;
    for (const model of [skip, chain]) {
      const target = tf.zerosLike(model.apply(x) as tf.Tensor);
      const applied = await lossAndGrads(model, (t) => model.apply(t, { training: true }) as tf.Tensor, x, target);
      const fused = await lossAndGrads(model, (t) => trainingForward(model, t), x, target);
      expect(fused.loss).toBeCloseTo(applied.loss, 6);
      fused.grads.forEach((g, i) => g.forEach((v, j) => expect(v).toBeCloseTo(applied.grads[i]![j]!, 6)));
      target.dispose();
    }
    x.dispose();
  });
});
