#!/usr/bin/env python3
"""Reference SSIM and PSNR values from scikit-image, an implementation independent of ours.

Writes packages/worker/src/image-quality.reference.json: for pairs of 28x28 images built from
the first Fashion-MNIST test images (clean against clean, and clean against a copy perturbed
by integer-hash noise, exact in any language), the values of
skimage.metrics.structural_similarity (Gaussian weights, sigma 1.5, population covariance,
data range 1: Wang et al. 2004) and skimage.metrics.peak_signal_noise_ratio.
image-quality.test.ts checks our implementation against them.

    apt-get install python3-skimage dataset-fashion-mnist
    /usr/bin/python3 scripts/ssim-reference.py
"""
import gzip
import json
import os

import numpy as np
import skimage
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

IMAGES = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz'
OUT = os.path.join(os.path.dirname(__file__), '..', 'packages', 'worker', 'src', 'image-quality.reference.json')
COUNT = 12


def test_images(count):
    with gzip.open(IMAGES, 'rb') as f:
        data = f.read()
    pixels = np.frombuffer(data, dtype=np.uint8, offset=16)[: count * 784]
    return (pixels.astype(np.float32) / np.float32(255)).reshape(count, 28, 28)


def perturbed(a, i, amplitude):
    """a + amplitude * (((p * 7919 + i * 104729) % 256) / 255 - 0.5), clipped to [0, 1], as float32."""
    p = np.arange(784, dtype=np.int64).reshape(28, 28)
    noise = ((p * 7919 + i * 104729) % 256) / 255.0 - 0.5
    return np.clip(a.astype(np.float64) + amplitude * noise, 0.0, 1.0).astype(np.float32)


def main():
    clean = test_images(COUNT + 1)
    pairs = []
    for i in range(COUNT):
        a = clean[i]
        for kind, b in (('next', clean[i + 1]), ('noise-0.1', perturbed(a, i, 0.1)), ('noise-0.5', perturbed(a, i, 0.5))):
            x = b.astype(np.float64)
            y = a.astype(np.float64)
            ssim = structural_similarity(x, y, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1.0)
            psnr = peak_signal_noise_ratio(y, x, data_range=1.0)
            pairs.append({'image': i, 'kind': kind, 'ssim': float(ssim), 'psnr': float(psnr)})
    with open(OUT, 'w') as f:
        json.dump({'source': f'scikit-image {skimage.__version__}, structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1) and peak_signal_noise_ratio(data_range=1)',
                   'images': IMAGES, 'pairs': pairs}, f, indent=1)
        f.write('\n')
    print(f'wrote {len(pairs)} pairs to {os.path.normpath(OUT)}')


if __name__ == '__main__':
    main()
