import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { nativeKernelStatus, registerFastCpuKernels, unregisterFastCpuKernels } from '@denoise-sweep/tfjs-cpu-kernels';
import { ResumableAdam } from './resumable-adam.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Minimises sum((w - target)^2) for `steps` steps and returns w. */
function run(steps: number, update: (w: tf.Variable, grads: tf.NamedTensorMap) => void, w: tf.Variable): Float32Array {
  const target = tf.tensor1d([1, -2, 3, 0.5]);
  for (let i = 0; i < steps; i++) {
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => tf.sum(tf.square(tf.sub(w, target))) as tf.Scalar, [w]);
      update(w, grads);
    });
  }
  target.dispose();
  return w.dataSync() as Float32Array;
}

describe('ResumableAdam', () => {
  it('follows tfjs Adam', () => {
    const a = tf.variable(tf.tensor1d([0, 0, 0, 0]), true, 'adam_ref');
    const b = tf.variable(tf.tensor1d([0, 0, 0, 0]), true, 'adam_ours');
    const reference = tf.train.adam(0.05);
    const ours = new ResumableAdam([{ name: 'w', variable: b }], { learningRate: 0.05 });
    const expected = run(50, (_w, g) => reference.applyGradients(Object.entries(g).map(([name, tensor]) => ({ name, tensor }))), a);
    const actual = run(50, (_w, g) => ours.applyGradients(g), b);
    for (let i = 0; i < 4; i++) expect(actual[i]).toBeCloseTo(expected[i]!, 4);
    expect(ours.iterations).toBe(50);
    reference.dispose();
    ours.dispose();
    a.dispose();
    b.dispose();
  });

  it('continues bit for bit after save and restore', async () => {
    const straight = tf.variable(tf.tensor1d([0, 0, 0, 0]), true, 'straight');
    const opt1 = new ResumableAdam([{ name: 'w', variable: straight }], { learningRate: 0.01 });
    const expected = run(30, (_w, g) => opt1.applyGradients(g), straight);

    const resumed = tf.variable(tf.tensor1d([0, 0, 0, 0]), true, 'resumed');
    const opt2 = new ResumableAdam([{ name: 'w', variable: resumed }], { learningRate: 0.01 });
    run(10, (_w, g) => opt2.applyGradients(g), resumed);
    const saved = await opt2.save();
    const opt3 = new ResumableAdam([{ name: 'w', variable: resumed }], { learningRate: 0.01 });
    opt3.restore(saved.header, saved.data);
    const actual = run(20, (_w, g) => opt3.applyGradients(g), resumed);
    expect(Array.from(actual)).toEqual(Array.from(expected));
    [opt1, opt2, opt3].forEach((o) => o.dispose());
    straight.dispose();
    resumed.dispose();
  });

  it.runIf(nativeKernelStatus().available)('with the native cpu kernels, one fused pass per variable gives the ops\' bits', async () => {
    registerFastCpuKernels({ native: 'required' });
    try {
      const shapes = [[3, 3, 4, 8], [8], [1000]];
      const weights = (seed: number) => shapes.map((shape, i) => tf.variable(tf.randomNormal(shape, 0, 0.3, 'float32', 10 + i), true, `w${seed}-${i}`));
      const viaOps = weights(1);
      const inLoops = weights(2);
      const named = (vs: tf.Variable[]) => vs.map((variable, i) => ({ name: `w${i}`, variable }));
      const ops = new ResumableAdam(named(viaOps), { learningRate: 0.003, fused: false });
      const loops = new ResumableAdam(named(inLoops), { learningRate: 0.003 });
      for (let step = 0; step < 25; step++) {
        // Gradients with zeros, tiny and large values, keyed by the variables' own names.
        const grads = shapes.map((shape, i) => tf.tidy(() => tf.randomNormal(shape, 0, step % 5 === 0 ? 1e-6 : 2, 'float32', 100 * step + i).mul(tf.randomUniform(shape, 0, 1, 'float32', step).greater(0.1))));
        ops.applyGradients(Object.fromEntries(viaOps.map((v, i) => [v.name, grads[i]!])));
        loops.applyGradients(Object.fromEntries(inLoops.map((v, i) => [v.name, grads[i]!])));
        tf.dispose(grads);
      }
      const bits = (vs: tf.Variable[]) => vs.map((v) => Array.from(new Uint32Array((v.dataSync() as Float32Array).slice().buffer)));
      expect(bits(inLoops)).toEqual(bits(viaOps));
      const a = (await ops.save()).data;
      const b = (await loops.save()).data;
      expect(Array.from(new Uint32Array(b.buffer))).toEqual(Array.from(new Uint32Array(a.buffer)));
      ops.dispose();
      loops.dispose();
      tf.dispose([...viaOps, ...inLoops]);
    } finally {
      unregisterFastCpuKernels();
    }
  });

  it('refuses state saved for other variables', async () => {
    const v = tf.variable(tf.zeros([2]), true, 'v2');
    const opt = new ResumableAdam([{ name: 'w', variable: v }], { learningRate: 0.01 });
    const other = new ResumableAdam([{ name: 'other', variable: v }], { learningRate: 0.01 });
    const saved = await other.save();
    expect(() => opt.restore(saved.header, saved.data)).toThrow(/other variables/);
    opt.dispose();
    other.dispose();
    v.dispose();
  });
});
