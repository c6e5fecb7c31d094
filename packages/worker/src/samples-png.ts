import { PNG } from 'pngjs';

export interface SampleGridOptions {
  /** Each 28x28 image is drawn scale x scale pixels per pixel. @defaultValue 3 */
  scale?: number;
  /** White pixels between images. @defaultValue 4 */
  gap?: number;
}

/** Width and height of the picture for `count` images per row (three rows). */
export function sampleGridSize(count: number, side = 28, options: SampleGridOptions = {}): { width: number; height: number } {
  const scale = options.scale ?? 3;
  const gap = options.gap ?? 4;
  return { width: count * side * scale + (count + 1) * gap, height: 3 * side * scale + 4 * gap };
}

/**
 * The seed's picture as a PNG: `count` test images in three rows, noisy on top, the model's
 * output in the middle, clean at the bottom. Pixel values are in [0, 1], row-major.
 */
export function renderSampleGrid(
  rows: { noisy: Float32Array; denoised: Float32Array; clean: Float32Array },
  count: number,
  side = 28,
  options: SampleGridOptions = {},
): Buffer {
  const scale = options.scale ?? 3;
  const gap = options.gap ?? 4;
  const { width, height } = sampleGridSize(count, side, options);
  const png = new PNG({ width, height, colorType: 0, inputColorType: 0, bitDepth: 8 });
  png.data = Buffer.alloc(width * height * 4, 255);
  [rows.noisy, rows.denoised, rows.clean].forEach((images, r) => {
    for (let i = 0; i < count; i++) {
      const left = gap + i * (side * scale + gap);
      const top = gap + r * (side * scale + gap);
      for (let y = 0; y < side * scale; y++) {
        for (let x = 0; x < side * scale; x++) {
          const v = images[i * side * side + Math.floor(y / scale) * side + Math.floor(x / scale)] ?? 0;
          const grey = Math.round(Math.min(1, Math.max(0, v)) * 255);
          const at = ((top + y) * width + left + x) * 4;
          png.data[at] = grey;
          png.data[at + 1] = grey;
          png.data[at + 2] = grey;
          png.data[at + 3] = 255;
        }
      }
    }
  });
  return PNG.sync.write(png, { colorType: 0, inputColorType: 6 });
}
