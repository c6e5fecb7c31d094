/**
 * Where the Fashion-MNIST files are and what they are called: shared by the worker, which reads
 * them, and the orchestrator, which publishes them to the object store.
 */

/** Where Debian's `dataset-fashion-mnist` package installs the original IDX files. */
export const DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** The original IDX file names; the published and cached copies add `.gz`. */
export const FASHION_MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

export const FASHION_MNIST_SIZES = { train: 60_000, test: 10_000, side: 28 } as const;

/** The dataset's name in the object store (`datasets/fashion-mnist/<sha256>/`). */
export const FASHION_MNIST_DATASET = 'fashion-mnist';
