import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEBIAN_FASHION_MNIST_DIR, fashionMnistDir, loadFashionMnist } from './fashion-mnist.js';

const scratch = mkdtempSync(join(tmpdir(), 'fmnist-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('loadFashionMnist (the real Debian files)', () => {
  it('reads train and test subsets scaled to [0, 1]', async () => {
    const data = await loadFashionMnist({ dir: DEBIAN_FASHION_MNIST_DIR, trainLimit: 1000, testLimit: 200 });
    expect(data.train.count).toBe(1000);
    expect(data.train.images.length).toBe(1000 * 784);
    expect(data.test.images.length).toBe(200 * 784);
    const max = data.train.images.reduce((m, v) => Math.max(m, v), 0);
    const min = data.train.images.reduce((m, v) => Math.min(m, v), 1);
    expect(max).toBe(1);
    expect(min).toBe(0);
    // The first training image of Fashion-MNIST is an ankle boot (class 9), the first test image too.
    expect(data.train.labels[0]).toBe(9);
    expect(data.test.labels[0]).toBe(9);
  });

  it('reads the whole set by default', async () => {
    const data = await loadFashionMnist({ dir: DEBIAN_FASHION_MNIST_DIR });
    expect([data.train.count, data.test.count]).toEqual([60_000, 10_000]);
  });

  it('takes its directory from FASHION_MNIST_DIR', () => {
    expect(fashionMnistDir({ FASHION_MNIST_DIR: '/data/fm' })).toBe('/data/fm');
    expect(fashionMnistDir({})).toBe(DEBIAN_FASHION_MNIST_DIR);
  });

  it('says how to install the dataset when it is missing', async () => {
    await expect(loadFashionMnist({ dir: join(scratch, 'nowhere') })).rejects.toThrow(/apt-get install dataset-fashion-mnist.*FASHION_MNIST_DIR/);
  });

  it('refuses a corrupt file with its name', async () => {
    const dir = join(scratch, 'corrupt');
    mkdirSync(dir, { recursive: true });
    for (const f of ['train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']) {
      copyFileSync(join(DEBIAN_FASHION_MNIST_DIR, f), join(dir, f));
    }
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), Buffer.from('not an idx file at all'));
    await expect(loadFashionMnist({ dir, trainLimit: 10, testLimit: 10 })).rejects.toThrow(/train-images-idx3-ubyte: not an IDX image file/);
  });

  it('refuses more images than the file has', async () => {
    await expect(loadFashionMnist({ dir: DEBIAN_FASHION_MNIST_DIR, testLimit: 10_001 })).rejects.toThrow(/asked for 10001 images/);
  });
});
