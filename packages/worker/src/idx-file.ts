import { gunzipSync } from 'node:zlib';

/** The IDX format of the original MNIST / Fashion-MNIST files: big-endian header, then uint8 data. */
const IDX_MAGIC = { images: 0x00000803, labels: 0x00000801 } as const;

/** A dataset file that is missing, truncated or not what its name says. */
export class DatasetError extends Error {
  override name = 'DatasetError';
}

export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  /** count * rows * cols grey levels, 0..255, row-major. */
  pixels: Uint8Array;
}

/** Inflates a gzip file (by its magic bytes, not its name) or returns the bytes as they are. */
function maybeGunzip(bytes: Uint8Array, file: string): Uint8Array {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return gunzipSync(bytes);
    } catch (cause) {
      throw new DatasetError(`${file}: corrupt or truncated gzip data (${(cause as Error).message}); re-install the dataset (apt-get install --reinstall dataset-fashion-mnist) or fix FASHION_MNIST_DIR`, { cause });
    }
  }
  return bytes;
}

function header(bytes: Uint8Array, file: string, words: number): number[] {
  if (bytes.length < words * 4) {
    throw new DatasetError(`${file}: ${bytes.length} bytes is too short for an IDX header of ${words * 4} bytes (truncated file?)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: words }, (_, i) => view.getUint32(i * 4, false));
}

/** Parses an IDX3 image file (gzipped or not), checking its magic number and its size. */
export function parseIdxImages(raw: Uint8Array, file: string): IdxImages {
  const bytes = maybeGunzip(raw, file);
  const [magic, count, rows, cols] = header(bytes, file, 4) as [number, number, number, number];
  if (magic !== IDX_MAGIC.images) {
    throw new DatasetError(`${file}: not an IDX image file (magic 0x${magic.toString(16).padStart(8, '0')}, expected 0x00000803)`);
  }
  const expected = 16 + count * rows * cols;
  if (bytes.length !== expected) {
    throw new DatasetError(`${file}: header says ${count} images of ${rows}x${cols} (${expected} bytes) but the file has ${bytes.length} bytes (truncated or corrupt)`);
  }
  return { count, rows, cols, pixels: bytes.subarray(16) };
}

/** Parses an IDX1 label file (gzipped or not), checking its magic number and its size. */
export function parseIdxLabels(raw: Uint8Array, file: string): Uint8Array {
  const bytes = maybeGunzip(raw, file);
  const [magic, count] = header(bytes, file, 2) as [number, number];
  if (magic !== IDX_MAGIC.labels) {
    throw new DatasetError(`${file}: not an IDX label file (magic 0x${magic.toString(16).padStart(8, '0')}, expected 0x00000801)`);
  }
  if (bytes.length !== 8 + count) {
    throw new DatasetError(`${file}: header says ${count} labels (${8 + count} bytes) but the file has ${bytes.length} bytes (truncated or corrupt)`);
  }
  return bytes.subarray(8);
}
