import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildAutoencoder } from './model.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

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
