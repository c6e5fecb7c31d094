import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DatasetError, parseIdxImages, parseIdxLabels } from './idx-file.js';

function idxImages(count: number, rows: number, cols: number, magic = 0x803): Uint8Array {
  const out = new Uint8Array(16 + count * rows * cols);
  const view = new DataView(out.buffer);
  [magic, count, rows, cols].forEach((v, i) => view.setUint32(i * 4, v, false));
  for (let i = 16; i < out.length; i++) out[i] = i % 256;
  return out;
}

function idxLabels(count: number): Uint8Array {
  const out = new Uint8Array(8 + count);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x801, false);
  view.setUint32(4, count, false);
  for (let i = 0; i < count; i++) out[8 + i] = i % 10;
  return out;
}

describe('IDX files', () => {
  it('reads images, gzipped or not', () => {
    const raw = idxImages(3, 28, 28);
    for (const bytes of [raw, gzipSync(raw)]) {
      const parsed = parseIdxImages(bytes, 'x');
      expect([parsed.count, parsed.rows, parsed.cols]).toEqual([3, 28, 28]);
      expect(parsed.pixels.length).toBe(3 * 784);
      expect(parsed.pixels[0]).toBe(16);
    }
  });

  it('reads labels', () => {
    expect(Array.from(parseIdxLabels(gzipSync(idxLabels(12)), 'l'))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
  });

  it('names the file and the problem when the magic number is wrong', () => {
    expect(() => parseIdxImages(idxImages(1, 28, 28, 0x801), 'imgs.gz')).toThrow(/imgs\.gz: not an IDX image file \(magic 0x00000801/);
    expect(() => parseIdxLabels(idxImages(1, 28, 28), 'labels.gz')).toThrow(/labels\.gz: not an IDX label file/);
  });

  it('detects truncated files, raw and gzipped', () => {
    const raw = idxImages(4, 28, 28);
    expect(() => parseIdxImages(raw.subarray(0, raw.length - 1), 'f')).toThrow(/header says 4 images of 28x28 \(3152 bytes\) but the file has 3151 bytes \(truncated/);
    expect(() => parseIdxImages(raw.subarray(0, 10), 'f')).toThrow(/too short for an IDX header/);
    const gz = gzipSync(raw);
    expect(() => parseIdxImages(gz.subarray(0, gz.length - 20), 'f.gz')).toThrow(DatasetError);
    expect(() => parseIdxLabels(idxLabels(5).subarray(0, 11), 'l')).toThrow(/header says 5 labels/);
  });
});
