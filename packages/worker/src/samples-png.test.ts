import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { renderSampleGrid, sampleGridSize } from './samples-png.js';

describe('renderSampleGrid', () => {
  it('draws noisy, denoised and clean rows of the right size', () => {
    const count = 10;
    const px = 28 * 28;
    const rows = {
      noisy: new Float32Array(count * px).fill(0.25),
      denoised: new Float32Array(count * px).fill(0.5),
      clean: new Float32Array(count * px).fill(1),
    };
    const png = PNG.sync.read(renderSampleGrid(rows, count, 28, { scale: 2, gap: 3 }));
    const size = sampleGridSize(count, 28, { scale: 2, gap: 3 });
    expect([png.width, png.height]).toEqual([size.width, size.height]);
    expect([png.width, png.height]).toEqual([10 * 56 + 11 * 3, 3 * 56 + 4 * 3]);
    const grey = (x: number, y: number) => png.data[(y * png.width + x) * 4]!;
    const centreOfRow = (r: number) => 3 + r * (56 + 3) + 28;
    expect(grey(3 + 28, centreOfRow(0))).toBe(64);
    expect(grey(3 + 28, centreOfRow(1))).toBe(128);
    expect(grey(3 + 28, centreOfRow(2))).toBe(255);
    expect(grey(1, 1)).toBe(255); // the gap is white
  });
});
