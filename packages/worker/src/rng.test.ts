import { describe, expect, it } from 'vitest';
import { Rng } from './rng.js';

describe('Rng', () => {
  it('is a pure function of seed and labels', () => {
    const draw = (rng: Rng) => Array.from({ length: 5 }, () => rng.nextUint32());
    expect(draw(Rng.from(42, 'noise', 'train'))).toEqual(draw(Rng.from(42, 'noise', 'train')));
    expect(draw(Rng.from(42, 'noise', 'train'))).not.toEqual(draw(Rng.from(42, 'noise', 'test')));
    expect(draw(Rng.from(42, 'shuffle', 1))).not.toEqual(draw(Rng.from(43, 'shuffle', 1)));
  });

  it('continues exactly from a saved state', () => {
    const a = Rng.from(7, 'x');
    for (let i = 0; i < 100; i++) a.nextUint32();
    const b = Rng.restore(a.save());
    expect(Array.from({ length: 10 }, () => b.nextFloat())).toEqual(Array.from({ length: 10 }, () => a.nextFloat()));
  });

  it('draws standard normals', () => {
    const rng = Rng.from(1, 'normal');
    const n = 200_000;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.nextNormal();
      sum += z;
      sq += z * z;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.01);
    expect(Math.abs(sq / n - 1)).toBeLessThan(0.02);
  });

  it('draws permutations', () => {
    const p = Rng.from(3, 'perm').permutation(1000);
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect([...p]).not.toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });
});
