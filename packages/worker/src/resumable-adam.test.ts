import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
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

  it('continues bit for bit after save and restore', () => {
    const straight = tf.variable(tf.tensor1d([0, 0, 0, 0]), true, 'straight');
    const opt1 = new ResumableAdam([{ name: 'w', variable: straight }], { learningRate: 0.01 });
    const expected = run(30, (_w, g) => opt1.applyGradients(g), straight);

    const resumed = tf.variable(tf.tensor1d([0, 0, 0, 0]), true, 'resumed');
    const opt2 = new ResumableAdam([{ name: 'w', variable: resumed }], { learningRate: 0.01 });
    run(10, (_w, g) => opt2.applyGradients(g), resumed);
    const saved = opt2.save();
    const opt3 = new ResumableAdam([{ name: 'w', variable: resumed }], { learningRate: 0.01 });
    opt3.restore(saved.header, saved.data);
    const actual = run(20, (_w, g) => opt3.applyGradients(g), resumed);
    expect(Array.from(actual)).toEqual(Array.from(expected));
    [opt1, opt2, opt3].forEach((o) => o.dispose());
    straight.dispose();
    resumed.dispose();
  });

  it('refuses state saved for other variables', () => {
    const v = tf.variable(tf.zeros([2]), true, 'v2');
    const opt = new ResumableAdam([{ name: 'w', variable: v }], { learningRate: 0.01 });
    const other = new ResumableAdam([{ name: 'other', variable: v }], { learningRate: 0.01 });
    const saved = other.save();
    expect(() => opt.restore(saved.header, saved.data)).toThrow(/other variables/);
    opt.dispose();
    other.dispose();
    v.dispose();
  });
});
